// One Vitest config, several projects:
// - sdk:node     the SDK suite in Node
// - sdk:browser  the SAME SDK files in real Chromium (Vitest browser mode, Playwright provider)
// - server       the hub and echo server tests (real processes on loopback ports)
import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const sdkTests = ['sdk/src/**/*.test.ts', 'sdk/src/**/*.test.tsx'];
// Tests that need Node (files, child processes) or the DOM end in .node.test.ts / .browser.test.ts.
const nodeOnly = ['sdk/src/**/*.node.test.ts'];
const browserOnly = ['sdk/src/**/*.browser.test.ts', 'sdk/src/**/*.browser.test.tsx'];

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'sdk:node',
          environment: 'node',
          include: sdkTests,
          exclude: browserOnly,
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        optimizeDeps: { include: ['fast-check', 'rxjs', 'rxjs/operators', 'idb', 'zod', 'zod/mini', 'react', 'react-dom/client', 'vue', '@noble/hashes/hmac.js', '@noble/hashes/sha2.js'] },
        test: {
          name: 'sdk:browser',
          include: sdkTests,
          exclude: nodeOnly,
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: chromiumPath,
                args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
      {
        extends: true,
        test: {
          name: 'server',
          environment: 'node',
          include: ['node-server/src/**/*.test.ts', 'node-server/test/**/*.test.ts', 'node-server/extensions/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Hub tests start real processes and bind ports; keep them from starving each other on 2 cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
