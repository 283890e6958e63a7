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

/** The canonical JSON text of `value`; throws CanonicalJsonError for anything that is not JSON. */
export function canonicalJson(value: unknown): string {
  return write(value, '$', []);
}

function write(value: unknown, path: string, stack: object[]): string {
  switch (typeof value) {
    case 'string':
      return writeString(value, path);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(path, `${value} is not a JSON number`);
      return value === 0 ? '0' : String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (stack.includes(value)) throw new CanonicalJsonError(path, 'a cycle');
      stack.push(value);
      const text = Array.isArray(value) ? writeArray(value, path, stack) : writeObject(value, path, stack);
      stack.pop();
      return text;
    }
    default:
      throw new CanonicalJsonError(path, `a ${typeof value}`);
  }
}

function writeString(value: string, path: string): string {
  if (surrogate.test(value) && !isWellFormed(value)) throw new CanonicalJsonError(path, 'a lone surrogate in a string');
  return JSON.stringify(value);
}

function writeArray(value: unknown[], path: string, stack: object[]): string {
  let out = '[';
  for (let i = 0; i < value.length; i++) {
    if (!(i in value)) throw new CanonicalJsonError(`${path}[${i}]`, 'a hole in an array');
    if (i > 0) out += ',';
    out += write(value[i], `${path}[${i}]`, stack);
  }
  return out + ']';
}

function writeObject(value: object, path: string, stack: object[]): string {
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
    out += writeString(key, itemPath) + ':' + write(item, itemPath, stack);
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
