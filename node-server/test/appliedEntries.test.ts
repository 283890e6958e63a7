// AppliedEntries recognises a resent entry as already applied only when its seq, its seal AND its body agree: the
// seal must be the one applied at that seq, and the body, sealed after the previous entry's seal, must give it.
// A seq the hub applied with another seal (a forked chain) is not "applied"; the hub then checks it against the
// chain (and refuses it) instead of answering it as a duplicate. Mutants that ignored the seal survived the suite
// (issue 16).
import { describe, expect, it } from 'vitest';
import { canonicalJson, fromHex, GENESIS_SEAL, Sealer, type SealedEntry } from '@stage/sdk';
import { nodeSealing } from '@stage/sdk/node';
import { AppliedEntries } from '../src/hub/AppliedEntries.js';

const keys: Record<string, Uint8Array> = { s1: new Uint8Array(32).fill(7), s2: new Uint8Array(32).fill(9) };
const keyOf = (sessionId: string): Uint8Array => keys[sessionId]!;

/** The chain a device of `sessionId` seals: entries 0..n-1 with bodies { n: i }. */
function chain(sessionId: string, n: number): Array<SealedEntry<unknown>> {
  const sealer = new Sealer({ key: keyOf(sessionId) });
  return Array.from({ length: n }, (_, i) => sealer.seal({ n: i }) as SealedEntry<unknown>);
}

/** `body` sealed as entry `seq` after `prevSeal`, with the session's key: a valid seal for another chain. */
function sealAfter(sessionId: string, prevSeal: string, seq: number, body: unknown): SealedEntry<unknown> {
  const seal = nodeSealing.sealer(keyOf(sessionId));
  return { seq, body, seal: nodeSealing.toHex(seal(fromHex(prevSeal), seq, canonicalJson(body))) };
}

function applied(sessionId: string, entries: Array<SealedEntry<unknown>>, perSession?: number): AppliedEntries {
  const a = new AppliedEntries(nodeSealing, keyOf, perSession);
  for (const e of entries) a.record(sessionId, e.seq, e.seal);
  return a;
}

describe('AppliedEntries', () => {
  it('recognises every applied entry resent as it was sealed, the first one (after the genesis seal) too', () => {
    const entries = chain('s1', 4);
    const a = applied('s1', entries);
    for (const e of entries) expect(a.match('s1', e)).toBe('applied');
    expect(sealAfter('s1', GENESIS_SEAL, 0, { n: 0 })).toEqual(entries[0]);
  });

  it('answers body_mismatch for an applied seq and seal that come with another body', () => {
    const entries = chain('s1', 3);
    const a = applied('s1', entries);
    expect(a.match('s1', { ...entries[0]!, body: { n: 'forged' } })).toBe('body_mismatch');
    expect(a.match('s1', { ...entries[2]!, body: { n: 'forged' } })).toBe('body_mismatch');
    // A body that is not JSON cannot have been sealed.
    expect(a.match('s1', { ...entries[1]!, body: { n: Number.NaN } })).toBe('body_mismatch');
  });

  it('does not take a validly sealed fork of an applied seq for the applied entry', () => {
    const entries = chain('s1', 3);
    const a = applied('s1', entries);
    // The device (it has the key) seals another body as entry 2 after entry 1: a second chain from entry 1 on.
    const fork = sealAfter('s1', entries[1]!.seal, 2, { n: 'other' });
    expect(fork.seal).not.toBe(entries[2]!.seal);
    expect(a.match('s1', fork)).toBe('unknown');
    // Likewise at seq 0, after the genesis seal.
    expect(a.match('s1', sealAfter('s1', GENESIS_SEAL, 0, { n: 'other' }))).toBe('unknown');
  });

  it('does not take an entry of another session, or one sealed with another key, for an applied one', () => {
    const mine = chain('s1', 2);
    const theirs = chain('s2', 2);
    const a = applied('s1', mine);
    for (const e of theirs) a.record('s2', e.seq, e.seal);
    expect(a.match('s2', theirs[1]!)).toBe('applied');
    expect(a.match('s2', mine[1]!)).toBe('unknown');
    expect(a.match('s1', theirs[1]!)).toBe('unknown');
    // s1's seq and seal recorded under s2: the body is checked with s2's key, and does not seal to it.
    a.record('s2', 1, mine[1]!.seal);
    a.record('s2', 0, mine[0]!.seal);
    expect(a.match('s2', mine[1]!)).toBe('body_mismatch');
  });

  it('answers unknown for a seq never applied, a session it never saw, and after forget', () => {
    const entries = chain('s1', 3);
    const a = applied('s1', entries.slice(0, 2));
    expect(a.match('s1', entries[2]!)).toBe('unknown');
    expect(a.match('s2', entries[0]!)).toBe('unknown');
    a.forget('s1');
    expect(a.match('s1', entries[0]!)).toBe('unknown');
    a.record('s1', entries[0]!.seq, entries[0]!.seal);
    expect(a.match('s1', entries[0]!)).toBe('applied');
  });

  it('keeps the newest `perSession` entries; one whose predecessor was dropped cannot be checked: unknown', () => {
    const entries = chain('s1', 5);
    const a = applied('s1', entries, 2);
    expect(entries.map((e) => a.match('s1', e))).toEqual(['unknown', 'unknown', 'unknown', 'unknown', 'applied']);
    const wide = applied('s1', entries, 3);
    expect(entries.map((e) => wide.match('s1', e))).toEqual(['unknown', 'unknown', 'unknown', 'applied', 'applied']);
    // Recording a seq again does not grow the set past its bound.
    wide.record('s1', 4, entries[4]!.seal);
    expect(entries.map((e) => wide.match('s1', e))).toEqual(['unknown', 'unknown', 'unknown', 'applied', 'applied']);
  });
});
