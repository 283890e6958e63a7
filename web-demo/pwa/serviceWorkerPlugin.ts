// Writes /sw.js at build from pwa/sw.js: the list of every file the build emits (the app shell) and a version that
// changes with their content. Hand-written instead of Workbox (vite-plugin-pwa): the demo needs one cache, a
// network-first page and cache-first hashed assets, which is ~60 lines; Workbox would add a large dependency tree
// and a generated worker nobody here reads.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import type { Plugin } from 'vite';

const template = new URL('./sw.js', import.meta.url);
const publicDir = new URL('../public/', import.meta.url);

export function serviceWorkerPlugin(): Plugin {
  return {
    name: 'stage-service-worker',
    apply: 'build',
    // After Vite's own HTML plugin, so the pages are in the bundle too.
    enforce: 'post',
    generateBundle(_options, bundle) {
      const built = Object.keys(bundle).map((file) => `/${file}`);
      const copied = readdirSync(publicDir).map((file) => `/${file}`);
      const shell = ['/', ...new Set([...built, ...copied])].sort();
      const hash = createHash('sha256');
      for (const [file, output] of Object.entries(bundle).sort(([a], [b]) => (a < b ? -1 : 1))) {
        hash.update(file).update(output.type === 'chunk' ? output.code : output.source);
      }
      for (const file of copied) hash.update(file).update(readFileSync(new URL(file.slice(1), publicDir)));
      const version = hash.digest('hex').slice(0, 16);
      const source = readFileSync(template, 'utf8')
        .replace('/* SHELL */ []', JSON.stringify(shell))
        .replace("/* VERSION */ 'dev'", JSON.stringify(version));
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}
