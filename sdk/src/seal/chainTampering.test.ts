// Tamper mutants: a 100-entry chain is altered in every way the issue lists, at generated
// positions, and the handler must refuse each with its typed error and change nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { ChainError, type ChainErrorCode } from './ChainError.js';
import { fromHex } from '../internal/hex.js';
import { Sealer } from './Sealer.js';
import { canonicalJson } from './canonicalJson.js';
import type { SealedEntry } from './SealedEntry.js';
import { SessionHandler } from './SessionHandler.js';
import { chatBody, chatSession, type ChatBody, type ChatState } from './test-support/chatSession.js';

const secret = fromHex('5e'.repeat(32));
const length = 100;

interface Mutant {
  readonly name: string;
  readonly chain: readonly unknown[];
  readonly code: ChainErrorCode;
  readonly seq?: number;
}

/** A small deterministic PRNG, so a failing mutant can be named and rerun. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function chainOf(key: Uint8Array | string, count: number, bodyOf: (n: number) => ChatBody = chatBody): SealedEntry<ChatBody>[] {
  const sealer = new Sealer({ key });
  return Array.from({ length: count }, (_, n) => sealer.seal(bodyOf(n)));
}

/** Flips one bit of one byte of the body's canonical UTF-8, keeping only results that still parse as a different body. */
function flipByte(body: ChatBody, rand: () => number): unknown | undefined {
  const bytes = new TextEncoder().encode(canonicalJson(body));
  for (let attempt = 0; attempt < 50; attempt++) {
    const copy = bytes.slice();
    copy[Math.floor(rand() * copy.length)]! ^= 1 << Math.floor(rand() * 8);
    try {
      const parsed: unknown = JSON.parse(new TextDecoder().decode(copy));
      if (canonicalJson(parsed) !== canonicalJson(body)) return parsed;
    } catch {
      // not JSON any more: such a frame never reaches the verifier; try another byte
    }
  }
  return undefined;
}

function mutants(entries: readonly SealedEntry<ChatBody>[], sessionKey: Uint8Array, otherSessionChain: readonly SealedEntry<ChatBody>[]): Mutant[] {
  const rand = random(0xc0ffee);
  const out: Mutant[] = [];
  const positions = Array.from({ length }, (_, i) => i);
  for (const i of positions) {
    const body = flipByte(entries[i]!.body, rand);
    if (body !== undefined) out.push({ name: `flip a byte of body ${i}`, chain: entries.map((e, j) => (j === i ? { ...e, body } : e)), code: 'broken_seal', seq: i });
    const sealChars = [...entries[i]!.seal];
    const at = Math.floor(rand() * 64);
    sealChars[at] = sealChars[at] === '0' ? '1' : '0';
    out.push({ name: `alter the seal of ${i}`, chain: entries.map((e, j) => (j === i ? { ...e, seal: sealChars.join('') } : e)), code: 'broken_seal', seq: i });
    let seq = i;
    while (seq === i) seq = Math.floor(rand() * length * 2);
    out.push({ name: `change seq ${i} to ${seq}`, chain: entries.map((e, j) => (j === i ? { ...e, seq } : e)), code: seq > i ? 'gap' : 'fork', seq: seq > i ? i : seq });
    if (i < length - 1) {
      const swapped = [...entries];
      [swapped[i], swapped[i + 1]] = [swapped[i + 1]!, swapped[i]!];
      out.push({ name: `swap ${i} and ${i + 1}`, chain: swapped, code: 'gap', seq: i });
    }
    out.push({
      name: `drop ${i}`,
      chain: entries.filter((_, j) => j !== i),
      code: i === length - 1 ? 'truncated' : 'gap',
      seq: i,
    });
    // (a copy of the last entry would sit past upTo - 1, where a client may send what it likes)
    if (i < length - 1) out.push({ name: `duplicate ${i}`, chain: [...entries.slice(0, i + 1), entries[i]!, ...entries.slice(i + 1)], code: 'duplicate', seq: i });
    const attacker = new Sealer({ key: fromHex('a7'.repeat(32)), after: i === 0 ? undefined : { seq: i - 1, seal: entries[i - 1]!.seal } });
    const forged = attacker.seal<ChatBody>({ type: 'note', text: `forged ${i}` });
    out.push({ name: `insert a forged entry before ${i}`, chain: [...entries.slice(0, i), forged, ...entries.slice(i)], code: 'broken_seal', seq: i });
    out.push({
      name: `insert an entry with a random seal before ${i}`,
      chain: [...entries.slice(0, i), { seq: i, body: { type: 'note', text: 'x' }, seal: Math.floor(rand() * 2 ** 32).toString(16).padStart(64, 'f') }, ...entries.slice(i)],
      code: 'broken_seal',
      seq: i,
    });
    if (i > 0 && i < length - 1) out.push({ name: `truncate after ${i - 1}`, chain: entries.slice(0, i), code: 'truncated', seq: i });
  }
  for (let k = 0; k < 5; k++) {
    const wrongKey = new Uint8Array(32).map(() => Math.floor(rand() * 256));
    out.push({ name: `wrong key #${k}`, chain: chainOf(wrongKey, length), code: 'wrong_key', seq: 0 });
  }
  out.push({ name: 'the chain of another session', chain: otherSessionChain, code: 'wrong_key', seq: 0 });
  out.push({ name: 'no chain at all', chain: [], code: 'unknown_session' });
  for (const bad of [-1, 1.5, '3']) out.push({ name: `seq ${JSON.stringify(bad)} at 40`, chain: entries.map((e, j) => (j === 40 ? { ...e, seq: bad } : e)), code: 'malformed' });
  out.push({ name: 'a body that is not JSON at 7', chain: entries.map((e, j) => (j === 7 ? { ...e, body: { when: new Date(0) } } : e)), code: 'malformed', seq: 7 });
  expect(sessionKey).toHaveLength(32);
  return out;
}

