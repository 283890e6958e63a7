/// <reference types="vite/client" />
// The core must run unchanged in Node and in the browser: it may not import Node built-ins
// or reach for DOM-only globals. Platform code lives in node/, idb/, react/, vue/ only.
import { describe, expect, it } from 'vitest';

const sources = import.meta.glob(['./**/*.ts', '!./**/*.test.ts', '!./node/**', '!./idb/**', '!./react/**', '!./vue/**'], {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

const forbidden: Array<[RegExp, string]> = [
  [/from\s+['"]node:/, 'a node: import'],
  [/from\s+['"](fs|path|net|os|crypto|child_process|events|stream|buffer)['"]/, 'a Node built-in import'],
  // The globals, not a private field named so (`this.#window.`).
  [/(?<![\w$#])window\./, 'window'],
  [/(?<![\w$#])document\./, 'document'],
  [/\bindexedDB\b/, 'indexedDB'],
  [/\bBuffer\./, 'Buffer'],
  [/\bprocess\./, 'process'],
];

describe('isomorphic core', () => {
  it('has source files to check', () => {
    expect(Object.keys(sources).length).toBeGreaterThan(5);
  });
  for (const [file, text] of Object.entries(sources)) {
    it(`${file} imports nothing from Node or the DOM`, () => {
      const code = text.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
      for (const [pattern, what] of forbidden) {
        expect(pattern.test(code), `${file} uses ${what}; move it under node/, idb/, react/ or vue/`).toBe(false);
      }
    });
  }
});
