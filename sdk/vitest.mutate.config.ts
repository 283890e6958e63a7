// The Vitest setup StrykerJS mutates against (`npm run mutate`): the SDK's Node tests of the modules under
// mutation only, in one Node project (Stryker runs the suite once per mutant, so no browser project here).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    environment: 'node',
    include: ['src/mailbox/**/*.test.ts', 'src/seal/**/*.test.ts', 'src/internal/**/*.test.ts'],
    exclude: ['src/**/*.browser.test.ts'],
    testTimeout: 300_000,
  },
});
