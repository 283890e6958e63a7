// The demo's service worker: the app shell offline. At build, serviceWorkerPlugin.ts writes it to /sw.js with
// SHELL (every file of the build: pages, hashed assets, manifest, icons) and VERSION (a hash of them) filled in.
// - install: caches the whole shell in one cache per version, so a reload with no network or no hub still loads;
// - pages (navigations): the network first, so an online reload gets a new deploy; the cached page when the
//   network or the hub is down;
// - hashed assets: the cache first (their names change with their content);
// - the hub's API, WebSocket, SSE and health routes: never touched (state comes from IndexedDB, commands wait in
//   the outbox; a cached answer there would be a lie).
/* global self, caches, fetch, URL, Response */
const SHELL = /* SHELL */ [];
const VERSION = /* VERSION */ 'dev';
const CACHE = `stage-shell-${VERSION}`;
const LIVE = /^\/(api|ws|sse|healthz|readyz|metrics)(\/|$)/;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name.startsWith('stage-shell-') && name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || LIVE.test(url.pathname)) return;
  if (request.mode === 'navigate') {
    event.respondWith(
      fetch(request).catch(async () => {
        const cache = await caches.open(CACHE);
        const page = url.pathname.startsWith('/vue') ? '/vue.html' : '/index.html';
        return (await cache.match(url.pathname)) ?? (await cache.match(page)) ?? Response.error();
      }),
    );
    return;
  }
  event.respondWith(
    caches.open(CACHE).then(async (cache) => (await cache.match(request)) ?? fetch(request)),
  );
});
