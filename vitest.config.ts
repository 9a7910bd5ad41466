import { defineConfig } from 'vitest/config';

const exclude = ['**/node_modules/**', '**/dist/**', '**/.dev/**'];
// A real language model, installed on demand (~200 MB) and slow on 2 cores: never part of `npm test`.
const realModelDir = 'test/real-model';
const args = process.argv.slice(2);
/**
 * vitest has no opt-in projects: `vitest run` runs every project it is given. So the real-model
 * project is only defined when the command line asks for it: `--project real-model`
 * (`npm run test:real-model`), or a file or folder under test/real-model.
 */
const realModelAsked = args.some(
  (a, i) => a === '--project=real-model' || (a === '--project' && args[i + 1] === 'real-model') || a.includes(realModelDir),
);
// Faults too long for `npm test` (the model endpoint down for ten minutes): opt-in the same way.
const faultsLongDir = 'test/faults/long';
const faultsLongAsked = args.some(
  (a, i) => a === '--project=faults-long' || (a === '--project' && args[i + 1] === 'faults-long') || a.includes(faultsLongDir),
);

export default defineConfig({
  test: {
    // Worker threads with Temporal's native bridge are a reported crash; forks are also vitest's default.
    pool: 'forks',
    // Most integration time is waiting (faults held for 20-60 s, connect timeouts, polls), not CPU:
    // three files at a time on 2 cores keeps the run short, and every test is written to stay
    // green on a machine that busy.
    maxWorkers: 3,
    projects: [
      {
        // Pure logic: no servers, seconds.
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'activities/**/*.test.ts', 'workflows/**/*.test.ts', 'test/support/**/*.test.ts'],
          exclude: [...exclude, '**/*.int.test.ts', `${realModelDir}/**`],
          testTimeout: 30_000,
        },
      },
      {
        // Real Temporal dev server and PostgreSQL, started once for the run by the global setup.
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts', 'test/e2e/**/*.test.ts'],
          exclude: [...exclude, `${realModelDir}/**`],
          globalSetup: ['test/global-setup.ts'],
          // Workflow tests on a 2-core machine are slow; hooks start workers and bundle workflow code.
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Faults injected into the real stack (processes killed, servers stopped): test/faults, beside the integration project.
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          exclude: [...exclude, `${faultsLongDir}/**`],
          // The run's shared Temporal and PostgreSQL; scenarios that stop them start their own.
          globalSetup: ['test/global-setup.ts'],
          // Scenarios wait out faults of 20-60 s and heartbeat timeouts of a minute, all at once (describe.concurrent) on 2 cores.
          maxConcurrency: 10,
          testTimeout: 10 * 60_000,
          hookTimeout: 5 * 60_000,
        },
      },
      ...(faultsLongAsked
        ? [
            {
              test: {
                name: 'faults-long',
                include: [`${faultsLongDir}/**/*.test.ts`],
                exclude,
                globalSetup: ['test/global-setup.ts'],
                testTimeout: 30 * 60_000,
                hookTimeout: 5 * 60_000,
              },
            },
          ]
        : []),
      ...(realModelAsked
        ? [
            {
              // The local model server (src/dev/local-model) with a real model; installs it into .dev/ on first run.
              test: {
                name: 'real-model',
                include: [`${realModelDir}/**/*.test.ts`],
                exclude,
                // pipeline.test.ts runs the real service: the same Temporal dev server and PostgreSQL as the integration project.
                globalSetup: ['test/global-setup.ts'],
                // One model on 2 cores at a time: files in parallel would only slow each other down.
                fileParallelism: false,
                testTimeout: 10 * 60_000,
                // The first run installs node-llama-cpp and the model.
                hookTimeout: 20 * 60_000,
              },
            },
          ]
        : []),
    ],
  },
});
