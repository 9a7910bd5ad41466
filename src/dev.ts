import { AI_SETUP_HELP, loadConfigOrExit, startLocalStack, type LocalStack } from './dev/local-stack.js';

// `npm run dev`: the whole service on this machine, infrastructure included; Ctrl-C stops all of it.
const standInAi = process.argv.includes('--stand-in-ai');
const config = loadConfigOrExit();
if (!standInAi && !config.OPENAI_API_KEY && !config.OPENAI_BASE_URL) {
  console.error(AI_SETUP_HELP);
  process.exit(1);
}

const say = (msg: string) => console.error(`[dev] ${msg}`);

/*
 * Ctrl-C (or SIGTERM) stops everything this command started, in order: API and worker first (the
 * database pool closed), then PostgreSQL and Temporal, which run in process groups of their own so
 * the terminal's Ctrl-C reaches only us. Exit 0 once all of it stopped; a second Ctrl-C exits at
 * once (the servers' watchdogs stop them).
 */
let stack: LocalStack | undefined;
let stopping = false;
let stoppingSince = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // tsx relays the terminal's Ctrl-C to us a second time when we do not acknowledge it within
    // 30 ms (a busy event loop): a repeat within a second is the same Ctrl-C.
    if (stopping && Date.now() - stoppingSince < 1_000) return;
    if (stopping) {
      say('stopping now');
      process.exit(130);
    }
    stopping = true;
    stoppingSince = Date.now();
    say('stopping everything this command started... (Ctrl-C again to quit at once)');
    // A signal during start-up is handled once the start settles.
    if (stack) void stopAndExit(stack);
  });
}

async function stopAndExit(started: LocalStack): Promise<never> {
  try {
    await started.stop();
    say('stopped');
    process.exit(0);
  } catch (err) {
    console.error(`[dev] while stopping: ${(err as Error).message}`);
    process.exit(1);
  }
}

stack = await startLocalStack(config, { standInAi, say }).catch((err: Error) => {
  console.error(`[dev] could not start: ${err.message}`);
  process.exit(1);
});
if (stopping) await stopAndExit(stack);

console.log(`
Persona Analyzer is running
  API:            ${stack.apiUrl}/api/v2   (health: ${stack.apiUrl}/api/v2/health)
  Temporal Web UI: ${stack.webUiUrl ?? `(external Temporal at ${stack.temporalAddress})`}
  Temporal:       ${stack.temporalAddress}
  PostgreSQL:     ${stack.databaseUrl.replace(/:[^:@/]+@/, ':****@')}
  AI:             ${standInAi ? 'local stand-in (offline): reports are labelled as written by a stand-in' : `${config.OPENAI_BASE_URL ?? 'OpenAI'} · model ${config.OPENAI_MODEL}`}
Try: npm run analyze -- https://example.com        Stop: Ctrl-C
`);
