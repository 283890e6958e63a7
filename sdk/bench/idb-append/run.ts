// Browser figure: sealed appends/s into IndexedDB in Chromium vs raw batched puts (target >= 0.7x).
// Serves page.ts with Vite on 127.0.0.1, opens it in /usr/bin/chromium (CHROMIUM_PATH overrides)
// through Playwright, and writes bench-results/idb-append.json.
//   node --conditions=source --import tsx sdk/bench/idb-append/run.ts
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import { createServer } from 'vite';
import { writeReport } from '../report.js';

const root = dirname(fileURLToPath(import.meta.url));
const server = await createServer({
  root,
  configFile: false,
  logLevel: 'warn',
  resolve: { conditions: ['source'] },
  server: { host: '127.0.0.1', port: 0, strictPort: false, fs: { allow: [dirname(dirname(dirname(root)))] } },
  optimizeDeps: { include: ['idb', 'rxjs', '@noble/hashes/hmac.js', '@noble/hashes/sha2.js'] },
});
await server.listen();
const address = server.httpServer?.address();
const port = typeof address === 'object' && address !== null ? address.port : 0;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
try {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error('[page]', error));
  await page.goto(`http://127.0.0.1:${port}/index.html`);
  await page.waitForFunction(() => (globalThis as { __result?: unknown }).__result !== undefined, undefined, { timeout: 300_000 });
  const result = (await page.evaluate(() => (globalThis as { __result?: unknown }).__result)) as Record<string, number> & { error?: string };
  if (result.error !== undefined) throw new Error(result.error);
  writeReport({
    name: 'idb-append',
    unit: 'appends/s',
    results: result,
    ratios: {
      'stage/raw (one transaction)': result['stage sealed append, 1 transaction for all']! / result['raw put, 1 transaction for all']!,
      'stage/raw (100 per transaction)': result['stage sealed append, 100 per tick']! / result['raw put, 100 per transaction']!,
    },
    notes: { browser: 'Chromium ' + browser.version(), entries: 20_000, durability: 'relaxed', sealing: '@noble/hashes', target: 'stage/raw >= 0.7' },
  });
} finally {
  await browser.close();
  await server.close();
}
