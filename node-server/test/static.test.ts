// The web demo as a browser gets it from the hub: precompressed at build (brotli and gzip beside each file), the
// smallest encoding the browser accepts, hashed assets cached for a year, everything else revalidated by ETag.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { precompress } from '../src/http/precompress.js';
import { startTestHub } from './support/startTestHub.js';

let hub: Awaited<ReturnType<typeof startTestHub>>;
let publicDir: string;
const indexHtml = `<!doctype html><title>demo</title>${'<p>hello stage</p>'.repeat(300)}`;
const manifest = JSON.stringify({ name: 'Stage', start_url: '/', display: 'standalone', icons: [{ src: '/icon-192.png', sizes: '192x192', type: 'image/png' }] });
const serviceWorker = `const SHELL = ["/","/index.html"];\nself.addEventListener('install', () => self.skipWaiting());\n`;
const appJs = `export const words = ${JSON.stringify(Array.from({ length: 500 }, (_, i) => `word${i % 50}`))};`;

beforeAll(async () => {
  hub = await startTestHub();
  publicDir = join(hub.dataDir, 'public');
  mkdirSync(join(publicDir, 'assets'), { recursive: true });
  writeFileSync(join(publicDir, 'index.html'), indexHtml);
  writeFileSync(join(publicDir, 'assets', 'app-3f9a1c.js'), appJs);
  writeFileSync(join(publicDir, 'tiny.txt'), 'hi');
  writeFileSync(join(publicDir, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  writeFileSync(join(publicDir, 'manifest.webmanifest'), manifest);
  writeFileSync(join(publicDir, 'sw.js'), serviceWorker);
  precompress(publicDir);
  await hub.close();
  hub = await startTestHub({ dataDir: hub.dataDir, publicDir });
});
afterAll(async () => hub?.stop());

function get(path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = http.request(`${hub.url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('static files', () => {
  it('precompresses compressible files at build, only when it saves bytes', () => {
    expect(existsSync(join(publicDir, 'index.html.br'))).toBe(true);
    expect(existsSync(join(publicDir, 'index.html.gz'))).toBe(true);
    expect(existsSync(join(publicDir, 'assets', 'app-3f9a1c.js.br'))).toBe(true);
    expect(existsSync(join(publicDir, 'tiny.txt.br'))).toBe(false);
    expect(existsSync(join(publicDir, 'logo.png.gz'))).toBe(false);
  });

  it('sends brotli, else gzip, else the file, each with its length', async () => {
    const br = await get('/assets/app-3f9a1c.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toBe('accept-encoding');
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(br.body.length).toBeLessThan(appJs.length / 4);
    expect(brotliDecompressSync(br.body).toString()).toBe(appJs);

    const gz = await get('/assets/app-3f9a1c.js', { 'accept-encoding': 'gzip, br;q=0' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(appJs);

    const plain = await get('/assets/app-3f9a1c.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['content-type']).toContain('javascript');
    expect(plain.body.toString()).toBe(appJs);
    expect(Number(plain.headers['content-length'])).toBe(appJs.length);
  });

  it('caches hashed assets for a year; revalidates the rest by ETag (304 when unchanged)', async () => {
    expect((await get('/assets/app-3f9a1c.js')).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const page = await get('/', { 'accept-encoding': 'br' });
    expect(page.headers['cache-control']).toBe('no-cache');
    const etag = page.headers.etag!;
    expect(etag).toMatch(/^".+"$/);
    const again = await get('/', { 'accept-encoding': 'br', 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    // Another encoding is another representation: not matched by the brotli tag.
    expect((await get('/', { 'if-none-match': etag })).status).toBe(200);
    expect((await get('/', { 'if-none-match': '"stale"' })).status).toBe(200);
  });

  it('serves the PWA manifest as application/manifest+json and the service worker as a script, both revalidated', async () => {
    const m = await get('/manifest.webmanifest');
    expect(m.status).toBe(200);
    expect(m.headers['content-type']).toBe('application/manifest+json; charset=utf-8');
    expect(JSON.parse(m.body.toString())).toMatchObject({ name: 'Stage', display: 'standalone' });
    const sw = await get('/sw.js');
    expect(sw.status).toBe(200);
    expect(sw.headers['content-type']).toBe('text/javascript; charset=utf-8');
    // A new deploy's worker must be seen at the next visit: never cached for long.
    expect(sw.headers['cache-control']).toBe('no-cache');
    expect(sw.body.toString()).toBe(serviceWorker);
  });

  it('falls back to index.html for client routes, answers HEAD without a body, never leaves the root', async () => {
    const route = await get('/streams/general', { 'accept-encoding': 'gzip' });
    expect(gunzipSync(route.body).toString()).toBe(indexHtml);
    const head = await get('/index.html', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(indexHtml.length);
    expect(head.body.length).toBe(0);
    expect((await get('/..%2f..%2fsecret')).status).toBe(404);
    expect((await get('/missing.js')).status).toBe(404);
  });
});
