// Canonical JSON: the one byte string a body is sealed over, so that a seal computed by the
// client (over its in-memory object) verifies on the server (over the object it parsed off the
// wire). The rules follow RFC 8785 (JCS) and are specified in sdk/docs/sealed-logs.md:
// - object keys sorted by UTF-16 code units (what Array.prototype.sort does), no whitespace;
// - strings as JSON.stringify writes them (", \ and control characters escaped, everything
//   else raw, to be encoded as UTF-8); lone surrogates are refused, they have no UTF-8 form;
// - numbers must be finite and are written as ECMAScript Number#toString (so -0 is "0");
// - object properties whose value is undefined are omitted (as JSON.stringify does, and as the
//   receiver sees them after transport); anything else that is not JSON is refused:
//   undefined elsewhere, functions, symbols, bigints, NaN/Infinity, cycles, and objects that are
//   not plain (Date, Map, class instances), since their JSON form would not round-trip.

/** A value that has no canonical JSON form. `path` says where it is (`$.a[2].b`). */
export class CanonicalJsonError extends TypeError {
  readonly code = 'not_json' as const;
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`canonicalJson: ${reason} at ${path}; bodies must be plain JSON data (objects, arrays, strings, finite numbers, booleans, null)`);
    this.name = 'CanonicalJsonError';
  }
}

const surrogate = /[\uD800-\uDFFF]/;
/** Characters JSON.stringify escapes, plus surrogates (checked for pairing): strings without them are quoted as they are. */
const special = /["\\\u0000-\u001f\uD800-\uDFFF]/;
/** Deeper than this and a value is treated as a possible cycle and re-walked by the diagnosing pass. */
const maxFastDepth = 256;

/** The canonical JSON text of `value`; throws CanonicalJsonError for anything that is not JSON. */
export function canonicalJson(value: unknown): string {
  // The fast pass carries no path and no cycle stack; when it finds anything wrong it defers to
  // the diagnosing pass, which finds the exact path (or, past maxFastDepth, a cycle).
  const text = fast(value, 0);
  return text === undefined ? diagnose(value, '$', []) : text;
}

function fast(value: unknown, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Number.isFinite(value) ? (value === 0 ? '0' : String(value)) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (depth > maxFastDepth) return undefined;
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) return undefined;
          const item = fast(value[i], depth + 1);
          if (item === undefined) return undefined;
          out += i === 0 ? item : ',' + item;
        }
        return out + ']';
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) return undefined;
      const record = value as Record<string, unknown>;
      const keys = sortKeys(Object.keys(record));
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const raw = record[key];
        if (raw === undefined) continue;
        const item = fast(raw, depth + 1);
        const quotedKey = quote(key);
        if (item === undefined || quotedKey === undefined) return undefined;
        out += (out.length === 1 ? '' : ',') + quotedKey + ':' + item;
      }
      return out + '}';
    }
    default:
      return undefined;
  }
}

function quote(value: string): string | undefined {
  if (!special.test(value)) return '"' + value + '"';
  return surrogate.test(value) && !isWellFormed(value) ? undefined : JSON.stringify(value);
}

/** Sorts by UTF-16 code units, like Array.prototype.sort; insertion sort is faster for the few keys of a message body. */
function sortKeys(keys: string[]): string[] {
  if (keys.length > 12) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

function diagnose(value: unknown, path: string, stack: object[]): string {
  switch (typeof value) {
    case 'string':
      return diagnoseString(value, path);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(path, `${value} is not a JSON number`);
      return value === 0 ? '0' : String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (stack.includes(value)) throw new CanonicalJsonError(path, 'a cycle');
      stack.push(value);
      const text = Array.isArray(value) ? diagnoseArray(value, path, stack) : diagnoseObject(value, path, stack);
      stack.pop();
      return text;
    }
    default:
      throw new CanonicalJsonError(path, `a ${typeof value}`);
  }
}

function diagnoseString(value: string, path: string): string {
  if (surrogate.test(value) && !isWellFormed(value)) throw new CanonicalJsonError(path, 'a lone surrogate in a string');
  return JSON.stringify(value);
}

function diagnoseArray(value: unknown[], path: string, stack: object[]): string {
  let out = '[';
  for (let i = 0; i < value.length; i++) {
    if (!(i in value)) throw new CanonicalJsonError(`${path}[${i}]`, 'a hole in an array');
    if (i > 0) out += ',';
    out += diagnose(value[i], `${path}[${i}]`, stack);
  }
  return out + ']';
}

function diagnoseObject(value: object, path: string, stack: object[]): string {
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
    throw new CanonicalJsonError(path, `a ${name} object (not a plain object)`);
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    const itemPath = `${path}.${key}`;
    if (!first) out += ',';
    first = false;
    out += diagnoseString(key, itemPath) + ':' + diagnose(item, itemPath, stack);
  }
  return out + '}';
}
function isWellFormed(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}
