import path from 'node:path';
import { commandLine, scriptArgs } from './dev/cli-args.js';
import { createDevLogger } from './dev/dev-logger.js';
import { AI_SETUP_HELP, loadConfigOrExit, startLocalStack, type LocalStack } from './dev/local-stack.js';

// `npm run dev`: the whole service on this machine, infrastructure included; Ctrl-C stops all of it.
const USAGE = `usage: npm run dev [-- --stand-in-ai]
  Starts PostgreSQL, the Temporal dev server (Web UI included), the worker and the API with its web
  page on PORT; Ctrl-C stops all of it.
  --stand-in-ai      no model: a local stand-in writes mechanical reports (for trying the plumbing)`;
const { values } = commandLine(USAGE, {
  args: scriptArgs(),
  options: { 'stand-in-ai': { type: 'boolean', default: false } },
});
const standInAi = values['stand-in-ai'];
const config = loadConfigOrExit();
if (!standInAi && !config.OPENAI_API_KEY && !config.OPENAI_BASE_URL) {
  console.error(AI_SETUP_HELP);
  process.exit(1);
}

const say = (msg: string) => console.error(`[dev] ${msg}`);
// The service's JSON log lines go to LOG_FILE (LOG_TO_CONSOLE=true: here too); warnings and errors
// also reach the terminal, one short line each.
const { logger, file: logFile } = createDevLogger(config, { service: 'dev', print: (line) => console.error(`[dev] ${line}`) });

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

stack = await startLocalStack(config, { standInAi, say, logger, workerMetrics: true }).catch((err: Error) => {
  console.error(`[dev] could not start: ${err.message}`);
  process.exit(1);
});
if (stopping) await stopAndExit(stack);

console.log(devSummary(stack, logFile));

/** What a person needs to start working: where things are, which AI writes, what may be read. */
function devSummary(s: LocalStack, logs: string): string {
  const c = s.config;
  const ai = s.standInAi
    ? 'local stand-in (offline; every report says a stand-in wrote it)'
    : `${config.OPENAI_BASE_URL ?? 'OpenAI (api.openai.com)'} · model ${c.OPENAI_MODEL} · structured output ${c.OPENAI_STRUCTURED_OUTPUT}`;
  const privateAddresses = c.SCRAPE_ALLOW_PRIVATE_NETWORKS
    ? 'allowed: sites on this machine and the local network can be analysed'
    : 'refused: only public sites (SCRAPE_ALLOW_PRIVATE_NETWORKS=true for local ones)';
  return `
Persona Analyzer is running
  Web page:          ${s.apiUrl}/
  API:               ${s.apiUrl}/api/v2   (docs: ${s.apiUrl}/api/v2/docs)
  Temporal Web UI:   ${s.webUiUrl ?? `none (external Temporal at ${s.temporalAddress})`}
  Metrics:           ${s.apiUrl}/metrics (API)${s.workerMetricsUrl ? ` · ${s.workerMetricsUrl} (worker)` : ''}
  AI:                ${ai}
  Private addresses: ${privateAddresses}
  Logs:              ${config.LOG_TO_CONSOLE ? 'on this terminal (LOG_TO_CONSOLE=true) and in ' : ''}${shortPath(logs)}
  Temporal ${s.temporalAddress} · PostgreSQL ${s.databaseUrl.replace(/:[^:@/]+@/, ':****@')}
Try: npm run analyze -- https://example.com        Stop: Ctrl-C
`;
}

/** Relative to the project when inside it: `.dev/logs/dev.log`. */
function shortPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
}
