import { AI_SETUP_HELP, loadConfigOrExit, startLocalStack } from './dev/local-stack.js';

// `npm run dev`: the whole service on this machine, infrastructure included; Ctrl-C stops all of it.
const standInAi = process.argv.includes('--stand-in-ai');
const config = loadConfigOrExit();
if (!standInAi && !config.OPENAI_API_KEY && !config.OPENAI_BASE_URL) {
  console.error(AI_SETUP_HELP);
  process.exit(1);
}

const say = (msg: string) => console.error(`[dev] ${msg}`);
const stack = await startLocalStack(config, { standInAi, say }).catch((err: Error) => {
  console.error(`[dev] could not start: ${err.message}`);
  process.exit(1);
});

console.log(`
Persona Analyzer is running
  API:            ${stack.apiUrl}/api/v2   (health: ${stack.apiUrl}/api/v2/health)
  Temporal Web UI: ${stack.webUiUrl ?? `(external Temporal at ${stack.temporalAddress})`}
  Temporal:       ${stack.temporalAddress}
  PostgreSQL:     ${stack.databaseUrl.replace(/:[^:@/]+@/, ':****@')}
  AI:             ${standInAi ? 'local stand-in (offline): reports are labelled as written by a stand-in' : `${config.OPENAI_BASE_URL ?? 'OpenAI'} · model ${config.OPENAI_MODEL}`}
Try: npm run analyze -- https://example.com        Stop: Ctrl-C
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    say('stopping everything this command started...');
    stack.stop().then(
      () => process.exit(0),
      (err: Error) => {
        console.error(`[dev] while stopping: ${err.message}`);
        process.exit(1);
      },
    );
  });
}
