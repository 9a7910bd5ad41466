/**
 * `npm run bench`: every figure the issues ask of it in one run of under eight minutes on two cores
 * (the cleaner, the trust of delivered reports, orchestration beside its critical path and the
 * direct limit, status reads, starts, the page cache, the load run, scale and cost), each headline
 * a ratio of two things measured in the same run. The parts run one after another, never beside
 * each other, so no part's work is in another's figures. Starts everything it needs (Temporal dev
 * server, PostgreSQL, worker and API, local sites, model stand-ins) and stops all of it at the end,
 * on error and on Ctrl-C. Only 127.0.0.1 is contacted. The log says how long each part took; so
 * does `parts` in bench/results.json.
 *
 * Options: `npm run bench -- --help` (USAGE below).
 */
import { commandLine } from '../src/dev/cli-args.js';
import { STAND_IN_MODEL, startStandInAi } from '../src/dev/stand-in-ai.js';
import { startAiRouter, type AiRouter } from './ai-router.js';
import { runCache } from './cache.js';
import { cleaningRows } from './cleaning.js';
import { goodAnswerRows } from './good-answers.js';
import { runLoad } from './load.js';
import { runOrchestration } from './orchestration.js';
import { runScale } from './scale.js';
import { runStart } from './start.js';
import { runStatus } from './status.js';
import { notRunRows, runRealModel } from './real-model.js';
import { benchSites } from './sites.js';
import { startBenchService, startBenchStack, type BenchStack } from './stack.js';
import { carryForward, formatTable, mergeResults, writeResults, type Row } from './table.js';
import { runTrust, trustRows } from './trust.js';

const USAGE = `usage: npm run bench -- [options]
  --only <prefix>          only the rows (and the runs behind them) whose name starts with it;
                           they replace their namesakes in bench/results.json
  --real-model             also run the real-model rows (minutes per analysis, so not by default),
                           installing the model into .dev/ if needed; without it the last measured
                           real-model rows are carried over, marked with when they were measured
  --no-real-model          the default; kept so older commands still work
  --real-model-sites N     real-model analyses: ACME, then N-1 saved pages (default 1)
  --real-model-minutes M   give up on (and cancel) a real-model analysis after M minutes (default 20)
  --concurrency N          stand-in analyses at a time (default 3)
  --defuddle               also score defuddle in the cleaning rows (slow: minutes)`;

const { values: args } = commandLine(USAGE, {
  options: {
    only: { type: 'string' },
    'real-model': { type: 'boolean', default: false },
    'no-real-model': { type: 'boolean', default: false },
    'real-model-sites': { type: 'string', default: '1' },
    'real-model-minutes': { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '3' },
    defuddle: { type: 'boolean', default: false },
  },
});

const startedAt = new Date();
const log = (msg: string) => console.error(`[bench +${Math.round((Date.now() - startedAt.getTime()) / 1000)}s] ${msg}`);
const only = args.only ?? '';
const wants = (prefix: string) => prefix.startsWith(only) || only.startsWith(prefix);

// ---- stopping everything, whatever happens -------------------------------------------------------
const STOP_TIMEOUT_MS = 20_000;
const stops: [string, () => Promise<void>][] = [];
const onStop = (what: string, stop: () => Promise<void>) => stops.push([what, stop]);
let stopping: Promise<void> | undefined;
const stopAll = () =>
  (stopping ??= (async () => {
    for (const [what, stop] of stops.splice(0).reverse()) {
      if (interrupted) log(`stopping ${what}...`);
      // After Ctrl-C in a terminal the servers got it too: stopping a worker whose Temporal server
      // is gone can wait forever. Move on; the servers' watchdogs end them when this process exits.
      const done = stop().then(() => true, (err: Error) => (log(`while stopping ${what}: ${err.message}`), true));
      const timeout = new Promise<false>((r) => setTimeout(r, STOP_TIMEOUT_MS, false).unref());
      if (!(await Promise.race([done, timeout]))) log(`${what} did not stop within ${STOP_TIMEOUT_MS / 1000} s; moving on`);
    }
  })());
let interrupted = false;
let interruptedAt = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // The npm script runs `node --import tsx`, not the tsx CLI: the CLI relays a signal to its child
  // and SIGKILLs it when the child is slow (60 ms) to confirm, which a busy bench often is. A repeat
  // within a second is a relay; a second Ctrl-C later gives up on stopping cleanly.
  process.on(signal, () => {
    if (interrupted) {
      if (Date.now() - interruptedAt > 1000) {
        log(`${signal} again: exiting without stopping the rest`);
        process.exit(130);
      }
      return;
    }
    interrupted = true;
    interruptedAt = Date.now();
    log(`${signal}: stopping everything the benchmark started...`);
    void stopAll().finally(() => process.exit(130));
  });
}

// Ctrl-C in a terminal reaches PostgreSQL too: it closes every connection at once, and a pool
// without an error listener reports that as an uncaught error. Expected while stopping; anything
// else still stops everything before exiting.
process.on('uncaughtException', (err: Error & { code?: string }) => {
  if (interrupted) return; // servers going away under running requests: expected now
  if (err.code === '57P01') return log('PostgreSQL closed a connection (it is stopping)');
  log(`uncaught: ${err.stack ?? String(err)}`);
  void stopAll().finally(() => process.exit(1));
});

