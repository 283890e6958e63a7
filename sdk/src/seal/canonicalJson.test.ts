import { describe, expect, it } from 'vitest';
import vectors from '../../test-vectors/seal.json';
import { canonicalJson, CanonicalJsonError } from './canonicalJson.js';

describe('canonicalJson', () => {
  it.each(vectors.canonical)('writes the committed canonical form of $json', ({ json, canonical }) => {
    expect(canonicalJson(JSON.parse(json))).toBe(canonical);
  });

  it('is the same text for the same data whatever the key insertion order', () => {
    const a = { x: 1, y: { b: [1, { d: 1, c: 2 }], a: 'é' } };
    const b = { y: { a: 'é', b: [1, { c: 2, d: 1 }] }, x: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
  });

  it('round-trips: parsing the canonical text and writing it again gives the same text', () => {
    const value = { s: 'a"b\\c\n\u0000😀\u2028', n: [0.1, -2, 1e300, 5e-324], o: { '': null, z: true } };
    const text = canonicalJson(value);
    expect(canonicalJson(JSON.parse(text))).toBe(text);
  });

  it('omits object properties that are undefined, as the receiver never sees them', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it('sorts many keys by UTF-16 code units', () => {
    const keys = Array.from({ length: 40 }, (_, i) => String.fromCharCode(0x7a - (i % 26)) + i);
    const value = Object.fromEntries(keys.map((k) => [k, 1]));
    expect(Object.keys(JSON.parse(canonicalJson(value)))).toEqual([...keys].sort());
  });

  it('handles deep nesting without mistaking it for a cycle', () => {
    let deep: unknown = 0;
    for (let i = 0; i < 600; i++) deep = { d: deep };
    expect(canonicalJson(deep)).toBe('{"d":'.repeat(600) + '0' + '}'.repeat(600));
  });

  const cycle: Record<string, unknown> = { a: 1 };
  cycle.self = { back: cycle };
  const holey: unknown[] = [1];
  holey[2] = 3;
  class Point {
    x = 1;
  }
  const refused: Array<[string, unknown, string]> = [
    ['NaN', { a: Number.NaN }, '$.a'],
    ['Infinity', [1, Number.POSITIVE_INFINITY], '$[1]'],
    ['undefined at the top', undefined, '$'],
    ['undefined in an array', [undefined], '$[0]'],
    ['a function', { f: () => 1 }, '$.f'],
    ['a symbol', { s: Symbol('x') }, '$.s'],
    ['a bigint', { b: 1n }, '$.b'],
    ['a Date', { when: new Date(0) }, '$.when'],
    ['a Map', { m: new Map() }, '$.m'],
    ['a class instance', { p: new Point() }, '$.p'],
    ['a cycle', cycle, '$.self.back'],
    ['a hole in an array', holey, '$[1]'],
    ['a lone surrogate', { s: 'a\uD800b' }, '$.s'],
    ['a lone surrogate in a key', { ['k\uDC00']: 1 }, '$.k\uDC00'],
  ];
  it.each(refused)('refuses %s with CanonicalJsonError naming where', (_what, value, path) => {
    const error = (() => {
      try {
        canonicalJson(value);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CanonicalJsonError);
    expect((error as CanonicalJsonError).code).toBe('not_json');
    expect((error as CanonicalJsonError).path).toBe(path);
  });
});
