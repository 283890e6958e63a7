// The web demo: the React app (index.html) and the small Vue page (vue.html), built into the hub's
// static folder so `npm start` serves both, with the PWA's service worker (pwa/) and manifest (public/). `source` resolves @stage/sdk to its TypeScript sources.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import vue from '@vitejs/plugin-vue';
import { serviceWorkerPlugin } from './pwa/serviceWorkerPlugin.js';

const page = (name: string) => fileURLToPath(new URL(name, import.meta.url));
/** The hub `vite dev` forwards /api and /ws to (run `npm start` or the hub CLI beside it). */
const hub = process.env.STAGE_HUB_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react(), vue(), serviceWorkerPlugin()],
  resolve: { conditions: ['source'] },
  define: { __VUE_OPTIONS_API__: 'false', __VUE_PROD_DEVTOOLS__: 'false', __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false' },
  build: {
    outDir: '../node-server/public',
    emptyOutDir: true,
    rollupOptions: { input: { main: page('index.html'), vue: page('vue.html') } },
  },
  server: { proxy: { '/api': hub, '/ws': { target: hub.replace(/^http/, 'ws'), ws: true } } },
});
