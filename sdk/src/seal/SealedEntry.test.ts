// What a server learns when an entry off the network is not a sealed entry at all, and what a store learns when a
// batch does not continue its log: the typed code, the seq and session it names, and a message that says why.
import { describe, expect, it } from 'vitest';
import { assertAppendable } from './assertAppendable.js';
import { ChainError } from './ChainError.js';
import { GENESIS, GENESIS_SEAL, MAX_SEQ, parseSealedEntry } from './SealedEntry.js';

const seal = 'ab'.repeat(32);

function refusal(run: () => unknown): ChainError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ChainError);
    return error as ChainError;
  }
  throw new Error('expected a ChainError');
}

describe('parseSealedEntry', () => {
  it('returns a well-formed entry as it is, body of any JSON type (null too)', () => {
    const entry = { seq: 0, body: null, seal };
    expect(parseSealedEntry(entry)).toBe(entry);
    expect(parseSealedEntry({ seq: MAX_SEQ, body: 1, seal })).toEqual({ seq: MAX_SEQ, body: 1, seal });
  });

  it('starts chains at seq -1 with a zero seal', () => {
    expect(GENESIS).toEqual({ seq: -1, seal: '0'.repeat(64) });
    expect(GENESIS_SEAL).toMatch(/^0{64}$/);
    expect(Object.isFrozen(GENESIS)).toBe(true);
  });

  it('refuses a value that is not an object, saying what it got and for which session', () => {
    for (const [value, got] of [
      [null, 'null'],
      [7, 'number'],
      ['entry', 'string'],
      [undefined, 'undefined'],
    ] as const) {
      const error = refusal(() => parseSealedEntry(value, 's-1'));
      expect(error.code).toBe('malformed');
      expect(error.sessionId).toBe('s-1');
      expect(error.message).toBe(`a sealed entry of session s-1 must be an object { seq, body, seal }, got ${got}`);
    }
    expect(refusal(() => parseSealedEntry(null)).message).toBe('a sealed entry must be an object { seq, body, seal }, got null');
  });

  it('refuses a seq that is not a whole number from 0 to 2^53-1', () => {
    for (const seq of [-1, 1.5, MAX_SEQ + 1, Number.NaN, '3', undefined]) {
      const error = refusal(() => parseSealedEntry({ seq, body: {}, seal }, 's-2'));
      expect(error.code).toBe('malformed');
      expect(error.sessionId).toBe('s-2');
      expect(error.message).toBe(`entry of session s-2 has seq ${String(seq)}; seq must be an integer from 0 to 2^53-1`);
    }
    expect(refusal(() => parseSealedEntry({ seq: -1, body: {}, seal })).message).toBe('entry has seq -1; seq must be an integer from 0 to 2^53-1');
  });

  it('refuses a seal that is not exactly 64 lowercase hex characters, naming the seq', () => {
    for (const bad of [seal.toUpperCase(), seal.slice(1), seal + 'a', 'x' + seal.slice(1), `${seal}\n`, 42]) {
      const error = refusal(() => parseSealedEntry({ seq: 3, body: {}, seal: bad }, 's-3'));
      expect({ code: error.code, seq: error.seq, sessionId: error.sessionId }).toEqual({ code: 'malformed', seq: 3, sessionId: 's-3' });
      expect(error.message).toBe('entry 3 of session s-3 has a seal that is not 64 lowercase hex characters');
    }
    expect(refusal(() => parseSealedEntry({ seq: 3, body: {}, seal: 'x' })).message).toBe('entry 3 has a seal that is not 64 lowercase hex characters');
  });

  it('refuses an entry without a body (an undefined body is still a body field)', () => {
    const error = refusal(() => parseSealedEntry({ seq: 4, seal }, 's-4'));
    expect({ code: error.code, seq: error.seq, sessionId: error.sessionId }).toEqual({ code: 'malformed', seq: 4, sessionId: 's-4' });
    expect(error.message).toBe('entry 4 of session s-4 has no body');
    expect(refusal(() => parseSealedEntry({ seq: 4, seal })).message).toBe('entry 4 has no body');
  });
});

describe('assertAppendable', () => {
  const entry = (seq: unknown) => ({ seq, body: {}, seal }) as { seq: number; body: object; seal: string };

  it('accepts a batch that continues the log contiguously, and an empty batch', () => {
    expect(() => assertAppendable(2, [entry(2), entry(3), entry(4)])).not.toThrow();
    expect(() => assertAppendable(0, [])).not.toThrow();
  });

  it('refuses a batch that skips a seq as a gap at the first missing seq', () => {
    const error = refusal(() => assertAppendable(2, [entry(2), entry(4)], 'FileLogStore'));
    expect({ code: error.code, seq: error.seq }).toEqual({ code: 'gap', seq: 3 });
    expect(error.message).toBe('FileLogStore: cannot append seq 4, the next seq is 3');
    expect(refusal(() => assertAppendable(0, [entry(1)])).message).toBe('log store: cannot append seq 1, the next seq is 0');
  });

  it('refuses a batch that repeats a seq the log has as a fork', () => {
    const error = refusal(() => assertAppendable(5, [entry(5), entry(5)], 'FileLogStore'));
    expect({ code: error.code, seq: error.seq }).toEqual({ code: 'fork', seq: 5 });
    expect(error.message).toBe('FileLogStore: cannot append seq 5, the log already has it (next seq is 6)');
    expect(refusal(() => assertAppendable(3, [entry(1)])).seq).toBe(1);
  });

  it('refuses an entry whose seq is not a number as a fork without a seq', () => {
    const error = refusal(() => assertAppendable(0, [entry('0')]));
    expect({ code: error.code, seq: error.seq }).toEqual({ code: 'fork', seq: undefined });
    expect(error.message).toBe('log store: cannot append seq 0, the log already has it (next seq is 0)');
    // even a string that reads as a later seq: it is not a seq at all
    expect(refusal(() => assertAppendable(0, [entry('1')])).code).toBe('fork');
  });
});
