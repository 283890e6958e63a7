// canonicalJson writes a value through a fast pass and, when that pass gives up (nesting deeper than 256, or
// anything that is not JSON), through a diagnosing pass. Both must write the same canonical text: a body nested deep
// inside a message seals the same as on its own. These tests write every committed vector and a few hand-made
// values both ways (bare, and wrapped 300 levels deep so the diagnosing pass writes them), and read the refusals'
// full messages.
import { describe, expect, it } from 'vitest';
import vectors from '../../test-vectors/seal.json';
import { canonicalJson, CanonicalJsonError } from './canonicalJson.js';

const depth = 300;

/** `value` as the innermost `d` of `depth` nested objects, and its expected canonical text. */
function deep(value: unknown, canonical: string): [unknown, string] {
  let wrapped: unknown = value;
  for (let i = 0; i < depth; i++) wrapped = i % 2 === 0 ? { d: wrapped } : [wrapped];
  let text = canonical;
  for (let i = 0; i < depth; i++) text = i % 2 === 0 ? `{"d":${text}}` : `[${text}]`;
  return [wrapped, text];
}

/** The path of the innermost value in `deep`. */
const deepPath = Array.from({ length: depth }, (_, i) => (depth - 1 - i) % 2 === 0 ? '.d' : '[0]').join('');

const cases: Array<[string, unknown, string]> = [
  ...vectors.canonical.map(({ json, canonical }): [string, unknown, string] => [json, JSON.parse(json), canonical]),
  ['-0 and integers', [-0, 0, 7, -7, 1e300], '[0,0,7,-7,1e+300]'],
  ['booleans and null', [true, false, null], '[true,false,null]'],
  ['undefined properties, first and last', { a: undefined, b: 1, c: undefined, d: 2, e: undefined }, '{"b":1,"d":2}'],
  ['only undefined properties', { a: undefined }, '{}'],
  ['a null-prototype object', Object.assign(Object.create(null) as object, { b: 2, a: 1 }), '{"a":1,"b":2}'],
  ['a string of only characters to escape', '"\\\n\u0000', JSON.stringify('"\\\n\u0000')],
  ['a quote alone', '"', '"\\""'],
  ['a surrogate pair alone', '😀', '"😀"'],
  ['keys to escape', { 'a"b': 1, 'c\\d': 2 }, '{"a\\"b":1,"c\\\\d":2}'],
  ['13 keys (sorted by the other path)', Object.fromEntries('mlkjihgfedcba'.split('').map((k, i) => [k, i])), '{"a":12,"b":11,"c":10,"d":9,"e":8,"f":7,"g":6,"h":5,"i":4,"j":3,"k":2,"l":1,"m":0}'],
  ['12 keys', Object.fromEntries('lkjihgfedcba'.split('').map((k, i) => [k, i])), '{"a":11,"b":10,"c":9,"d":8,"e":7,"f":6,"g":5,"h":4,"i":3,"j":2,"k":1,"l":0}'],
  ['nested arrays and objects', { b: [1, { y: [2, 3], x: {} }], a: [[], [[]]] }, '{"a":[[],[[]]],"b":[1,{"x":{},"y":[2,3]}]}'],
];

describe('canonicalJson, both passes', () => {
  it.each(cases)('writes %s the same bare and nested deep', (_name, value, canonical) => {
    expect(canonicalJson(value)).toBe(canonical);
    const [wrapped, text] = deep(value, canonical);
    expect(canonicalJson(wrapped)).toBe(text);
  });

  const refused: Array<[string, unknown, string, string]> = [
    ['NaN', Number.NaN, '$', 'NaN is not a JSON number'],
    ['-Infinity', [1, Number.NEGATIVE_INFINITY], '$[1]', '-Infinity is not a JSON number'],
    ['a function', { f: () => 1 }, '$.f', 'a function'],
    ['a bigint', { b: 1n }, '$.b', 'a bigint'],
    ['undefined in an array', [1, undefined], '$[1]', 'a undefined'],
    ['a hole', [1, , 3], '$[1]', 'a hole in an array'], // eslint-disable-line no-sparse-arrays
    ['a Date', { when: new Date(0) }, '$.when', 'a Date object (not a plain object)'],
    ['an object whose prototype is another object', { x: Object.create({}) as object }, '$.x', 'a Object object (not a plain object)'],
    ['an object whose prototype has no constructor', { x: Object.create(Object.create(null) as object) as object }, '$.x', 'a unknown object (not a plain object)'],
    ['a lone high surrogate alone', '\uD800', '$', 'a lone surrogate in a string'],
    ['a lone low surrogate alone', '\uDC00', '$', 'a lone surrogate in a string'],
    ['a high surrogate before a non-surrogate', 'a\uD83Db', '$', 'a lone surrogate in a string'],
    ['a high surrogate at the end', 'ab\uD83D', '$', 'a lone surrogate in a string'],
    ['two high surrogates', '\uD83D\uD83D', '$', 'a lone surrogate in a string'],
    ['a low surrogate first', '\uDE00\uD83D', '$', 'a lone surrogate in a string'],
    ['a high surrogate before a private-use character', '\uD83D\uE000', '$', 'a lone surrogate in a string'],
    ['the last low surrogate alone', 'a\uDFFF', '$', 'a lone surrogate in a string'],
    ['a lone surrogate in a key', { ['k\uDBFF']: 1 }, '$.k\uDBFF', 'a lone surrogate in a string'],
  ];

  it.each(refused)('refuses %s, bare and nested deep, saying what and where', (_name, value, path, reason) => {
    for (const [input, where] of [
      [value, path],
      [deep(value, '')[0], '$' + deepPath + path.slice(1)],
    ] as const) {
      let error: unknown;
      try {
        canonicalJson(input);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CanonicalJsonError);
      expect(error).toBeInstanceOf(TypeError);
      expect(error).toMatchObject({
        name: 'CanonicalJsonError',
        code: 'not_json',
        path: where,
        reason,
        message: `canonicalJson: ${reason} at ${where}; bodies must be plain JSON data (objects, arrays, strings, finite numbers, booleans, null)`,
      });
    }
  });

  it('accepts every well-formed surrogate pair, at the edges of the ranges', () => {
    for (const pair of ['\uD800\uDC00', '\uDBFF\uDFFF', '\uD83D\uDE00', '\uE000\uD83D\uDE00\uFFFF']) {
      expect(canonicalJson(pair)).toBe(`"${pair}"`);
      expect(canonicalJson({ [pair]: pair })).toBe(`{"${pair}":"${pair}"}`);
    }
  });

  it('names a cycle where it closes', () => {
    const a: Record<string, unknown> = {};
    a.list = [1, a];
    expect(() => canonicalJson(a)).toThrow(expect.objectContaining({ path: '$.list[1]', reason: 'a cycle' }));
    const shared = { s: 1 };
    expect(canonicalJson({ a: shared, b: [shared, shared] })).toBe('{"a":{"s":1},"b":[{"s":1},{"s":1}]}'); // shared is not a cycle
  });
});