describe('a recalled chain that was tampered with', () => {
  const handler = new SessionHandler<ChatState, ChatBody>({ secret, definition: chatSession, failureDetector: null });
  const { sessionId, key } = handler.initiate();
  const other = handler.initiate();
  const entries = chainOf(key, length + 1);
  const trigger = entries[length]!;
  const chain = entries.slice(0, length);
  const all = mutants(chain, key, chainOf(other.key, length));

  beforeAll(() => {
    handler.delete(sessionId);
  });

  it('covers every kind of tampering at many positions', () => {
    const kinds = new Set(all.map((m) => m.name.replace(/[\d#]+.*$/, '').trim()));
    expect(kinds.size).toBeGreaterThanOrEqual(12);
    expect(all.length).toBeGreaterThan(800);
  });

  it('refuses each mutant with its typed error and installs nothing', async () => {
    const failures: string[] = [];
    for (const mutant of all) {
      const error = await handler.receive(sessionId, trigger, async () => mutant.chain as SealedEntry<ChatBody>[]).then(
        () => undefined,
        (e: unknown) => e,
      );
      const ok =
        error instanceof ChainError && error.code === mutant.code && (mutant.seq === undefined || error.seq === mutant.seq) && !handler.has(sessionId);
      if (error === undefined) handler.delete(sessionId);
      if (!ok) failures.push(`${mutant.name}: expected ${mutant.code}@${mutant.seq}, got ${error instanceof ChainError ? `${error.code}@${error.seq}` : String(error)}`);
    }
    expect(failures).toEqual([]);
  });

  it('still accepts the genuine chain afterwards, delivered in pages', async () => {
    async function* pages(): AsyncIterable<SealedEntry<ChatBody>[]> {
      for (let i = 0; i < chain.length; i += 7) yield chain.slice(i, i + 7);
    }
    const result = await handler.receive(sessionId, trigger, pages);
    expect(result.recalled).toBe(true);
    let live = chatSession.initial();
    for (const e of entries) live = chatSession.apply(live, e.body);
    expect(result.state).toEqual(live);
  });
});

describe('a tampered entry for a live session', () => {
  const handler = new SessionHandler<ChatState, ChatBody>({ secret, definition: chatSession, failureDetector: null });
  const { sessionId, key } = handler.initiate();
  const entries = chainOf(key, length + 1);
  const noRecall = async (): Promise<SealedEntry<ChatBody>[]> => {
    throw new Error('a live session must not be recalled');
  };

  beforeAll(async () => {
    for (const e of entries.slice(0, length)) await handler.receive(sessionId, e, noRecall);
  });

  it('is refused with its typed error and leaves state and position as they were', async () => {
    const next = entries[length]!;
    const last = entries[length - 1]!;
    const rand = random(7);
    const cases: Array<[string, SealedEntry<ChatBody>, ChainErrorCode]> = [
      ['a flipped body byte', { ...next, body: flipByte(next.body, rand) as ChatBody }, 'broken_seal'],
      ['a skipped seq whose chain does not hold it', { ...next, seq: length + 1 }, 'truncated'],
      ['the last seq with another seal', { ...next, seq: length - 1 }, 'fork'],
      ['an old seq with another seal', { ...next, seq: 50 }, 'fork'],
      ['an old entry again', entries[50]!, 'duplicate'],
      ['a forged entry', new Sealer({ key: 'ee'.repeat(32), after: last }).seal<ChatBody>({ type: 'note', text: 'forged' }), 'broken_seal'],
    ];
    const before = handler.state(sessionId);
    const position = handler.position(sessionId);
    // Only the skipped seq makes the handler catch up by recalling; the client's chain ends before it.
    let recalls = 0;
    const recallGenuine = async (_id: string, upTo: number) => {
      recalls++;
      return entries.slice(0, Math.min(upTo, length));
    };
    for (const [what, entry, code] of cases) {
      const error = await handler.receive(sessionId, entry, recallGenuine).catch((e: unknown) => e);
      expect(error, what).toBeInstanceOf(ChainError);
      expect((error as ChainError).code, what).toBe(code);
      expect(handler.state(sessionId), what).toBe(before);
      expect(handler.position(sessionId), what).toEqual(position);
    }
    expect(recalls).toBe(1);
    const again = await handler.receive(sessionId, entries[length - 1]!, noRecall);
    expect(again).toMatchObject({ duplicate: true, recalled: false });
    expect(again.state).toBe(before);
    expect((await handler.receive(sessionId, next, noRecall)).duplicate).toBe(false);
  });
});
