// The SessionHandler's edges a server relies on, beyond the recall stories of SessionHandler.test.ts: what it
// refuses at construction, what initiate hands out, the typed refusals of a recall that cannot rebuild the session
// (no chain, a short chain, an answer that is not entries), the events it reports with their details, and what
// close leaves behind.
import { describe, expect, it, vi } from 'vitest';
import { ChainError } from './ChainError.js';
import type { FailureDetector, SessionWatch } from './FailureDetector.js';
import { fromHex, toHex } from '../internal/hex.js';
import { Sealer } from './Sealer.js';
import type { SealedEntry } from './SealedEntry.js';
import { SessionClient } from './SessionClient.js';
import { SessionHandler, type SessionEvent } from './SessionHandler.js';
import { chatBody, chatSession, type ChatBody, type ChatState } from './test-support/chatSession.js';

const secret = fromHex('42'.repeat(32));

function newHandler(config: Partial<ConstructorParameters<typeof SessionHandler<ChatState, ChatBody>>[0]> = {}): SessionHandler<ChatState, ChatBody> {
  return new SessionHandler<ChatState, ChatBody>({ secret, definition: chatSession, failureDetector: null, ...config });
}

/** A session whose client appended `count` entries the handler never saw (it was restarted, say). */
async function clientWith(handler: SessionHandler<ChatState, ChatBody>, count: number) {
  const { sessionId, key } = handler.initiate();
  handler.delete(sessionId);
  const client = await SessionClient.open<ChatBody>({ sessionId, key });
  const entries: SealedEntry<ChatBody>[] = [];
  for (let n = 0; n < count; n++) entries.push(await client.append(chatBody(n)));
  return { sessionId, key, client, entries };
}

async function refusal(promise: Promise<unknown>): Promise<ChainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChainError);
  return error as ChainError;
}

