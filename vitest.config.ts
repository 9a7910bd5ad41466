import { defineConfig } from 'vitest/config';

const exclude = ['**/node_modules/**', '**/dist/**', '**/.dev/**'];

export default defineConfig({
  test: {
    // Worker threads with Temporal's native bridge are a reported crash; forks are also vitest's default.
    pool: 'forks',
    projects: [
      {
        // Pure logic: no servers, seconds.
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'activities/**/*.test.ts', 'workflows/**/*.test.ts'],
          exclude: [...exclude, '**/*.int.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        // Real Temporal dev server and PostgreSQL, started once for the run by the global setup.
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts', 'test/e2e/**/*.test.ts'],
          exclude,
          globalSetup: ['test/global-setup.ts'],
          // Workflow tests on a 2-core machine are slow; hooks start workers and bundle workflow code.
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
