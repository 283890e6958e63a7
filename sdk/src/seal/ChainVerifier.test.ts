// The verifier on its own: what a server relies on when it checks a client's entries (which code, which seq,
// which session an error names; what moves and what does not), without a SessionHandler around it.
import { describe, expect, it } from 'vitest';
import { ChainError, type ChainErrorCode } from './ChainError.js';
import { ChainVerifier } from './ChainVerifier.js';
import { fromHex } from '../internal/hex.js';
import { GENESIS, type SealedEntry } from './SealedEntry.js';
import { Sealer } from './Sealer.js';

const keyHex = '4b'.repeat(32);
const otherKeyHex = '77'.repeat(32);

function chain(count: number, key: string = keyHex, from = 0): SealedEntry<{ n: number }>[] {
  const sealer = new Sealer({ key });
  const all = Array.from({ length: from + count }, (_, n) => sealer.seal({ n }));
  return all.slice(from);
}

/** The ChainError `run` throws (fails the test if it throws something else or nothing). */
function refusal(run: () => unknown): ChainError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ChainError);
    return error as ChainError;
  }
  throw new Error('expected a ChainError');
}

function expectRefused(run: () => unknown, code: ChainErrorCode, seq: number | undefined): ChainError {
  const error = refusal(run);
  expect({ code: error.code, seq: error.seq }).toEqual({ code, seq });
  return error;
}

