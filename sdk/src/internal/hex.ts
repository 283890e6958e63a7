// Hex encoding for seals and keys: seals travel as 64 lowercase hex characters, keys as hex in
// welcome frames, random ids as hex. The SDK's one hex encoder: a lookup table keeps this off the
// profile of the sealing hot path. Public as toHex/fromHex (seal/index.ts re-exports them).
const table: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += table[bytes[i]!];
  return out;
}

const hexPattern = /^(?:[0-9a-fA-F]{2})*$/;

/** Bytes of an even-length hex string; throws a TypeError naming the problem otherwise. */
export function fromHex(hex: string): Uint8Array {
  if (typeof hex !== 'string' || !hexPattern.test(hex)) {
    throw new TypeError(`expected an even-length hex string, got ${describe(hex)}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.length > 20 ? value.slice(0, 20) + '…' : value) : typeof value;
}
