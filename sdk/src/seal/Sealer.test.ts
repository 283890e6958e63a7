// The client side of a chain on its own: where it stands, what it seals next, that a body it cannot seal moves
// nothing, and that reset puts it back where a store stands.
import { describe, expect, it } from 'vitest';
import { ChainError } from './ChainError.js';
import { ChainVerifier } from './ChainVerifier.js';
import { fromHex } from '../internal/hex.js';
import { GENESIS } from './SealedEntry.js';
import { Sealer } from './Sealer.js';

const keyHex = '3c'.repeat(32);

describe('Sealer', () => {
  it('starts at genesis and seals 0, 1, 2, … each after the previous seal', () => {
    const sealer = new Sealer({ key: keyHex });
    expect(sealer.position).toEqual(GENESIS);
    expect(sealer.nextSeq).toBe(0);
    const a = sealer.seal({ n: 0 });
    const b = sealer.seal({ n: 1 });
    expect([a.seq, b.seq]).toEqual([0, 1]);
    expect(a.body).toEqual({ n: 0 });
    expect(sealer.position).toEqual({ seq: 1, seal: b.seal });
    expect(sealer.nextSeq).toBe(2);
    expect(new ChainVerifier({ key: keyHex }).verify([a, b])).toHaveLength(2);
  });

  it('seals the same with the key as bytes or hex', () => {
    expect(new Sealer({ key: fromHex(keyHex) }).seal({ n: 0 })).toEqual(new Sealer({ key: keyHex }).seal({ n: 0 }));
  });

  it('continues after a given position, as a sealer that sealed up to there', () => {
    const whole = new Sealer({ key: keyHex });
    const first = whole.seal('a');
    const second = whole.seal('b');
    const resumed = new Sealer({ key: keyHex, after: { seq: first.seq, seal: first.seal } });
    expect(resumed.nextSeq).toBe(1);
    expect(resumed.position).toEqual({ seq: 0, seal: first.seal });
    expect(resumed.seal('b')).toEqual(second);
  });

  it('refuses a body that is not JSON as malformed and stays where it was', () => {
    const sealer = new Sealer({ key: keyHex });
    const first = sealer.seal('a');
    let error: unknown;
    try {
      sealer.seal({ bad: Number.POSITIVE_INFINITY });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ChainError);
    expect((error as ChainError).code).toBe('malformed');
    expect((error as ChainError).seq).toBe(1);
    expect((error as ChainError).message).toMatch(/^cannot seal entry 1: /);
    expect((error as ChainError).cause).toBeInstanceOf(Error);
    expect(sealer.position).toEqual({ seq: 0, seal: first.seal });
    const next = sealer.seal('b');
    expect(next.seq).toBe(1);
    expect(new ChainVerifier({ key: keyHex }).verify([first, next])).toHaveLength(2);
  });

  it('resets to a position: the next entry continues from that seq and seal', () => {
    const sealer = new Sealer({ key: keyHex });
    const first = sealer.seal('a');
    const refused = sealer.seal('b'); // say the store refused this one
    sealer.reset({ seq: first.seq, seal: first.seal });
    expect(sealer.position).toEqual({ seq: 0, seal: first.seal });
    expect(sealer.nextSeq).toBe(1);
    expect(sealer.seal('b')).toEqual(refused);
    sealer.reset(GENESIS);
    expect(sealer.seal('a')).toEqual(first);
  });
});