describe('ChainVerifier', () => {
  it('starts at genesis and moves only on advance, counting the entries it moved over', () => {
    const verifier = new ChainVerifier({ key: keyHex });
    expect(verifier.position).toEqual(GENESIS);
    expect(verifier.nextSeq).toBe(0);
    expect(verifier.verified).toBe(0);
    const entries = chain(3);
    const run = verifier.check(entries);
    expect(run.from).toEqual(GENESIS);
    expect(run.to).toEqual({ seq: 2, seal: entries[2]!.seal });
    expect(run.entries).toEqual(entries);
    expect(verifier.position).toEqual(GENESIS); // check moves nothing
    verifier.advance(run);
    expect(verifier.position).toEqual({ seq: 2, seal: entries[2]!.seal });
    expect(verifier.nextSeq).toBe(3);
    expect(verifier.verified).toBe(3);
    expect(verifier.verify(chain(2, keyHex, 3))).toHaveLength(2);
    expect(verifier.verified).toBe(5);
    expect(verifier.nextSeq).toBe(5);
  });

  it('takes the key as bytes or hex', () => {
    const entries = chain(2);
    expect(new ChainVerifier({ key: fromHex(keyHex) }).verify(entries)).toHaveLength(2);
    expect(new ChainVerifier({ key: keyHex }).verify(entries)).toHaveLength(2);
  });

  it('continues after a given position with that entry’s seal as the previous one', () => {
    const entries = chain(5);
    const verifier = new ChainVerifier({ key: keyHex, after: { seq: 2, seal: entries[2]!.seal } });
    expect(verifier.nextSeq).toBe(3);
    expect(verifier.verify(entries.slice(3))).toHaveLength(2);
    expect(verifier.position.seq).toBe(4);
    // the same entries after a different seal do not verify
    const wrongPrev = new ChainVerifier({ key: keyHex, after: { seq: 2, seal: entries[1]!.seal } });
    expectRefused(() => wrongPrev.check(entries.slice(3, 4)), 'broken_seal', 3);
    // the entry it continues after came again: a duplicate (it has not verified it, so cannot compare)
    expectRefused(() => verifier.check([entries[4]]), 'duplicate', 4);
    const fresh = new ChainVerifier({ key: keyHex, after: { seq: 2, seal: entries[2]!.seal } });
    expectRefused(() => fresh.check([entries[2]]), 'duplicate', 2);
  });

  it('checks an empty run as going nowhere', () => {
    const entries = chain(2);
    const verifier = new ChainVerifier({ key: keyHex });
    verifier.verify(entries);
    const run = verifier.check([]);
    expect(run.entries).toEqual([]);
    expect(run.to).toEqual(verifier.position);
    verifier.advance(run);
    expect(verifier.position).toEqual({ seq: 1, seal: entries[1]!.seal });
    expect(verifier.verify(chain(1, keyHex, 2))).toHaveLength(1); // the previous seal is still the last entry's
  });

  it('refuses to advance over a run checked from another position, and stays where it was', () => {
    const entries = chain(4);
    const verifier = new ChainVerifier({ key: keyHex });
    const first = verifier.check(entries.slice(0, 2));
    const stale = verifier.check(entries.slice(0, 2));
    verifier.advance(first);
    expect(() => verifier.advance(stale)).toThrow(/checked from another position/);
    expect(verifier.verified).toBe(2);
    expect(verifier.position.seq).toBe(1);
  });

  it('names the missing seq of a gap and the session', () => {
    const entries = chain(4);
    const verifier = new ChainVerifier({ key: keyHex, sessionId: 's-1' });
    verifier.verify(entries.slice(0, 1));
    const error = expectRefused(() => verifier.check([entries[2]]), 'gap', 1);
    expect(error.sessionId).toBe('s-1');
    expect(error.message).toBe('entry 1 of session s-1 is missing: expected seq 1, got 2');
    expectRefused(() => verifier.check([entries[1], entries[3]]), 'gap', 2);
    expect(verifier.position.seq).toBe(0);
  });

  it('tells a duplicate (same seal) from a fork (another seal at a verified seq)', () => {
    const entries = chain(3);
    const forked = chain(3, otherKeyHex);
    const verifier = new ChainVerifier({ key: keyHex, sessionId: 's-2' });
    verifier.verify(entries);
    const dup = expectRefused(() => verifier.check([entries[1]]), 'duplicate', 1);
    expect(dup.message).toBe('entry 1 of session s-2 came again: the chain is already at seq 2');
    expect(dup.sessionId).toBe('s-2');
    const fork = expectRefused(() => verifier.check([forked[1]]), 'fork', 1);
    expect(fork.message).toMatch(/^entry 1 of session s-2 has a different seal/);
    expect(fork.sessionId).toBe('s-2');
    expectRefused(() => verifier.check([entries[0]]), 'duplicate', 0);
    expectRefused(() => verifier.check([forked[2]]), 'fork', 2);
  });

  it('tells a duplicate from a fork inside one page too', () => {
    const entries = chain(3);
    const forked = chain(3, otherKeyHex);
    const verifier = new ChainVerifier({ key: keyHex });
    expectRefused(() => verifier.check([entries[0], entries[1], entries[1]]), 'duplicate', 1);
    expectRefused(() => verifier.check([entries[0], entries[1], forked[1]]), 'fork', 1);
    expectRefused(() => verifier.check([entries[0], entries[1], forked[0]]), 'fork', 0);
    expect(verifier.verified).toBe(0);
    // and in a page that does not start at genesis
    const later = chain(4);
    verifier.verify(later.slice(0, 2));
    expectRefused(() => verifier.check([later[2], later[3], forked[2]]), 'fork', 2);
    expectRefused(() => verifier.check([later[2], later[3], later[2]]), 'duplicate', 2);
  });

  it('remembers the last 64 seals by default, and `remember` of them when given', () => {
    const entries = chain(70);
    const forked = chain(70, otherKeyHex);
    const verifier = new ChainVerifier({ key: keyHex });
    verifier.verify(entries.slice(0, 10));
    verifier.verify(entries.slice(10));
    expectRefused(() => verifier.check([forked[6]]), 'fork', 6); // the oldest one remembered
    const old = expectRefused(() => verifier.check([forked[5]]), 'duplicate', 5);
    expect(old.message).toMatch(/\(too old to compare its seal\)$/);
    expect(refusal(() => verifier.check([entries[6]])).message).not.toMatch(/too old/);

    const short = new ChainVerifier({ key: keyHex, remember: 2 });
    short.verify(entries.slice(0, 5));
    expectRefused(() => short.check([forked[3]]), 'fork', 3);
    expectRefused(() => short.check([forked[2]]), 'duplicate', 2);
  });

  it('refuses a body that is not JSON as malformed, naming its seq', () => {
    const verifier = new ChainVerifier({ key: keyHex, sessionId: 's-3' });
    const entry = { seq: 0, body: { n: Number.NaN }, seal: chain(1)[0]!.seal };
    const error = expectRefused(() => verifier.check([entry]), 'malformed', 0);
    expect(error.sessionId).toBe('s-3');
    expect(error.message).toMatch(/^entry 0 of session s-3: /);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('calls a chain sealed under another key wrong_key, naming the session', () => {
    const verifier = new ChainVerifier({ key: keyHex, sessionId: 's-4' });
    const error = expectRefused(() => verifier.check(chain(3, otherKeyHex)), 'wrong_key', 0);
    expect(error.sessionId).toBe('s-4');
    expect(error.message).toMatch(/^no entry of the chain of session s-4 verifies under this session's key/);
    expect(refusal(() => new ChainVerifier({ key: keyHex }).check(chain(2, otherKeyHex))).message).toMatch(/^no entry of the chain verifies/);
  });

  it('calls a single bad entry, or one after good ones, broken_seal, not wrong_key', () => {
    const entries = chain(3);
    const foreign = chain(3, otherKeyHex);
    // one entry: nothing to compare it with
    expectRefused(() => new ChainVerifier({ key: keyHex }).check([foreign[0]]), 'broken_seal', 0);
    // good entries first, then another key's: the chain is ours, an entry was forged
    expectRefused(() => new ChainVerifier({ key: keyHex }).check([entries[0], foreign[1], foreign[2]]), 'broken_seal', 1);
    // after something was verified, even a whole foreign page is a broken seal
    const verifier = new ChainVerifier({ key: keyHex, sessionId: 's-5' });
    verifier.verify([entries[0]]);
    const error = expectRefused(() => verifier.check([foreign[1], foreign[2]]), 'broken_seal', 1);
    expect(error.sessionId).toBe('s-5');
    expect(error.message).toMatch(/^entry 1 of session s-5 does not match its seal/);
  });

  it('calls a chain whose first entry was altered broken_seal when the next entries still verify under the key', () => {
    const entries = chain(3);
    const altered = { ...entries[0]!, body: { n: 99 } };
    expectRefused(() => new ChainVerifier({ key: keyHex }).check([altered, entries[1], entries[2]]), 'broken_seal', 0);
    // the second pair verifies even when the first pair does not
    const foreign = chain(3, otherKeyHex);
    expectRefused(() => new ChainVerifier({ key: keyHex }).check([foreign[0], entries[1], entries[2]]), 'broken_seal', 0);
  });

  it('ignores a malformed neighbour when judging wrong_key', () => {
    const foreign = chain(2, otherKeyHex);
    expectRefused(() => new ChainVerifier({ key: keyHex }).check([foreign[0], { seq: 1, seal: 'nope', body: {} }]), 'wrong_key', 0);
  });
});
