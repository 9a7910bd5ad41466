import { commandLine, scriptArgs, usageExit } from './dev/cli-args.js';
import { AI_SETUP_HELP, loadConfigOrExit, startLocalStack, type LocalStack } from './dev/local-stack.js';
import { createDevLogger } from './dev/dev-logger.js';
import { call, followAnalysis, renderProgressLine, watchAnalysis } from './dev/follow-analysis.js';
import { progressOutput } from './dev/progress-bar.js';
import { analysisOptionsSchema } from './domain/requests.js';

// `npm run analyze -- <url>`: one analysis on the dev stack (started here when none runs);
// progress goes to stderr (a bar on a terminal, plain lines when piped), the report as Markdown to stdout.
const DEFAULTS = analysisOptionsSchema.parse({});
const USAGE = `usage: npm run analyze -- <url> [options]
  --max-pages N      pages to read (default ${DEFAULTS.maxPages})
  --personas N       personas to write (default ${DEFAULTS.personaCount})
  --language xx      the report's language, an ISO 639-1 code (default: the site's)
  --force-refresh    read the site again instead of using cached pages
  --stand-in-ai      no model: a local stand-in writes a mechanical report (for trying the plumbing)
Progress goes to stderr, the report as Markdown to stdout.`;

const { values, positionals } = commandLine(USAGE, {
  args: scriptArgs(),
  allowPositionals: true,
  options: {
    'stand-in-ai': { type: 'boolean', default: false },
    'max-pages': { type: 'string' },
    personas: { type: 'string' },
    language: { type: 'string' },
    'force-refresh': { type: 'boolean', default: false },
  },
});
const url = positionals[0];
if (!url) usageExit(USAGE, 'Which site? Give its address.');
if (positionals.length > 1) usageExit(USAGE, `One site at a time: ${positionals.slice(1).join(' ')} is one argument too many.`);
for (const option of ['max-pages', 'personas'] as const) {
  const text = values[option];
  if (text !== undefined && !/^\d+$/.test(text)) usageExit(USAGE, `--${option} takes a whole number, not ${JSON.stringify(text)}.`);
}

const config = loadConfigOrExit();
const output = progressOutput(process.stderr);
const say = (msg: string) => output.say(msg);

/*
 * Ctrl-C (or SIGTERM): cancel the analysis this command started, wait briefly for it to end
 * cancelled, stop what this command started, exit 130 (143). A second Ctrl-C exits at once; the
 * servers we started are stopped by their 'exit' listeners and watchdogs.
 */
const interrupt = new AbortController();
let interruptedBy: NodeJS.Signals | undefined;
let interruptedAt = 0;
let analysisId: string | undefined;
const exitCodeOf = (signal: NodeJS.Signals) => (signal === 'SIGINT' ? 130 : 143);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // tsx relays the terminal's Ctrl-C to us a second time when we do not acknowledge it within
    // 30 ms (a busy event loop): a repeat within a second is the same Ctrl-C.
    if (interruptedBy && Date.now() - interruptedAt < REPEAT_WINDOW_MS) return;
    if (interruptedBy) {
      say('Stopping now.');
      process.exit(exitCodeOf(signal));
    }
    interruptedBy = signal;
    interruptedAt = Date.now();
    say(analysisId ? 'Interrupted: cancelling the analysis (Ctrl-C again to quit at once)...' : 'Interrupted: stopping...');
    interrupt.abort();
  });
}
/** Signals closer together than this are one interruption. */
const REPEAT_WINDOW_MS = 1_000;
/** How long an interrupted run waits for its analysis to reach `cancelled` before stopping anyway. */
const CANCEL_WAIT_MS = 30_000;

let stack: LocalStack | undefined;
let apiUrl = `http://127.0.0.1:${config.PORT}`;
let exitCode = 0;

try {
  if (config.PORT !== 0 && (await isApiUp(apiUrl))) {
    say(`Using the dev stack already running at ${apiUrl}`);
  } else {
    if (!values['stand-in-ai'] && !config.OPENAI_API_KEY && !config.OPENAI_BASE_URL) {
      console.error(AI_SETUP_HELP);
      process.exit(1);
    }
    say('No dev stack is running: starting one for this analysis...');
    stack = await startLocalStack(config, {
      standInAi: values['stand-in-ai'],
      // Keep the terminal for progress: the services' JSON lines go to LOG_FILE, warnings also here in one line.
      logger: createDevLogger(config, { service: 'analyze', print: say }).logger,
      say,
    });
    apiUrl = stack.apiUrl;
    if (stack.webUiUrl) say(`Temporal Web UI: ${stack.webUiUrl}`);
  }
  if (!interruptedBy) exitCode = await analyze();
} catch (err) {
  say(`analysis failed: ${err instanceof Error ? err.message : String(err)}`);
  exitCode = 1;
}
if (interruptedBy) {
  if (analysisId) await cancelAnalysis(analysisId);
  exitCode = exitCodeOf(interruptedBy);
}
try {
  await stack?.stop();
} catch (err) {
  say(`while stopping: ${err instanceof Error ? err.message : String(err)}`);
  if (exitCode === 0) exitCode = 1;
}
process.exit(exitCode);

/** Runs the analysis; 0 when a report was printed. */
async function analyze(): Promise<number> {
  const options = {
    ...(values['max-pages'] ? { maxPages: Number(values['max-pages']) } : {}),
    ...(values.personas ? { personaCount: Number(values.personas) } : {}),
    ...(values.language ? { language: values.language } : {}),
    ...(values['force-refresh'] ? { forceRefresh: true } : {}),
  };
  let final;
  try {
    // Step lines are indented; the other lines (the start) are messages that stay on a terminal too.
    const onLine = (line: string) => (line.startsWith('  ') ? output.step(line) : say(line));
    final = await followAnalysis(apiUrl, { url: url!, options }, onLine, {
      onStarted: (id) => (analysisId = id),
      signal: interrupt.signal,
      ...(output.interactive ? { onProgress: (snapshot) => output.progress(snapshot) } : {}),
    });
  } catch (err) {
    if (interruptedBy) return exitCodeOf(interruptedBy);
    throw err;
  } finally {
    output.done();
  }
  if (final.status !== 'completed') {
    say(renderProgressLine(final));
    return 1;
  }
  const report = await fetch(`${apiUrl}/api/v2/analysis/${final.analysisId}/report?format=markdown`);
  if (!report.ok) {
    say(`the report could not be read (HTTP ${report.status})`);
    return 1;
  }
  process.stdout.write(await report.text());
  return 0;
}

/** POST /analysis/{id}/cancel, then follows it until it is no longer running (bounded). */
async function cancelAnalysis(id: string): Promise<void> {
  try {
    await call(`${apiUrl}/api/v2/analysis/${id}/cancel`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
    say(`analysis ${id}: cancel requested`);
  } catch (err) {
    // 409 ALREADY_FINISHED: it ended before the cancel arrived; nothing to do.
    say(`analysis ${id}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    const final = await watchAnalysis(apiUrl, id, () => {}, { signal: AbortSignal.timeout(CANCEL_WAIT_MS) });
    say(renderProgressLine(final));
  } catch {
    say(`analysis ${id} did not reach a final state within ${CANCEL_WAIT_MS / 1000} s; it stops when a worker next runs it`);
  }
}

async function isApiUp(base: string): Promise<boolean> {
  try {
    const res = await fetch(`${base}/api/v2/health`, { signal: AbortSignal.timeout(1500) });
    return res.status === 200 || res.status === 503;
  } catch {
    return false;
  }
}