const resultsFile = new URL('./results.json', import.meta.url);
/** Seconds each part took, in the order they ran: what the eight minutes are spent on. */
const parts: Record<string, number> = {};
async function part<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await run();
  } finally {
    parts[name] = Math.round((Date.now() - started) / 1000);
    log(`${name} took ${parts[name]} s`);
  }
}

async function main(): Promise<Row[]> {
  const sites = await benchSites();
  const kinds = (['misbehaving', 'stand_in'] as const).filter((k) => wants(`trust.${k}`));
  const realModel = wants('real_model') && args['real-model'] && !args['no-real-model'];
  const rows: Row[] = [];
  // Cleaning quality and speed need no servers: the evaluation set (eval/) in this process.
  if (wants('cleaning')) {
    log('scoring the cleaner against Mozilla Readability on the evaluation set...');
    rows.push(...(await part('cleaning', () => cleaningRows({ defuddle: Boolean(args.defuddle) }))));
  }
  // Good answers through the rules: no servers either.
  if (wants('trust.good_answers')) rows.push(...(await part('good answers', async () => goodAnswerRows())));
  if (kinds.length === 0 && !realModel && !['load', 'orchestration', 'direct', 'status', 'start', 'cache', 'scale', 'cost'].some(wants)) return rows;

  log('starting Temporal dev server and PostgreSQL...');
  const stack: BenchStack = await part('stack', () => startBenchStack(log));
  onStop('Temporal and PostgreSQL', stack.stop);
  // Requests that name no known site go to a cooperative stand-in (none are expected).
  const fallback = await startStandInAi();
  onStop('the fallback stand-in', fallback.stop);
  const router: AiRouter = await startAiRouter({ baseUrl: fallback.baseUrl });
  onStop('the AI router', router.stop);
  const common = { stack, site: sites[0]!, log, onStop };

  if (kinds.length > 0) {
    await part('trust', async () => {
      const service = await startBenchService(stack, { OPENAI_BASE_URL: router.baseUrl, OPENAI_MODEL: STAND_IN_MODEL });
      onStop('the worker and API', service.stop);
      log(`${kinds.join(' and ')}: ${sites.length} sites each, ${args.concurrency} analyses at a time`);
      const results = await runTrust({ kinds: [...kinds], sites, router, apiUrl: service.apiUrl, db: stack.db, concurrency: Number(args.concurrency), log });
      await service.stop();
      for (const kind of kinds) rows.push(...trustRows(`trust.${kind}`, results.get(kind) ?? []));
    });
  }
  if (wants('orchestration') || wants('direct')) rows.push(...(await part('orchestration and direct', () => runOrchestration(common))));
  if (wants('status')) rows.push(...(await part('status', () => runStatus(common))));
  if (wants('start')) rows.push(...(await part('start', () => runStart(common))));
  if (wants('cache')) rows.push(...(await part('cache', () => runCache(common))));
  if (wants('load')) rows.push(...(await part('load', () => runLoad(common))));
  if (wants('scale') || wants('cost')) rows.push(...(await part('scale and cost', () => runScale(common))));
  if (realModel) {
    rows.push(
      ...(await part('real model', () =>
        runRealModel({ stack, router, sites, siteCount: Number(args['real-model-sites']), minutes: Number(args['real-model-minutes']), log, onStop }),
      )),
    );
  }
  if (router.unrouted() > 0) log(`warning: ${router.unrouted()} model requests named no known site`);
  return rows;
}

try {
  let rows = await main();
  if (wants('real_model') && !rows.some((r) => r.name.startsWith('real_model.'))) {
    // Minutes per analysis: not in every run. Its last measured figures stay in the table, marked.
    const carried = await carryForward(resultsFile, 'real_model.');
    rows.push(...(carried.length > 0 ? carried : notRunRows('not run: pass --real-model (installs node-llama-cpp and SmolLM2-135M, ~180 MB, into .dev/ once; a few minutes per analysis)')));
    if (carried.length > 0) log(`real_model.* rows carried over from ${carried[0]!.measuredAt} (pass --real-model to measure them again)`);
  }
  rows = rows.filter((r) => r.name.startsWith(only));
  await part('stopping', stopAll);
  console.log(formatTable(rows));
  if (only) {
    await mergeResults(resultsFile, startedAt, rows);
    log('--only: these rows replaced their namesakes in bench/results.json; the other rows are from earlier runs');
  } else await writeResults(resultsFile, startedAt, rows, parts);
  log(`done in ${Math.round((Date.now() - startedAt.getTime()) / 1000)} s: ${Object.entries(parts).map(([name, s]) => `${name} ${s} s`).join(', ')}`);
  process.exit(0);
} catch (err) {
  if (!interrupted) log(`failed: ${(err as Error).stack ?? String(err)}`);
  await stopAll();
  process.exit(interrupted ? 130 : 1);
}
