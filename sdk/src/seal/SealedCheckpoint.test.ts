import { describe, expect, it } from 'vitest';
import { ChainError } from './ChainError.js';
import { fromHex } from '../internal/hex.js';
import { jsSealing } from './jsSealing.js';
import { MemoryLogStore } from './MemoryLogStore.js';
import { nobleSealing } from './nobleSealing.js';
import { sealCheckpoint, verifyCheckpoint, type SealedCheckpoint } from './SealedCheckpoint.js';
import type { SealedEntry } from './SealedEntry.js';
import { SessionClient } from './SessionClient.js';
import { SessionHandler, type RecallFunction, type SessionEvent } from './SessionHandler.js';
import { chatBody, chatSession, checkpointedChatSession, type ChatBody, type ChatState } from './test-support/chatSession.js';

const secret = fromHex('42'.repeat(32));
const key = fromHex('11'.repeat(32));
const otherKey = fromHex('22'.repeat(32));
const prevSeal = 'ab'.repeat(32);

function replayed(count: number): ChatState {
  let state = chatSession.initial();
  for (let n = 0; n < count; n++) state = chatSession.apply(state, chatBody(n));
  return state;
}

/** A handler whose definition counts its apply calls. */
function countingHandler() {
  const counter = { applies: 0 };
  const definition = {
    ...checkpointedChatSession,
    apply(state: ChatState, body: ChatBody) {
      counter.applies++;
      return chatSession.apply(state, body);
    },
  };
  const handler = new SessionHandler<ChatState, ChatBody>({ secret, definition, failureDetector: null });
  return { handler, counter };
}

async function connect(handler: SessionHandler<ChatState, ChatBody>) {
  const { sessionId, key: sessionKey } = handler.initiate();
  const client = await SessionClient.open<ChatBody>({ sessionId, key: sessionKey, store: new MemoryLogStore<ChatBody>(), pageSize: 8 });
  const send = async (body: ChatBody) => handler.receive(sessionId, await client.append(body), client.recaller());
  return { sessionId, sessionKey, client, send };
}

describe('sealed checkpoints', () => {
  for (const sealing of [jsSealing, nobleSealing]) {
    it(`seal and verify with ${sealing.name}; a forged state, another prevSeal, another seq or another key is refused`, () => {
      const checkpoint = sealCheckpoint(sealing, key, 5, prevSeal, { cursors: { a: 1 } });
      expect(verifyCheckpoint(sealing, key, checkpoint)).toEqual(checkpoint);
      const refused = (value: unknown, k = key) => {
        try {
          verifyCheckpoint(sealing, k, value);
        } catch (error) {
          return (error as ChainError).code;
        }
        return 'accepted';
      };
      expect(refused({ ...checkpoint, state: { cursors: { a: 2 } } })).toBe('broken_seal');
      expect(refused({ ...checkpoint, prevSeal: 'cd'.repeat(32) })).toBe('broken_seal');
      expect(refused({ ...checkpoint, seq: 6 })).toBe('broken_seal');
      expect(refused(checkpoint, otherKey)).toBe('broken_seal');
      expect(refused({ ...checkpoint, seq: 0 })).toBe('malformed');
      expect(refused({ ...checkpoint, seal: 'xyz' })).toBe('malformed');
      const { state: _state, ...stateless } = checkpoint;
      expect(refused(stateless)).toBe('malformed');
      // Key order does not matter: the state is sealed as canonical JSON.
      const two = sealCheckpoint(sealing, key, 5, prevSeal, { b: 1, a: 2 });
      expect(verifyCheckpoint(sealing, key, { ...two, state: { a: 2, b: 1 } }).seq).toBe(5);
    });
  }

  it('matches the PROTOCOL.md test vector (computed independently with Python hmac)', () => {
    const state = { cursors: [['general', 'hello', 41]], muted: [['general', 'noise']] };
    const prev = 'c667ad458d6c701600d0f74040a98f67e9e1eca29318f766427ddd9e372b9092';
    for (const sealing of [jsSealing, nobleSealing]) {
      expect(sealCheckpoint(sealing, new Uint8Array(32).fill(7), 1, prev, state).seal).toBe('5d7795ae56446977ffb5861100e9f231c086ef07257149c22b329aa794723e6b');
    }
  });

  it('both sealings give the same checkpoint seal', () => {
    expect(sealCheckpoint(jsSealing, key, 300, prevSeal, { x: [1, 'é'] }).seal).toBe(sealCheckpoint(nobleSealing, key, 300, prevSeal, { x: [1, 'é'] }).seal);
  });
});

