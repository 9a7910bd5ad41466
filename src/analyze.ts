import { parseArgs } from 'node:util';
import { AI_SETUP_HELP, loadConfigOrExit, startLocalStack, type LocalStack } from './dev/local-stack.js';
import { createLogger } from './logger.js';
import { renderProgressLine, followAnalysis } from './dev/follow-analysis.js';

// `npm run analyze -- <url>`: one analysis on the dev stack (started here when none runs);
// progress goes to stderr, the report as Markdown to stdout.
const { values, positionals } = parseArgs({
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
if (!url) {
  console.error('usage: npm run analyze -- <url> [--max-pages N] [--personas N] [--language xx] [--force-refresh] [--stand-in-ai]');
  process.exit(2);
}

const config = loadConfigOrExit();
const say = (msg: string) => console.error(msg);
let stack: LocalStack | undefined;
let apiUrl = `http://127.0.0.1:${config.PORT}`;

if (await isApiUp(apiUrl)) {
  say(`Using the dev stack already running at ${apiUrl}`);
} else {
  if (!values['stand-in-ai'] && !config.OPENAI_API_KEY && !config.OPENAI_BASE_URL) {
    console.error(AI_SETUP_HELP);
    process.exit(1);
  }
  say('No dev stack is running: starting one for this analysis...');
  stack = await startLocalStack(config, {
    standInAi: values['stand-in-ai'],
    // Keep the terminal for progress: only warnings and errors from the services.
    logger: createLogger('warn', { service: 'analyze' }),
    say,
  });
  apiUrl = stack.apiUrl;
  if (stack.webUiUrl) say(`Temporal Web UI: ${stack.webUiUrl}`);
}

let exitCode = 0;
try {
  const options = {
    ...(values['max-pages'] ? { maxPages: Number(values['max-pages']) } : {}),
    ...(values.personas ? { personaCount: Number(values.personas) } : {}),
    ...(values.language ? { language: values.language } : {}),
    ...(values['force-refresh'] ? { forceRefresh: true } : {}),
  };
  const final = await followAnalysis(apiUrl, { url, options }, (line) => say(line));
  if (final.status === 'completed') {
    const report = await fetch(`${apiUrl}/api/v2/analysis/${final.analysisId}/report?format=markdown`);
    process.stdout.write(await report.text());
  } else {
    say(renderProgressLine(final));
    exitCode = 1;
  }
} catch (err) {
  say(`analysis failed: ${err instanceof Error ? err.message : String(err)}`);
  exitCode = 1;
} finally {
  await stack?.stop();
}
process.exit(exitCode);

async function isApiUp(base: string): Promise<boolean> {
  try {
    const res = await fetch(`${base}/api/v2/health`, { signal: AbortSignal.timeout(1500) });
    return res.status === 200 || res.status === 503;
  } catch {
    return false;
  }
}