describe('SessionHandler construction and initiation', () => {
  it('refuses a secret shorter than 16 bytes, or not bytes at all', () => {
    const message = 'SessionHandler: `secret` must be at least 16 random bytes (keep it stable across restarts so chains still verify)';
    expect(() => newHandler({ secret: new Uint8Array(15) })).toThrow(new TypeError(message));
    expect(() => newHandler({ secret: '42'.repeat(32) as unknown as Uint8Array })).toThrow(TypeError);
    expect(() => newHandler({ secret: new Uint8Array(16) })).not.toThrow();
  });

  it('hands out a fresh 128-bit session id and the session key, in bytes and hex', () => {
    const handler = newHandler();
    const events: SessionEvent[] = [];
    handler.events$.subscribe((e) => events.push(e));
    const a = handler.initiate();
    const b = handler.initiate();
    expect(a.sessionId).toMatch(/^[0-9a-f]{32}$/);
    expect(b.sessionId).not.toBe(a.sessionId);
    expect(a.key).toEqual(handler.keyOf(a.sessionId));
    expect(a.keyHex).toBe(toHex(a.key));
    expect(events).toEqual([
      { type: 'initiated', sessionId: a.sessionId },
      { type: 'initiated', sessionId: b.sessionId },
    ]);
    expect(handler.size).toBe(2);
    expect(handler.has(a.sessionId)).toBe(true);
    expect(handler.state(a.sessionId)).toEqual(chatSession.initial());
    expect(handler.position(a.sessionId)).toEqual({ seq: -1, seal: '0'.repeat(64) });
    for (let i = 0; i < 20; i++) expect(handler.initiate().sessionId).toMatch(/^[0-9a-f]{32}$/); // bytes below 16 too
  });

  it('uses newSessionId when given', () => {
    const handler = newHandler({ newSessionId: () => 'chosen' });
    expect(handler.initiate().sessionId).toBe('chosen');
    expect(handler.has('chosen')).toBe(true);
  });

  it('watches sessions with a 60 s heartbeat detector by default', async () => {
    vi.useFakeTimers();
    try {
      const handler = new SessionHandler<ChatState, ChatBody>({ secret, definition: chatSession });
      const events: SessionEvent[] = [];
      handler.events$.subscribe((e) => events.push(e));
      const { sessionId } = handler.initiate();
      vi.advanceTimersByTime(59_000);
      expect(handler.has(sessionId)).toBe(true);
      vi.advanceTimersByTime(20_000);
      expect(handler.has(sessionId)).toBe(false);
      expect(events.at(-1)).toEqual({ type: 'deleted', sessionId, reason: 'failure' });
      handler.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('knows nothing of a session it never saw', () => {
    const handler = newHandler();
    expect(handler.has('nobody')).toBe(false);
    expect(handler.state('nobody')).toBeUndefined();
    expect(handler.position('nobody')).toBeUndefined();
    expect(handler.delete('nobody')).toBe(false);
    expect(() => handler.heartbeat('nobody')).not.toThrow();
    expect(() => handler.heartbeat(handler.initiate().sessionId)).not.toThrow(); // a live session, no detector
  });

  it('reports a deleted session as deleted', () => {
    const handler = newHandler();
    const events: SessionEvent[] = [];
    handler.events$.subscribe((e) => events.push(e));
    const { sessionId } = handler.initiate();
    handler.delete(sessionId);
    expect(events.at(-1)).toEqual({ type: 'deleted', sessionId, reason: 'deleted' });
  });

  it('starts an unknown session at seq 0 without reporting a recall', async () => {
    const handler = newHandler();
    const { sessionId, key } = await clientWith(handler, 0);
    const events: string[] = [];
    handler.events$.subscribe((e) => events.push(e.type));
    const result = await handler.receive(sessionId, new Sealer({ key }).seal(chatBody(0)), async () => []);
    expect(result).toEqual({ state: chatSession.apply(chatSession.initial(), chatBody(0)), recalled: false, duplicate: false, reply: undefined });
    expect(events).toEqual([]);
  });
});

describe('SessionHandler live sessions', () => {
  it('tracks the last applied position, and remembers 1024 seals by default to tell a fork from a duplicate', async () => {
    const handler = newHandler();
    const { sessionId, key } = handler.initiate();
    const sealer = new Sealer({ key });
    const entries = Array.from({ length: 100 }, (_, n) => sealer.seal(chatBody(n)));
    for (const e of entries) await handler.receive(sessionId, e, async () => []);
    expect(handler.position(sessionId)).toEqual({ seq: 99, seal: entries[99]!.seal });
    // another history for seq 10, sealed with the session's key after the same entry 9
    const forked = new Sealer({ key, after: { seq: 9, seal: entries[9]!.seal } }).seal(chatBody(1000));
    expect((await refusal(handler.receive(sessionId, forked, async () => []))).code).toBe('fork');
    expect((await refusal(handler.receive(sessionId, entries[10]!, async () => []))).code).toBe('duplicate');
    expect(handler.position(sessionId)?.seq).toBe(99);
  });

  it('takes `remember` for how many seals it keeps', async () => {
    const handler = newHandler({ remember: 4 });
    const { sessionId, key } = handler.initiate();
    const sealer = new Sealer({ key });
    const entries = Array.from({ length: 10 }, (_, n) => sealer.seal(chatBody(n)));
    for (const e of entries) await handler.receive(sessionId, e, async () => []);
    const forked = new Sealer({ key, after: { seq: 2, seal: entries[2]!.seal } }).seal(chatBody(1000));
    expect((await refusal(handler.receive(sessionId, forked, async () => []))).code).toBe('duplicate'); // too old to compare
  });

  it('answers the last entry sent again as a duplicate with the reply, applying nothing', async () => {
    const handler = newHandler();
    const { sessionId, key } = handler.initiate();
    const sealer = new Sealer({ key });
    await handler.receive(sessionId, sealer.seal({ type: 'received', topic: 'a', id: 1 }), async () => []);
    const ask = sealer.seal({ type: 'unread', topic: 'a' } as ChatBody);
    const first = await handler.receive(sessionId, ask, async () => []);
    const again = await handler.receive(sessionId, { ...ask }, async () => []);
    expect(first).toEqual({ state: first.state, recalled: false, duplicate: false, reply: 1 });
    expect(again).toEqual({ state: first.state, recalled: false, duplicate: true, reply: 1 });
    // the last seq again with the same body but another seal (sealed after another previous entry): a fork
    const other = new Sealer({ key, after: { seq: 0, seal: '1'.repeat(64) } }).seal({ type: 'unread', topic: 'a' } as ChatBody);
    expect(other.seq).toBe(ask.seq);
    expect((await refusal(handler.receive(sessionId, other, async () => []))).code).toBe('fork');
    const forged = await refusal(handler.receive(sessionId, { ...ask, body: { type: 'unread', topic: 'b' } as ChatBody }, async () => []));
    expect({ code: forged.code, seq: forged.seq, sessionId: forged.sessionId }).toEqual({ code: 'body_mismatch', seq: 1, sessionId });
    expect(forged.message).toBe(`entry 1 of session ${sessionId} came again with a body other than the one sealed`);
    // a body that is not JSON is not the body that was sealed
    const bad = { ...ask, body: { type: 'unread', topic: Number.NaN } as unknown as ChatBody };
    expect((await refusal(handler.receive(sessionId, bad, async () => []))).code).toBe('body_mismatch');
  });

  it('gives no reply field for a definition without reply', async () => {
    const { reply: _reply, ...noReply } = chatSession;
    const handler = new SessionHandler<ChatState, ChatBody>({ secret, definition: noReply, failureDetector: null });
    const { sessionId, key } = handler.initiate();
    const result = await handler.receive(sessionId, new Sealer({ key }).seal(chatBody(0)), async () => []);
    expect(result).toEqual({ state: chatSession.apply(chatSession.initial(), chatBody(0)), recalled: false, duplicate: false });
  });

  it('refuses an entry the definition throws nothing useful on with an Error naming its seq', async () => {
    const throwsUndefined = {
      ...chatSession,
      apply: (s: ChatState, b: ChatBody): ChatState => {
        if (b.type === 'note') throw undefined; // what a careless definition does
        return chatSession.apply(s, b);
      },
    };
    const handler = new SessionHandler<ChatState, ChatBody>({ secret, definition: throwsUndefined, failureDetector: null });
    const { sessionId, key } = handler.initiate();
    const sealer = new Sealer({ key });
    await handler.receive(sessionId, sealer.seal(chatBody(0)), async () => []);
    await expect(handler.receive(sessionId, sealer.seal({ type: 'note', text: 'x' }), async () => [])).rejects.toThrow(
      new Error('session definition refused entry 1'),
    );
  });

  it('reports a refused entry as rejected, with the ChainError', async () => {
    const handler = newHandler();
    const events: SessionEvent[] = [];
    handler.events$.subscribe((e) => events.push(e));
    const { sessionId } = handler.initiate();
    const error = await refusal(handler.receive(sessionId, { seq: 0, body: chatBody(0), seal: 'f'.repeat(64) }, async () => []));
    expect(error.code).toBe('broken_seal');
    expect(events.at(-1)).toEqual({ type: 'rejected', sessionId, error });
  });

  it('does not report an error that is not a ChainError as rejected', async () => {
    const handler = new SessionHandler<ChatState, ChatBody>({
      secret,
      definition: { ...chatSession, apply: () => { throw new RangeError('no'); } }, // prettier-ignore
      failureDetector: null,
    });
    const events: string[] = [];
    handler.events$.subscribe((e) => events.push(e.type));
    const { sessionId, key } = handler.initiate();
    await expect(handler.receive(sessionId, new Sealer({ key }).seal(chatBody(0)), async () => [])).rejects.toThrow(RangeError);
    expect(events).toEqual(['initiated']);
  });

  it('heartbeats the failure detector on every entry and on heartbeat(), and stops watching a deleted session', async () => {
    const beats: string[] = [];
    const stopped: string[] = [];
    const detector: FailureDetector = {
      watch(sessionId): SessionWatch {
        return { heartbeat: () => beats.push(sessionId), hasFailed: () => false, stop: () => stopped.push(sessionId) };
      },
      close: vi.fn(),
    };
    const handler = newHandler({ failureDetector: detector });
    const { sessionId, key } = handler.initiate();
    await handler.receive(sessionId, new Sealer({ key }).seal(chatBody(0)), async () => []);
    handler.heartbeat(sessionId);
    expect(beats).toEqual([sessionId, sessionId]);
    expect(handler.delete(sessionId)).toBe(true);
    expect(stopped).toEqual([sessionId]);
    handler.close();
    expect(detector.close).toHaveBeenCalledTimes(1);
  });
});

describe('SessionHandler recall refusals', () => {
  it('refuses a triggering entry the definition throws on after a recall, but installs the recalled session', async () => {
    const picky = {
      ...chatSession,
      apply: (s: ChatState, b: ChatBody): ChatState => {
        if (b.type === 'note' && b.text === 'boom') throw new RangeError('boom');
        return chatSession.apply(s, b);
      },
    };
    const handler = new SessionHandler<ChatState, ChatBody>({ secret, definition: picky, failureDetector: null });
    const { sessionId, client } = await clientWith(handler, 3);
    await expect(handler.receive(sessionId, await client.append({ type: 'note', text: 'boom' }), client.recaller())).rejects.toThrow(RangeError);
    expect(handler.position(sessionId)?.seq).toBe(3); // the entry is part of the chain
    let state = chatSession.initial();
    for (let n = 0; n < 3; n++) state = chatSession.apply(state, chatBody(n));
    expect(handler.state(sessionId)).toEqual(state);
  });

  it('refuses something that is not an entry for a live session as malformed', async () => {
    const handler = newHandler();
    const { sessionId } = handler.initiate();
    const error = await refusal(handler.receive(sessionId, null as unknown as SealedEntry<ChatBody>, async () => []));
    expect({ code: error.code, sessionId: error.sessionId }).toEqual({ code: 'malformed', sessionId });
  });

  it('reports a recall with the number of entries replayed and its duration', async () => {
    const handler = newHandler();
    const { sessionId, client } = await clientWith(handler, 6);
    const events: SessionEvent[] = [];
    handler.events$.subscribe((e) => events.push(e));
    const entry = await client.append(chatBody(6));
    const before = Date.now();
    const result = await handler.receive(sessionId, entry, client.recaller());
    const took = Date.now() - before;
    expect(result).toMatchObject({ recalled: true, duplicate: false });
    expect(events).toEqual([{ type: 'recalled', sessionId, entries: 6, ms: expect.any(Number) as number }]);
    expect((events[0] as { ms: number }).ms).toBeGreaterThanOrEqual(0);
    expect((events[0] as { ms: number }).ms).toBeLessThanOrEqual(took);
  });

  it('rebuilds a session of exactly maxRecall entries', async () => {
    const handler = newHandler({ maxRecall: 5 });
    const { sessionId, client } = await clientWith(handler, 5);
    expect((await handler.receive(sessionId, await client.append(chatBody(5)), client.recaller())).recalled).toBe(true);
    const tooLong = newHandler({ maxRecall: 5 });
    const error = await refusal(tooLong.receive(sessionId, await client.append(chatBody(6)), client.recaller()));
    expect({ code: error.code, seq: error.seq, sessionId: error.sessionId }).toEqual({ code: 'recall_too_long', seq: 6, sessionId });
    expect(error.message).toBe(`session ${sessionId} would be rebuilt from 6 entries, more than the 5 a recall may replay; initiate a new session`);
  });

  it('refuses a session whose client has no chain as unknown_session', async () => {
    const handler = newHandler();
    const { sessionId, entries } = await clientWith(handler, 4);
    const error = await refusal(handler.receive(sessionId, entries[3]!, async () => []));
    expect({ code: error.code, seq: error.seq, sessionId: error.sessionId }).toEqual({ code: 'unknown_session', seq: 3, sessionId });
    expect(error.message).toBe(`session ${sessionId} is not known here and its client has no chain for it; initiate a new session`);
    expect(handler.has(sessionId)).toBe(false);
  });

  it('refuses a chain that ends before the entry as truncated, naming where it ends', async () => {
    const handler = newHandler();
    const { sessionId, entries } = await clientWith(handler, 6);
    const error = await refusal(handler.receive(sessionId, entries[5]!, async () => entries.slice(0, 3)));
    expect({ code: error.code, seq: error.seq }).toEqual({ code: 'truncated', seq: 3 });
    expect(error.message).toBe(`the chain of session ${sessionId} ends at seq 2 but the message claims seq 5`);
    // in pages too
    async function* pages() {
      yield entries.slice(0, 2);
      yield entries.slice(2, 4);
    }
    expect((await refusal(handler.receive(sessionId, entries[5]!, () => pages()))).code).toBe('truncated');
    expect(handler.has(sessionId)).toBe(false);
  });

  it('uses only the entries before the one received when the client sends its whole log, and stops reading', async () => {
    const handler = newHandler();
    const { sessionId, entries } = await clientWith(handler, 8);
    let returned = false;
    const read: number[] = [];
    const pages: AsyncIterable<readonly SealedEntry<ChatBody>[]> = {
      [Symbol.asyncIterator]() {
        let i = 0;
        return {
          async next() {
            if (i >= entries.length) return { done: true, value: undefined };
            const page = entries.slice(i, i + 3);
            read.push(i);
            i += 3;
            return { done: false, value: page };
          },
          async return() {
            returned = true;
            return { done: true, value: undefined };
          },
        };
      },
    };
    const result = await handler.receive(sessionId, entries[4]!, () => pages);
    expect(result.recalled).toBe(true);
    expect(read).toEqual([0, 3]); // the page with seq 3 was the last one needed
    await vi.waitFor(() => expect(returned).toBe(true));
    expect(handler.position(sessionId)).toEqual({ seq: 4, seal: entries[4]!.seal });
    // one array holding more than needed
    const again = newHandler();
    expect((await again.receive(sessionId, entries[4]!, async () => entries)).state).toEqual(result.state);
  });

  it('stops reading when a page ends right before the entry received, and takes iterators without return', async () => {
    const handler = newHandler();
    const { sessionId, entries } = await clientWith(handler, 9);
    const read: number[] = [];
    const pages: AsyncIterable<readonly SealedEntry<ChatBody>[]> = {
      [Symbol.asyncIterator]() {
        let i = 0;
        return {
          async next() {
            if (i >= entries.length) return { done: true, value: undefined };
            read.push(i);
            i += 3;
            return { done: false, value: entries.slice(i - 3, i) };
          },
        };
      },
    };
    const result = await handler.receive(sessionId, entries[6]!, () => pages);
    expect(result.recalled).toBe(true);
    expect(read).toEqual([0, 3]); // seqs 0..5 were all it needed
  });

  it('refuses a recall answer that is not an array of entries as malformed', async () => {
    const handler = newHandler();
    const { sessionId, entries } = await clientWith(handler, 3);
    // ({ entries } is a page with a checkpoint's shape, see sealed checkpoints: something else is refused.)
    const notArray = await refusal(handler.receive(sessionId, entries[2]!, async () => ({ rows: entries }) as unknown as SealedEntry<ChatBody>[]));
    expect({ code: notArray.code, message: notArray.message }).toEqual({ code: 'malformed', message: 'a recall answer page must be an array of sealed entries, or { checkpoint, entries }' });
    async function* badPage() {
      yield 'entries' as unknown as SealedEntry<ChatBody>[];
    }
    const page = await refusal(handler.receive(sessionId, entries[2]!, () => badPage()));
    expect({ code: page.code, message: page.message }).toEqual({ code: 'malformed', message: 'a recall answer page must be an array of sealed entries, or { checkpoint, entries }' });
  });

  it('passes on a recall that fails, and installs nothing', async () => {
    const handler = newHandler();
    const { sessionId, entries } = await clientWith(handler, 3);
    await expect(handler.receive(sessionId, entries[2]!, () => Promise.reject(new Error('client gone')))).rejects.toThrow('client gone');
    async function* failing(): AsyncGenerator<SealedEntry<ChatBody>[]> {
      yield entries.slice(0, 1);
      throw new Error('connection lost');
    }
    await expect(handler.receive(sessionId, entries[2]!, () => failing())).rejects.toThrow('connection lost');
    expect(handler.has(sessionId)).toBe(false);
  });
});

describe('SessionHandler close', () => {
  it('drops every session (reported as closed), completes events$ and refuses what comes after', async () => {
    const handler = newHandler();
    const events: SessionEvent[] = [];
    let completed = false;
    handler.events$.subscribe({ next: (e) => events.push(e), complete: () => (completed = true) });
    const a = handler.initiate();
    const b = handler.initiate();
    handler.close();
    handler.close(); // idempotent
    expect(events.slice(2)).toEqual([
      { type: 'deleted', sessionId: a.sessionId, reason: 'closed' },
      { type: 'deleted', sessionId: b.sessionId, reason: 'closed' },
    ]);
    expect(completed).toBe(true);
    expect(handler.size).toBe(0);
    expect(() => handler.initiate()).toThrow('SessionHandler is closed; create a new one');
    await expect(handler.receive(a.sessionId, new Sealer({ key: a.key }).seal(chatBody(0)), async () => [])).rejects.toThrow(
      'SessionHandler is closed; create a new one',
    );
  });

  it('refuses an entry queued behind another when the handler closes in between', async () => {
    const handler = newHandler();
    const { sessionId, entries } = await clientWith(handler, 3);
    let answer!: (entries: SealedEntry<ChatBody>[]) => void;
    const first = handler.receive(sessionId, entries[1]!, () => new Promise((resolve) => (answer = resolve)));
    const second = handler.receive(sessionId, entries[2]!, async () => entries);
    await vi.waitFor(() => expect(answer).toBeDefined());
    handler.close();
    answer(entries.slice(0, 1));
    await expect(first).rejects.toThrow(/closed during a recall/);
    const error = await refusal(second);
    expect({ code: error.code, sessionId: error.sessionId }).toEqual({ code: 'unknown_session', sessionId });
    expect(error.message).toBe(`SessionHandler is closed; session ${sessionId} cannot be handled`);
  });
});