describe('SessionClient with checkpoints', () => {
  it('keeps a valid checkpoint and drops the entries before it; the chain goes on from it and a reopen resumes it', async () => {
    const { handler } = countingHandler();
    const { sessionId, sessionKey, client, send } = await connect(handler);
    for (let n = 0; n < 20; n++) await send(chatBody(n));
    const checkpoint = handler.checkpoint(sessionId)!;
    expect(checkpoint.seq).toBe(20);
    expect(await client.acceptCheckpoint(checkpoint)).toBe(true);
    expect(await client.store.read(0, 100)).toEqual([]);
    expect(await client.store.length()).toBe(20);
    expect(await client.checkpoint()).toEqual(checkpoint);
    // The same checkpoint again (or an older one) changes nothing.
    expect(await client.acceptCheckpoint(checkpoint)).toBe(false);
    expect((await send(chatBody(20))).state).toEqual(replayed(21));
    // A client reopened on a store holding only the checkpoint continues the chain after it.
    const store = client.store;
    const reopenedOnEmpty = await SessionClient.open<ChatBody>({ sessionId, key: sessionKey, store: compactedOnly(checkpoint) });
    expect(reopenedOnEmpty.nextSeq).toBe(20);
    const reopened = await SessionClient.open<ChatBody>({ sessionId, key: sessionKey, store });
    expect(reopened.nextSeq).toBe(21);
  });

  it('refuses a forged checkpoint, one of another chain and one past its chain, keeping every entry', async () => {
    const { handler } = countingHandler();
    const { sessionId, client, send } = await connect(handler);
    for (let n = 0; n < 10; n++) await send(chatBody(n));
    const checkpoint = handler.checkpoint(sessionId)!;
    const refusal = (value: unknown) => client.acceptCheckpoint(value).then(() => 'accepted', (error: unknown) => (error as ChainError).code);
    expect(await refusal({ ...checkpoint, state: { ...checkpoint.state as object, notes: ['forged'] } })).toBe('broken_seal');
    // Sealed with the right key, but on a seal that is not this client's entry 9: another history.
    const onOtherChain = sealCheckpoint(jsSealing, handler.keyOf(sessionId), 10, 'cd'.repeat(32), checkpoint.state);
    expect(await refusal(onOtherChain)).toBe('fork');
    // Past the committed chain.
    const ahead = sealCheckpoint(jsSealing, handler.keyOf(sessionId), 12, 'cd'.repeat(32), checkpoint.state);
    expect(await refusal(ahead)).toBe('gap');
    // Another session's checkpoint (another key).
    const other = await connect(handler);
    await other.send(chatBody(0));
    expect(await refusal({ ...handler.checkpoint(other.sessionId)!, seq: 1 })).not.toBe('accepted');
    expect(await client.store.read(0, 100)).toHaveLength(10);
    expect(await client.checkpoint()).toBeUndefined();
  });
});

