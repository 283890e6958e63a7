// The Vitest setup StrykerJS mutates the hub's command path against (`npm run mutate`): the tests that exercise
// CommandRunner and AppliedEntries directly or through an in-process hub, in one Node project. PostgreSQL must be
// running (the invariants run on both stores).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    environment: 'node',
    include: ['test/commandRunner.test.ts', 'test/commandRunner.logs.test.ts', 'test/commandRunner.paths.test.ts', 'test/commandRunner.invariants.test.ts', 'test/commandRunner.stuckStore.test.ts', 'test/appliedEntries.test.ts', 'test/commandOrder.test.ts', 'test/storeUnavailable.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
