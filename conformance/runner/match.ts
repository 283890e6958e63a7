// The kit's expectation language (conformance/README.md, "Patterns"): `${name.path}` substitution from the
// conversation's variables, and matching of an actual JSON value against an expected pattern.
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Vars = Record<string, Json>;

const whole = /^\$\{([^}]+)\}$/;
const inner = /\$\{([^}]+)\}/g;

/** The value of `a.b.c` in `vars` (first segment is a variable; a variable name may contain "/"). */
function lookup(vars: Vars, path: string): Json {
  const [head, ...rest] = path.split('.');
  if (!(head! in vars)) throw new Error(`unknown variable \${${path}}`);
  let value: Json = vars[head!]!;
  for (const key of rest) {
    if (value === null || typeof value !== 'object') throw new Error(`\${${path}}: "${key}" of a non-object`);
    value = Array.isArray(value) ? value[Number(key)]! : value[key]!;
    if (value === undefined) throw new Error(`\${${path}}: no "${key}"`);
  }
  return value;
}

/** Replaces `${…}` everywhere in `value` (object keys too): a string that is exactly `${…}` takes the variable's JSON value. */
export function substitute(value: Json, vars: Vars): Json {
  if (typeof value === 'string') {
    const m = whole.exec(value);
    if (m) return lookup(vars, m[1]!);
    return value.replace(inner, (_, path: string) => {
      const v = lookup(vars, path);
      return typeof v === 'string' ? v : JSON.stringify(v);
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [substitute(k, vars) as string, substitute(v, vars)]));
  }
  return value;
}

/**
 * Undefined when `actual` matches `expected`, else a description of the first difference. Objects: every expected
 * key must match ("$absent": must be missing), other keys are ignored. Arrays: same length, element by element.
 * "$any" matches any present value; "$string", "$integer", "$hex64" match by type.
 */
export function mismatch(actual: unknown, expected: Json, at = '$'): string | undefined {
  if (expected === '$any') return actual === undefined ? `${at}: missing` : undefined;
  if (expected === '$string') return typeof actual === 'string' ? undefined : `${at}: expected a string, got ${JSON.stringify(actual)}`;
  if (expected === '$integer') return Number.isInteger(actual) ? undefined : `${at}: expected an integer, got ${JSON.stringify(actual)}`;
  if (expected === '$hex64') return typeof actual === 'string' && /^[0-9a-f]{64}$/.test(actual) ? undefined : `${at}: expected 64 hex digits, got ${JSON.stringify(actual)}`;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${at}: expected an array, got ${JSON.stringify(actual)}`;
    if (actual.length !== expected.length) return `${at}: expected ${expected.length} items, got ${actual.length}: ${JSON.stringify(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const m = mismatch(actual[i], expected[i]!, `${at}[${i}]`);
      if (m) return m;
    }
    return undefined;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return `${at}: expected an object, got ${JSON.stringify(actual)}`;
    const object = actual as Record<string, unknown>;
    for (const [key, value] of Object.entries(expected)) {
      if (value === '$absent') {
        if (key in object) return `${at}.${key}: expected absent, got ${JSON.stringify(object[key])}`;
        continue;
      }
      if (!(key in object)) return `${at}.${key}: missing (got ${JSON.stringify(actual)})`;
      const m = mismatch(object[key], value, `${at}.${key}`);
      if (m) return m;
    }
    return undefined;
  }
  return actual === expected ? undefined : `${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}
