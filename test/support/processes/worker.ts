import { loadConfig } from '../../../src/config.js';
import { createDatabase } from '../../../src/database.js';
import { createLogger } from '../../../src/logger.js';
import { createModelClient } from '../../../src/model-client.js';
import { installTemporalRuntime } from '../../../src/temporal-runtime.js';
import { startWorker } from '../../../src/worker.js';
import { testResolver } from '../test-resolver.js';
import { READY_LINE } from './ready.js';

/*
 * The product's worker as a process of its own, so a fault test can SIGKILL it: configured from the
 * environment like src/main-worker.ts, but with the test resolver (no name goes to the machine's
 * DNS) and, when FAULT_WORKFLOW_BUNDLE names one, a workflow bundle made once for the whole run.
 */
const config = loadConfig();
const logger = createLogger(config.LOG_LEVEL, { service: 'worker' });
// The metrics endpoint only when a test asks for one (fault tests run several workers at once).
installTemporalRuntime(logger, process.env.METRICS_PORT_WORKER ? { metrics: { port: config.METRICS_PORT_WORKER, host: '127.0.0.1' } } : {});
const db = createDatabase(config.DATABASE_URL!);
const ai = createModelClient(config, logger);
const bundle = process.env.FAULT_WORKFLOW_BUNDLE;
const running = await startWorker({
  temporal: config,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  deps: { db, logger, ai, config, resolve: testResolver({ localhost: '127.0.0.1' }) },
  ...(bundle ? { workflowBundle: { codePath: bundle } } : {}),
  shutdownGraceTime: '5s',
});
console.log(READY_LINE);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void running.stop());
}
await running.done;
ai.close();
await db.destroy();
