import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChainError } from './ChainError.js';
import type { FailureDetector, SessionWatch } from './FailureDetector.js';
import { HeartbeatFailureDetector } from './HeartbeatFailureDetector.js';
import { fromHex } from '../internal/hex.js';
import type { SealedEntry } from './SealedEntry.js';
import { SessionClient } from './SessionClient.js';
import { SessionHandler, type SessionEvent } from './SessionHandler.js';
import { chatBody, chatSession, type ChatBody, type ChatState } from './test-support/chatSession.js';

const secret = fromHex('42'.repeat(32));

function newHandler(config: Partial<ConstructorParameters<typeof SessionHandler<ChatState, ChatBody>>[0]> = {}): SessionHandler<ChatState, ChatBody> {
  return new SessionHandler<ChatState, ChatBody>({ secret, definition: chatSession, failureDetector: null, ...config });
}

async function connect(handler: SessionHandler<ChatState, ChatBody>) {
  const { sessionId, key } = handler.initiate();
  const client = await SessionClient.open<ChatBody>({ sessionId, key });
  const send = async (body: ChatBody) => handler.receive(sessionId, await client.append(body), client.recaller());
  return { sessionId, client, send };
}

function replayed(count: number): ChatState {
  let state = chatSession.initial();
  for (let n = 0; n < count; n++) state = chatSession.apply(state, chatBody(n));
  return state;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('SessionHandler', () => {
  it('rebuilds a deleted session from the client chain, then handles the message; the client only sees its recall counter', async () => {
    const handler = newHandler();
    const { sessionId, client, send } = await connect(handler);
    for (let n = 0; n < 30; n++) await send(chatBody(n));
    const live = handler.state(sessionId);
    expect(handler.delete(sessionId)).toBe(true);
    expect(handler.has(sessionId)).toBe(false);
    const result = await send(chatBody(30));
    expect(result.recalled).toBe(true);
    expect(result.state).toEqual(chatSession.apply(live!, chatBody(30)));
    expect(result.state).toEqual(replayed(31));
    expect(client.recalls).toBe(1);
    expect((await send(chatBody(31))).recalled).toBe(false);
    expect(client.recalls).toBe(1);
  });

  it('refuses the last entry sent again with the same seq and seal but another body (body_mismatch), applying nothing', async () => {
    const handler = newHandler();
    const { sessionId, client, send } = await connect(handler);
    await send(chatBody(0));
    const last = await client.append(chatBody(1));
    await handler.receive(sessionId, last, client.recaller());
    const before = handler.state(sessionId);
    const same = await handler.receive(sessionId, { ...last, body: JSON.parse(JSON.stringify(last.body)) as ChatBody }, client.recaller());
    expect(same.duplicate).toBe(true);
    const forged = { ...last, body: chatBody(2) };
    await expect(handler.receive(sessionId, forged, client.recaller())).rejects.toMatchObject({ name: 'ChainError', code: 'body_mismatch', seq: last.seq });
    expect(handler.state(sessionId)).toEqual(before);
  });

  it('refuses to rebuild a session from more entries than maxRecall, without asking the client', async () => {
    const handler = newHandler({ maxRecall: 10 });
    const { sessionId, client, send } = await connect(handler);
    for (let n = 0; n < 11; n++) await send(chatBody(n));
    handler.delete(sessionId);
    await expect(send(chatBody(11))).rejects.toMatchObject({ name: 'ChainError', code: 'recall_too_long' });
    expect(client.recalls).toBe(0);
    expect(handler.has(sessionId)).toBe(false);
  });

  it('catches up a live session that missed entries by recalling the chain', async () => {
    const handler = newHandler();
    const { client, send } = await connect(handler);
    for (let n = 0; n < 5; n++) await send(chatBody(n));
    for (let n = 5; n < 9; n++) await client.append(chatBody(n)); // never reached the handler
    const result = await send(chatBody(9));
    expect(result).toMatchObject({ recalled: true, state: replayed(10) });
    expect(client.recalls).toBe(1);
  });

  it('stops a recall in progress when the handler closes, and installs nothing', async () => {
    const handler = newHandler();
    const { sessionId, client } = await connect(handler);
    for (let n = 0; n < 3; n++) await client.append(chatBody(n));
    handler.delete(sessionId);
    let signal: AbortSignal | undefined;
    async function* slowClient(): AsyncGenerator<SealedEntry<ChatBody>[]> {
      yield await client.store.read(0, 1);
      await new Promise(() => undefined); // the client never sends the rest
    }
    const pending = handler.receive(sessionId, (await client.store.read(2, 1))[0]!, (_id, _upTo, options) => {
      signal = options?.signal;
      return slowClient();
    });
    await vi.waitFor(() => expect(signal).toBeDefined());
    handler.close();
    await expect(pending).rejects.toThrow(/closed during a recall/);
    expect(signal!.aborted).toBe(true);
    expect(handler.has(sessionId)).toBe(false);
  });

  it('answers a request message with its reply and leaves the state as it was', async () => {
    const handler = newHandler();
    const { send } = await connect(handler);
    await send({ type: 'received', topic: 'ops', id: 1 });
    const before = (await send({ type: 'received', topic: 'ops', id: 2 })).state;
    const answer = await send({ type: 'unread', topic: 'ops' });
    expect(answer.reply).toBe(2);
    expect(answer.state).toBe(before);
  });

  it('recalls once when several messages arrive for an unknown session at once', async () => {
    const handler = newHandler();
    const { sessionId, client } = await connect(handler);
    const entries: SealedEntry<ChatBody>[] = [];
    for (let n = 0; n < 10; n++) entries.push(await client.append(chatBody(n)));
    handler.delete(sessionId);
    let recalls = 0;
    const recall = (_id: string, upTo: number) => {
      recalls++;
      return client.answerRecall(upTo);
    };
    const results = await Promise.all(entries.slice(5).map((e) => handler.receive(sessionId, e, recall)));
    expect(recalls).toBe(1);
    expect(results.map((r) => r.recalled)).toEqual([true, false, false, false, false]);
    expect(handler.state(sessionId)).toEqual(replayed(10));
  });

  it('starts a session it does not know at seq 0 without asking for a chain', async () => {
    const first = newHandler();
    const { sessionId, key } = first.initiate();
    const client = await SessionClient.open<ChatBody>({ sessionId, key });
    const restarted = newHandler();
    const result = await restarted.receive(sessionId, await client.append(chatBody(0)), () => {
      throw new Error('no recall expected');
    });
    expect(result).toMatchObject({ recalled: false, state: replayed(1) });
  });

  it('verifies after a restart without having stored keys: a new handler with the same secret recalls the session', async () => {
    const before = newHandler();
    const { sessionId, client, send } = await connect(before);
    for (let n = 0; n < 12; n++) await send(chatBody(n));
    before.close();
    const after = newHandler();
    const result = await after.receive(sessionId, await client.append(chatBody(12)), client.recaller());
    expect(result).toMatchObject({ recalled: true, state: replayed(13) });
  });

  it('refuses the chain with wrong_key under another secret, and installs nothing', async () => {
    const { sessionId, client, send } = await connect(newHandler());
    for (let n = 0; n < 5; n++) await send(chatBody(n));
    const stranger = newHandler({ secret: fromHex('43'.repeat(32)) });
    const error = await stranger.receive(sessionId, await client.append(chatBody(5)), client.recaller()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChainError);
    expect((error as ChainError).code).toBe('wrong_key');
    expect(stranger.has(sessionId)).toBe(false);
  });

  it('reports initiated, recalled, rejected and deleted sessions on events$', async () => {
    const handler = newHandler();
    const events: SessionEvent['type'][] = [];
    handler.events$.subscribe((e) => events.push(e.type));
    const { sessionId, send } = await connect(handler);
    await send(chatBody(0));
    handler.delete(sessionId);
    await send(chatBody(1));
    await handler.receive('nobody', { seq: 3, body: chatBody(3), seal: '0'.repeat(64) }, async () => []).catch(() => undefined);
    handler.close();
    expect(events).toEqual(['initiated', 'deleted', 'recalled', 'rejected', 'deleted']);
  });

  it('refuses an entry the definition throws on, keeps the state, and moves the chain on; a replay skips it the same way', async () => {
    const picky = { ...chatSession, apply: (s: ChatState, b: ChatBody) => (b.type === 'note' && b.text === 'boom' ? fail() : chatSession.apply(s, b)) };
    function fail(): never {
      throw new RangeError('boom is not a note');
    }
    const handler = new SessionHandler<ChatState, ChatBody>({ secret, definition: picky, failureDetector: null });
    const { sessionId, send } = await connect(handler);
    await send(chatBody(0));
    const before = handler.state(sessionId);
    await expect(send({ type: 'note', text: 'boom' })).rejects.toThrow(RangeError);
    expect(handler.state(sessionId)).toBe(before);
    expect((await send(chatBody(1))).state).toEqual(chatSession.apply(before!, chatBody(1)));
    const live = handler.state(sessionId);
    handler.delete(sessionId);
    expect((await send(chatBody(2))).state).toEqual(chatSession.apply(live!, chatBody(2)));
  });

  it('deletes a silent session when the heartbeat detector times out, and recalls it on its next message', async () => {
    vi.useFakeTimers();
    const deleted: string[] = [];
    const handler = newHandler({ failureDetector: new HeartbeatFailureDetector({ timeoutMs: 1_000 }) });
    handler.events$.subscribe((e) => e.type === 'deleted' && e.reason === 'failure' && deleted.push(e.sessionId));
    const quiet = await connect(handler);
    const chatty = await connect(handler);
    await quiet.send(chatBody(0));
    for (let t = 0; t < 6; t++) {
      vi.advanceTimersByTime(300);
      handler.heartbeat(chatty.sessionId);
    }
    expect(deleted).toEqual([quiet.sessionId]);
    expect(handler.has(quiet.sessionId)).toBe(false);
    expect(handler.has(chatty.sessionId)).toBe(true);
    expect((await quiet.send(chatBody(1))).recalled).toBe(true);
    handler.close();
  });

  it('takes any FailureDetector: its verdict drops the session', async () => {
    const watches = new Map<string, () => void>();
    const manual: FailureDetector = {
      watch(sessionId, onFailure): SessionWatch {
        watches.set(sessionId, onFailure);
        return { heartbeat() {}, hasFailed: () => false, stop: () => watches.delete(sessionId) };
      },
      close: () => watches.clear(),
    };
    const handler = newHandler({ failureDetector: manual });
    const { sessionId, send } = await connect(handler);
    await send(chatBody(0));
    watches.get(sessionId)!();
    expect(handler.has(sessionId)).toBe(false);
    expect(watches.has(sessionId)).toBe(false);
    expect((await send(chatBody(1))).recalled).toBe(true);
    expect(watches.has(sessionId)).toBe(true);
  });

  it('rebuilds exactly the live state whenever the server loses it (property)', async () => {
    const body = fc.oneof(
      fc.record({ type: fc.constant('received' as const), topic: fc.constantFrom('a', 'b', 'ç😀'), id: fc.nat() }),
      fc.record({ type: fc.constant('read' as const), topic: fc.constantFrom('a', 'b', 'ç😀'), upTo: fc.nat() }),
      fc.record({ type: fc.constant('mute' as const), topic: fc.constantFrom('a', 'b'), muted: fc.boolean() }),
      fc.record({ type: fc.constant('note' as const), text: fc.string({ maxLength: 12 }) }),
      fc.record({ type: fc.constant('unread' as const), topic: fc.constantFrom('a', 'b') }),
    );
    const step = fc.oneof(
      { weight: 6, arbitrary: body.map((b) => ({ send: b as ChatBody })) },
      { weight: 1, arbitrary: fc.constantFrom('drop' as const, 'restart' as const) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 60 }), async (steps) => {
        let handler = newHandler();
        const { sessionId, key } = handler.initiate();
        const client = await SessionClient.open<ChatBody>({ sessionId, key, pageSize: 7 });
        let live = chatSession.initial();
        let lost = false;
        let recalls = 0;
        for (const s of steps) {
          if (s === 'drop') {
            lost = handler.delete(sessionId) || lost;
          } else if (s === 'restart') {
            handler.close();
            handler = newHandler();
            lost = true;
          } else {
            live = chatSession.apply(live, s.send);
            const entry = await client.append(s.send);
            const result = await handler.receive(sessionId, entry, client.recaller());
            if (lost && entry.seq > 0) recalls++;
            expect(result.recalled).toBe(lost && entry.seq > 0);
            lost = false;
            expect(result.state).toEqual(live);
          }
        }
        expect(client.recalls).toBe(recalls);
      }),
      { numRuns: 60 },
    );
  });
});
