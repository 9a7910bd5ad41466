import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGrpcTlsProxy, type GrpcTlsProxy } from '../test/support/grpc-tls-proxy.js';
import { createTestCa, type TestCa } from '../test/support/test-pki.js';
import { loadConfig, type Config } from './config.js';
import { createDatabase, type Db } from './database.js';
import { createLogger } from './logger.js';
import { createModelClient } from './model-client.js';
import { ensureSearchAttributes } from './search-attributes.js';
import { installTemporalRuntime } from './temporal-runtime.js';
import { connectTemporal } from './temporal.js';
import { startWorker } from './worker.js';

/*
 * A secured Temporal cluster from configuration alone. The CLI's dev server has no TLS flags, so a
 * stand-in TLS front end (test/support/grpc-tls-proxy.ts) sits before the run's dev server: one
 * demands a client certificate from the test CA (mutual TLS), one an API key. The API's client, the
 * search-attribute setup and the product's worker connect through it as production would.
 */

const logger = createLogger('warn', { test: 'temporal-tls' });
const API_KEY = `key-${randomUUID()}`;
let ca: TestCa;
let rogueCa: TestCa;
let client: { certPath: string; keyPath: string };
let rogue: { certPath: string; keyPath: string };
let mtls: GrpcTlsProxy;
let keyed: GrpcTlsProxy;
let cloudLike: GrpcTlsProxy;
let workflowBundle: { code: string };
let db: Db;

beforeAll(async () => {
  installTemporalRuntime(logger);
  ca = createTestCa('temporal');
  rogueCa = createTestCa('rogue');
  // The front end's certificate names temporal.test and 127.0.0.1: the tests use both kinds of name check.
  const server = ca.issue('temporal.test', 'server', ['temporal.test', '127.0.0.1']);
  client = ca.issue('persona-worker', 'client');
  rogue = rogueCa.issue('intruder', 'client');
  const target = inject('temporalAddress');
  mtls = await startGrpcTlsProxy({ target, certPath: server.certPath, keyPath: server.keyPath, clientCaPath: ca.caPath });
  keyed = await startGrpcTlsProxy({ target, certPath: server.certPath, keyPath: server.keyPath, apiKey: API_KEY });
  cloudLike = await startGrpcTlsProxy({ target, certPath: server.certPath, keyPath: server.keyPath, apiKey: API_KEY, deniedServices: ['OperatorService'] });
  workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../test/support/echo-workflow.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: (m) => logger.error(m), log() {} },
  });
  db = createDatabase(inject('databaseUrl'), 1);
});

afterAll(async () => {
  await Promise.all([mtls?.stop(), keyed?.stop(), cloudLike?.stop()]);
  await db?.destroy();
  ca?.remove();
  rogueCa?.remove();
});