describe('SessionHandler recall from a checkpoint', () => {
  it('verifies the checkpoint, starts from its state and replays only the tail', async () => {
    const { handler, counter } = countingHandler();
    const { sessionId, client, send } = await connect(handler);
    for (let n = 0; n < 100; n++) await send(chatBody(n));
    await client.acceptCheckpoint(handler.checkpoint(sessionId));
    for (let n = 100; n < 110; n++) await send(chatBody(n));
    const events: SessionEvent[] = [];
    handler.events$.subscribe((e) => events.push(e));
    handler.delete(sessionId);
    counter.applies = 0;
    const asked: number[] = [];
    const recall: RecallFunction<ChatBody> = (id, upTo) => {
      asked.push(upTo);
      return client.recaller()(id, upTo);
    };
    const result = await handler.receive(sessionId, await client.append(chatBody(110)), recall);
    expect(result.recalled).toBe(true);
    expect(result.state).toEqual(replayed(111));
    // 10 entries of the tail replayed, then the entry that caused the recall.
    expect(counter.applies).toBe(11);
    expect(asked).toEqual([110]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'recalled', entries: 10, fromCheckpoint: 100 }));
    expect((await send(chatBody(111))).state).toEqual(replayed(112));
  });

  it('recalls from a checkpoint right at the entry that caused the recall (no tail)', async () => {
    const { handler, counter } = countingHandler();
    const { sessionId, client, send } = await connect(handler);
    for (let n = 0; n < 30; n++) await send(chatBody(n));
    await client.acceptCheckpoint(handler.checkpoint(sessionId));
    handler.delete(sessionId);
    counter.applies = 0;
    expect((await send(chatBody(30))).state).toEqual(replayed(31));
    expect(counter.applies).toBe(1);
  });

  it('refuses a forged or misplaced checkpoint in a recall like a forged seal, installing nothing', async () => {
    const { handler } = countingHandler();
    const { sessionId, client, send } = await connect(handler);
    for (let n = 0; n < 20; n++) await send(chatBody(n));
    const checkpoint = handler.checkpoint(sessionId)!;
    const entries = await client.store.read(0, 100);
    const next = await client.append(chatBody(20));
    const answering =
      (cp: unknown, tail: readonly SealedEntry<ChatBody>[]): RecallFunction<ChatBody> =>
      () =>
        Promise.resolve({ checkpoint: cp as SealedCheckpoint, entries: tail });
    const cases: Array<[string, unknown, readonly SealedEntry<ChatBody>[], string]> = [
      ['forged state', { ...checkpoint, state: replayed(3) }, [], 'broken_seal'],
      ['wrong seq', { ...checkpoint, seq: 19 }, entries.slice(19), 'broken_seal'],
      ['wrong prevSeal', { ...checkpoint, prevSeal: entries[10]!.seal }, [], 'broken_seal'],
      // Validly sealed at seq 10 but answered without the entries 10..19: the entry 20 does not follow it.
      ['tail missing', sealCheckpointAt(handler, sessionId, 10, entries[9]!.seal, checkpoint.state), [], 'truncated'],
      // A tail that does not start at the checkpoint.
      ['tail not from it', sealCheckpointAt(handler, sessionId, 10, entries[9]!.seal, checkpoint.state), entries.slice(11), 'gap'],
      ['past the entry', sealCheckpointAt(handler, sessionId, 25, next.seal, checkpoint.state), [], 'fork'],
      ['another key', sealCheckpoint(jsSealing, otherKey, 20, checkpoint.prevSeal, checkpoint.state), [], 'broken_seal'],
    ];
    for (const [, cp, tail, code] of cases) {
      handler.delete(sessionId);
      await expect(handler.receive(sessionId, next, answering(cp, tail))).rejects.toMatchObject({ name: 'ChainError', code });
      expect(handler.has(sessionId)).toBe(false);
    }
    // A definition that cannot restore refuses any checkpoint.
    const plain = new SessionHandler<ChatState, ChatBody>({ secret, definition: chatSession, failureDetector: null });
    await expect(plain.receive(sessionId, next, answering(checkpoint, []))).rejects.toMatchObject({ code: 'malformed' });
    // The honest answer still works.
    handler.delete(sessionId);
    expect((await handler.receive(sessionId, next, answering(checkpoint, []))).state).toEqual(replayed(21));
  });

  it('applies maxRecall to the tail after the checkpoint, not to the whole chain', async () => {
    const definition = checkpointedChatSession;
    const handler = new SessionHandler<ChatState, ChatBody>({ secret, definition, failureDetector: null, maxRecall: 15 });
    const { sessionId, client, send } = await connect(handler);
    for (let n = 0; n < 40; n++) await send(chatBody(n));
    handler.delete(sessionId);
    await expect(send(chatBody(40))).rejects.toMatchObject({ code: 'recall_too_long' });
    // Rebuild it live from the client's chain through a handler without a limit, then checkpoint at 41.
    const unlimited = new SessionHandler<ChatState, ChatBody>({ secret, definition, failureDetector: null });
    await unlimited.receive(sessionId, await client.append(chatBody(41)), client.recaller());
    await client.acceptCheckpoint(unlimited.checkpoint(sessionId));
    for (let n = 42; n < 50; n++) await client.append(chatBody(n));
    expect((await send(chatBody(50))).recalled).toBe(true);
  });
});

function sealCheckpointAt(handler: SessionHandler<ChatState, ChatBody>, sessionId: string, seq: number, prev: string, state: unknown): SealedCheckpoint {
  return sealCheckpoint(jsSealing, handler.keyOf(sessionId), seq, prev, state);
}

/** A store that holds only `checkpoint` (every entry before it compacted, none after). */
function compactedOnly(checkpoint: SealedCheckpoint): MemoryLogStore<ChatBody> {
  return Object.assign(new MemoryLogStore<ChatBody>(), {
    checkpoint: () => Promise.resolve(checkpoint),
    length: () => Promise.resolve(checkpoint.seq),
  });
}
