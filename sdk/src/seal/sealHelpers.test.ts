// The small pieces of the sealed log a caller meets directly: hex keys, key derivation's refusals, the default
// sealing switch, the seq encoding, and the errors' names and causes.
import { afterEach, describe, expect, it } from 'vitest';
import { ChainError } from './ChainError.js';
import { defaultSealing, setDefaultSealing } from './defaultSealing.js';
import { deriveSessionKey } from './deriveSessionKey.js';
import { fromHex, toHex } from '../internal/hex.js';
import { jsSealing } from './jsSealing.js';
import { LogStoreError } from './LogStoreError.js';
import { MemoryLogStore } from './MemoryLogStore.js';
import { nobleSealing } from './nobleSealing.js';
import { Sealer } from './Sealer.js';
import { writeSeq } from './Sealing.js';

afterEach(() => {
  setDefaultSealing(jsSealing);
});

describe('hex', () => {
  it('round-trips bytes as lowercase hex, and reads uppercase too', () => {
    const bytes = Uint8Array.from([0, 1, 15, 16, 127, 128, 254, 255]);
    expect(toHex(bytes)).toBe('00010f107f80feff');
    expect(fromHex('00010f107f80feff')).toEqual(bytes);
    expect(fromHex('00010F107F80FEFF')).toEqual(bytes);
    expect(fromHex('')).toEqual(new Uint8Array(0));
  });

  it('refuses odd lengths and non-hex characters, quoting (the start of) what it got', () => {
    expect(() => fromHex('abc')).toThrow(new TypeError('expected an even-length hex string, got "abc"'));
    expect(() => fromHex('zz')).toThrow(new TypeError('expected an even-length hex string, got "zz"'));
    expect(() => fromHex('0g')).toThrow(TypeError);
    expect(() => fromHex(' 00')).toThrow(TypeError);
    expect(() => fromHex('00 ')).toThrow(TypeError);
    expect(() => fromHex('x'.repeat(30))).toThrow(new TypeError(`expected an even-length hex string, got "${'x'.repeat(20)}…"`));
    expect(() => fromHex('x'.repeat(20))).toThrow(new TypeError(`expected an even-length hex string, got "${'x'.repeat(20)}"`));
    expect(() => fromHex(42 as unknown as string)).toThrow(new TypeError('expected an even-length hex string, got number'));
  });
});

describe('deriveSessionKey', () => {
  const secret = new Uint8Array(16).fill(1);

  it('derives a different 32-byte key per session and per secret, the same every time', () => {
    const a = deriveSessionKey(secret, 'a');
    expect(a).toHaveLength(32);
    expect(deriveSessionKey(secret, 'a')).toEqual(a);
    expect(deriveSessionKey(secret, 'b')).not.toEqual(a);
    expect(deriveSessionKey(new Uint8Array(16).fill(2), 'a')).not.toEqual(a);
    expect(deriveSessionKey(secret, 'a', nobleSealing)).toEqual(a);
  });

  it('refuses a secret shorter than 16 bytes and an empty session id, saying what it got', () => {
    expect(() => deriveSessionKey(new Uint8Array(15), 'a')).toThrow(new TypeError('deriveSessionKey: the server secret must be at least 16 bytes, got 15 bytes'));
    expect(() => deriveSessionKey('secret' as unknown as Uint8Array, 'a')).toThrow(
      new TypeError('deriveSessionKey: the server secret must be at least 16 bytes, got string'),
    );
    expect(() => deriveSessionKey(secret, '')).toThrow(new TypeError('deriveSessionKey: the session id must be a non-empty string'));
    expect(() => deriveSessionKey(secret, 7 as unknown as string)).toThrow(TypeError);
  });
});

describe('defaultSealing', () => {
  it('is jsSealing until set, and setting it returns the previous one', () => {
    expect(defaultSealing()).toBe(jsSealing);
    expect(setDefaultSealing(nobleSealing)).toBe(jsSealing);
    expect(defaultSealing()).toBe(nobleSealing);
    expect(setDefaultSealing(jsSealing)).toBe(nobleSealing);
  });

  it('is what a sealer without `sealing` uses', () => {
    const calls: string[] = [];
    setDefaultSealing({ ...nobleSealing, name: 'counting', sealer: (key) => (calls.push('sealer'), nobleSealing.sealer(key)) });
    new Sealer({ key: '00'.repeat(32) }).seal(1);
    expect(calls).toEqual(['sealer']);
  });
});

describe('writeSeq', () => {
  it('writes 8 bytes big-endian at the offset, beyond 32 bits', () => {
    const out = new Uint8Array(10).fill(0xaa);
    writeSeq(out, 1, 0x0012_3456_789a_bcde);
    expect(toHex(out)).toBe('aa00123456789abcdeaa');
    writeSeq(out, 0, 2 ** 53 - 1);
    expect(toHex(out.subarray(0, 8))).toBe('001fffffffffffff');
  });
});

describe('errors', () => {
  it('ChainError carries its code, seq, session and cause', () => {
    const cause = new Error('inner');
    const error = new ChainError('gap', 'entry 3 is missing', { seq: 3, sessionId: 's', cause });
    expect(error).toMatchObject({ name: 'ChainError', code: 'gap', seq: 3, sessionId: 's', message: 'entry 3 is missing', cause });
    const bare = new ChainError('fork', 'two histories');
    expect([bare.seq, bare.sessionId, 'cause' in bare]).toEqual([undefined, undefined, false]);
  });

  it('LogStoreError carries its code and cause', () => {
    const cause = new Error('io');
    expect(new LogStoreError('corrupt', 'record 4 is damaged', { cause })).toMatchObject({ name: 'LogStoreError', code: 'corrupt', message: 'record 4 is damaged', cause });
  });

  it('MemoryLogStore refuses everything once closed, naming itself', async () => {
    const store = new MemoryLogStore();
    await store.close();
    await expect(store.length()).rejects.toThrow(new LogStoreError('closed', 'MemoryLogStore is closed; open a new store'));
    await expect(store.read(0, 1)).rejects.toMatchObject({ code: 'closed' });
    await expect(store.last()).rejects.toMatchObject({ code: 'closed' });
    await expect(store.append([])).rejects.toMatchObject({ code: 'closed' });
  });

  it('MemoryLogStore starts from entries given, refusing a first batch that does not start at 0', async () => {
    const sealer = new Sealer({ key: '00'.repeat(32) });
    const entries = [sealer.seal(0), sealer.seal(1)];
    const store = new MemoryLogStore(entries);
    expect(await store.length()).toBe(2);
    expect(await store.read(-5, 1)).toEqual([entries[0]]);
    expect(await store.read(0, -1)).toEqual([]);
    expect(() => new MemoryLogStore(entries.slice(1))).toThrow(expect.objectContaining({ code: 'gap', message: 'MemoryLogStore: cannot append seq 1, the next seq is 0' }));
  });
});
