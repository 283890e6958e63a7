import { defineConfig } from 'vite';
export default defineConfig({
  resolve: { conditions: ['source'] },
  build: { outDir: '../node-server/public', emptyOutDir: true },
});