function configFor(env: Record<string, string>): Config {
  // The AI endpoint is never called: the echo workflow runs no activity.
  return loadConfig({ TEMPORAL_TASK_QUEUE: `tls-${randomUUID()}`, OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', LOG_LEVEL: 'warn', ...env });
}

/** Everything production connects with the configuration: search attributes, the API's client, a worker running a workflow. */
async function runEchoThrough(config: Config): Promise<string> {
  await ensureSearchAttributes(config, logger);
  const { connection, client: temporal } = await connectTemporal(config);
  const ai = createModelClient(config, logger);
  const worker = await startWorker({
    temporal: config,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    deps: { db, logger, ai, config },
    workflowBundle,
    shutdownGraceTime: '1s',
  });
  try {
    return await temporal.workflow.execute('echoWorkflow', { taskQueue: config.TEMPORAL_TASK_QUEUE, workflowId: `echo-${randomUUID()}`, args: ['hello'] });
  } finally {
    await worker.stop();
    await connection.close();
    ai.close();
  }
}

/** What a client connection and a worker connection say when refused. */
async function refusals(config: Config): Promise<{ client: string; worker: string }> {
  const message = (p: Promise<unknown>) =>
    p.then(
      () => 'connected',
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
  const ai = createModelClient(config, logger);
  const [clientMessage, workerMessage] = await Promise.all([
    message(connectTemporal(config)),
    message(startWorker({ temporal: config, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE, deps: { db, logger, ai, config }, workflowBundle })),
  ]);
  ai.close();
  return { client: clientMessage, worker: workerMessage };
}

// Refused connections each wait out the connect timeout (about 10 s): these cases run side by side
// (the API-key block counts the proxy's refusals, so its cases run one after another).
describe.concurrent('mutual TLS (TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, TEMPORAL_TLS_CA, TEMPORAL_TLS_SERVER_NAME)', () => {
  it('the API client, the search-attribute setup and a worker connect with a client certificate and run a workflow', async () => {
    const config = configFor({
      TEMPORAL_ADDRESS: mtls.address,
      TEMPORAL_TLS_CERT: client.certPath,
      TEMPORAL_TLS_KEY: client.keyPath,
      TEMPORAL_TLS_CA: ca.caPath,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
    });
    const before = mtls.forwarded.length;

    await expect(runEchoThrough(config)).resolves.toBe(`hello (ran on ${config.TEMPORAL_TASK_QUEUE})`);

    const calls = mtls.forwarded.slice(before);
    expect(calls).toEqual(
      expect.arrayContaining([
        'OperatorService/ListSearchAttributes',
        'WorkflowService/StartWorkflowExecution',
        'WorkflowService/PollWorkflowTaskQueue',
        'WorkflowService/RespondWorkflowTaskCompleted',
        'WorkflowService/PollActivityTaskQueue',
      ]),
    );
    expect([...mtls.clientNames]).toEqual(['persona-worker']);
  });

  it('the address alone is checked against the certificate when no server name is set', async () => {
    const config = configFor({ TEMPORAL_ADDRESS: mtls.address, TEMPORAL_TLS_CERT: client.certPath, TEMPORAL_TLS_KEY: client.keyPath, TEMPORAL_TLS_CA: ca.caPath });
    const { connection, client: temporal } = await connectTemporal(config);
    try {
      const { namespaceInfo } = await temporal.workflowService.describeNamespace({ namespace: config.TEMPORAL_NAMESPACE });
      expect(namespaceInfo?.name).toBe(config.TEMPORAL_NAMESPACE);
    } finally {
      await connection.close();
    }
  });

  it('without a client certificate, the client and the worker fail saying to set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY', async () => {
    const config = configFor({ TEMPORAL_ADDRESS: mtls.address, TEMPORAL_TLS_CA: ca.caPath, TEMPORAL_TLS_SERVER_NAME: 'temporal.test' });
    const { client: clientMessage, worker: workerMessage } = await refusals(config);
    for (const message of [clientMessage, workerMessage]) {
      expect(message).toContain(`Cannot connect to Temporal at ${mtls.address} over TLS`);
      expect(message).toMatch(/asks for a client certificate .* set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY/);
    }
  });

  it('a client certificate from another CA is refused, and the message points at TEMPORAL_TLS_CERT', async () => {
    const config = configFor({ TEMPORAL_ADDRESS: mtls.address, TEMPORAL_TLS_CERT: rogue.certPath, TEMPORAL_TLS_KEY: rogue.keyPath, TEMPORAL_TLS_CA: ca.caPath });
    const { client: clientMessage, worker: workerMessage } = await refusals(config);
    for (const message of [clientMessage, workerMessage]) {
      expect(message).toMatch(/refus\w* the client certificate in TEMPORAL_TLS_CERT/);
    }
    expect([...mtls.clientNames]).not.toContain('intruder');
  });

  it("a server certificate this process cannot verify is named as such: set TEMPORAL_TLS_CA, or TEMPORAL_TLS_SERVER_NAME", async () => {
    const noCa = await refusals(configFor({ TEMPORAL_ADDRESS: mtls.address, TEMPORAL_TLS_CERT: client.certPath, TEMPORAL_TLS_KEY: client.keyPath }));
    expect(noCa.client).toMatch(/not signed by a CA this machine trusts: set TEMPORAL_TLS_CA/);
    expect(noCa.worker).toMatch(/not signed by a CA this machine trusts: set TEMPORAL_TLS_CA/);
    const wrongName = await refusals(
      configFor({ TEMPORAL_ADDRESS: mtls.address, TEMPORAL_TLS_CERT: client.certPath, TEMPORAL_TLS_KEY: client.keyPath, TEMPORAL_TLS_CA: ca.caPath, TEMPORAL_TLS_SERVER_NAME: 'elsewhere.test' }),
    );
    expect(wrongName.client).toMatch(/not issued for the name elsewhere\.test: check TEMPORAL_TLS_SERVER_NAME/);
    expect(wrongName.worker).toMatch(/not issued for the name elsewhere\.test: check TEMPORAL_TLS_SERVER_NAME/);
  });
});

describe('API key (TEMPORAL_API_KEY)', () => {
  // Temporal Cloud's certificate is publicly trusted; the stand-in's comes from the test CA, hence TEMPORAL_TLS_CA.
  it('the API client, the search-attribute setup and a worker connect with the key over TLS and run a workflow', async () => {
    const config = configFor({ TEMPORAL_ADDRESS: keyed.address, TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS_CA: ca.caPath });
    const before = keyed.forwarded.length;
    const refusedBefore = keyed.refused.length;

    await expect(runEchoThrough(config)).resolves.toBe(`hello (ran on ${config.TEMPORAL_TASK_QUEUE})`);

    expect(keyed.forwarded.slice(before)).toEqual(
      expect.arrayContaining(['OperatorService/ListSearchAttributes', 'WorkflowService/StartWorkflowExecution', 'WorkflowService/PollWorkflowTaskQueue']),
    );
    expect(keyed.refused.length).toBe(refusedBefore);
  });

  it('a wrong key fails at once, for the client and the worker, saying to check TEMPORAL_API_KEY', async () => {
    const config = configFor({ TEMPORAL_ADDRESS: keyed.address, TEMPORAL_API_KEY: 'not-the-key', TEMPORAL_TLS_CA: ca.caPath });
    const refusedBefore = keyed.refused.length;
    const { client: clientMessage, worker: workerMessage } = await refusals(config);
    for (const message of [clientMessage, workerMessage]) {
      expect(message).toContain(`Cannot connect to Temporal at ${keyed.address} over TLS with API key`);
      expect(message).toMatch(/the server refused the API key: check TEMPORAL_API_KEY/);
      expect(message).not.toContain('not-the-key');
    }
    expect(keyed.refused.length).toBeGreaterThan(refusedBefore);
  });

  it('no key at all: the message says the server requires authentication', async () => {
    const config = configFor({ TEMPORAL_ADDRESS: keyed.address, TEMPORAL_TLS_CA: ca.caPath });
    const { client: clientMessage, worker: workerMessage } = await refusals(config);
    for (const message of [clientMessage, workerMessage]) {
      expect(message).toMatch(/requires authentication: set TEMPORAL_API_KEY, or TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY/);
    }
  });

  it('TLS to a port without TLS (the plain dev server) says the server does not speak TLS', async () => {
    const config = configFor({ TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_API_KEY: API_KEY });
    const { client: clientMessage, worker: workerMessage } = await refusals(config);
    expect(clientMessage).toMatch(/does not speak TLS/);
    expect(workerMessage).toMatch(/does not speak TLS/);
  });
});

describe('a server that denies the Operator API to clients, as Temporal Cloud does', () => {
  it('the search-attribute setup checks the attributes through visibility instead and lets start-up go on', async () => {
    const config = configFor({ TEMPORAL_ADDRESS: cloudLike.address, TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS_CA: ca.caPath });
    await ensureSearchAttributes(config, logger);
    expect(cloudLike.refused).toContain('OperatorService/ListSearchAttributes');
    expect(cloudLike.forwarded).toContain('WorkflowService/CountWorkflowExecutions');
  });

  it('attributes missing from the namespace stop start-up with the commands that add them', async () => {
    // A namespace of its own on the dev server: it has none of the product's search attributes.
    const namespace = `bare-${randomUUID()}`;
    const plain = await Connection.connect({ address: inject('temporalAddress') });
    try {
      await plain.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    } finally {
      await plain.close();
    }
    const config = configFor({ TEMPORAL_ADDRESS: cloudLike.address, TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS_CA: ca.caPath, TEMPORAL_NAMESPACE: namespace });
    const error = await ensureSearchAttributes(config, logger).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error?.message).toContain(`The search attributes SiteDomain, AnalysisStatus (Keyword) are not registered in namespace ${namespace}`);
    expect(error?.message).toContain(`tcld namespace search-attributes add --namespace ${namespace} --search-attribute SiteDomain=Keyword`);
  });
});
