// Read state is the user's: what one device reads or mutes reaches the user's other devices, which fold it into
// their own sealed sessions (SyncReadState); a new device starts from the user's state (GetReadState).
import { firstValueFrom, filter } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ImClient } from './client/ImClient.js';
import { applyOutcome, applyReply, emptyImState, type ImState } from './client/ImState.js';
import { ReadStateFold } from './client/ReadStateFold.js';
import { commandSchema, deviceSession, MAX_SYNC_ENTRIES, SessionLimitError, topicKey, type Command, type CommandOf, type ReplyData } from './index.js';
import { defaultExecute, FakeHub, type Execution } from '../testing/FakeHub.js';

const key = topicKey('general', 'hello');

function withTopic(state: ImState, lastSeq: number, unread: number): ImState {
  return {
    ...state,
    topics: new Map([[key, { stream: 'general', topic: 'hello', status: 'discussion' as const, votes: {}, lastSeq }]]),
    unread: new Map([[key, unread]]),
  };
}

const readState = (over: Partial<ReplyData<'GetReadState'>> = {}): ReplyData<'GetReadState'> => ({
  cursors: [],
  muted: [],
  unread: [],
  fold: { cursors: [], mutes: [] },
  ...over,
});

describe('ImState: pushes of the user read state', () => {
  it('TopicRead up to the newest known message clears the topic; an older one only moves the cursor', () => {
    const state = withTopic(emptyImState, 10, 4);
    const cleared = applyOutcome(state, { type: 'TopicRead', stream: 'general', topic: 'hello', upTo: 10 });
    expect(cleared.unread.has(key)).toBe(false);
    expect(cleared.cursors.get(key)).toBe(10);
    const partly = applyOutcome(state, { type: 'TopicRead', stream: 'general', topic: 'hello', upTo: 7 });
    expect(partly.unread.get(key)).toBe(4); // exact count comes with the SyncReadState reply
    expect(partly.cursors.get(key)).toBe(7);
    // A cursor never moves back.
    expect(applyOutcome(cleared, { type: 'TopicRead', stream: 'general', topic: 'hello', upTo: 3 })).toBe(cleared);
  });

  it('TopicMuteChanged mutes and unmutes; the SyncReadState reply sets exact counts', () => {
    const muted = applyOutcome(emptyImState, { type: 'TopicMuteChanged', stream: 'general', topic: 'hello', muted: true });
    expect(muted.muted.has(key)).toBe(true);
    expect(applyOutcome(muted, { type: 'TopicMuteChanged', stream: 'general', topic: 'hello', muted: false }).muted.has(key)).toBe(false);
    const synced = applyReply(withTopic(emptyImState, 10, 4), 'SyncReadState', {
      cursors: [{ stream: 'general', topic: 'hello', upTo: 7 }],
      unread: [{ stream: 'general', topic: 'hello', count: 2 }],
    });
    expect(synced.unread.get(key)).toBe(2);
    expect(synced.cursors.get(key)).toBe(7);
  });
});

describe('ReadStateFold', () => {
  it('folds what the session lacks, once, and nothing this device did itself', () => {
    const fold = new ReadStateFold();
    fold.reset(readState({ cursors: [{ stream: 'general', topic: 'hello', upTo: 5 }] }));
    expect(fold.take()).toEqual([]);
    // Our own MarkRead comes back as TopicRead: nothing to fold.
    fold.issued(commandSchema.parse({ type: 'MarkRead', traceId: 't1', stream: 'general', topic: 'hello', upTo: 8 }) as Command);
    expect(fold.fold({ type: 'TopicRead', stream: 'general', topic: 'hello', upTo: 8 })).toBe(false);
    // Another device read further, twice in a burst: one entry with the higher cursor.
    expect(fold.fold({ type: 'TopicRead', stream: 'general', topic: 'hello', upTo: 9 })).toBe(true);
    expect(fold.fold({ type: 'TopicRead', stream: 'general', topic: 'hello', upTo: 12 })).toBe(true);
    expect(fold.fold({ type: 'TopicMuteChanged', stream: 'general', topic: 'hello', muted: true })).toBe(true);
    const batches = fold.take();
    expect(batches).toEqual([{ cursors: [{ stream: 'general', topic: 'hello', upTo: 12 }], mutes: [{ stream: 'general', topic: 'hello', muted: true }] }]);
    expect(fold.due).toBe(0);
    fold.issued(commandSchema.parse({ type: 'SyncReadState', traceId: 't2', ...batches[0] }) as Command);
    expect(fold.fold({ type: 'TopicRead', stream: 'general', topic: 'hello', upTo: 12 })).toBe(false);
    expect(fold.fold({ type: 'TopicMuteChanged', stream: 'general', topic: 'hello', muted: true })).toBe(false);
  });

  it('a mute then an unmute elsewhere before the fold leaves nothing due', () => {
    const fold = new ReadStateFold();
    fold.reset(readState());
    fold.fold({ type: 'TopicMuteChanged', stream: 'general', topic: 'hello', muted: true });
    fold.fold({ type: 'TopicMuteChanged', stream: 'general', topic: 'hello', muted: false });
    expect(fold.take()).toEqual([]);
  });

  it('GetReadState.fold becomes SyncReadState commands within the entry limit', () => {
    const fold = new ReadStateFold();
    const cursors = Array.from({ length: MAX_SYNC_ENTRIES + 3 }, (_, i) => ({ stream: 'general', topic: `t${i}`, upTo: i + 1 }));
    fold.reset(readState({ cursors, fold: { cursors, mutes: [{ stream: 'general', topic: 't1', muted: true }] } }));
    const batches = fold.take();
    expect(batches.map((b) => [b.cursors.length, b.mutes.length])).toEqual([[MAX_SYNC_ENTRIES, 1], [3, 0]]);
    for (const batch of batches) expect(commandSchema.safeParse({ type: 'SyncReadState', traceId: 't', ...batch }).success).toBe(true);
  });
});

describe('deviceSession: SyncReadState', () => {
  it('moves cursors forward only and sets mutes; a malformed body changes nothing', () => {
    const state = deviceSession.initial();
    deviceSession.apply(state, { type: 'MarkRead', traceId: 'a', stream: 's', topic: 't', upTo: 9 });
    deviceSession.apply(state, { type: 'SyncReadState', traceId: 'b', cursors: [{ stream: 's', topic: 't', upTo: 4 }, { stream: 's', topic: 'u', upTo: 2 }], mutes: [{ stream: 's', topic: 't', muted: true }] });
    expect([...state.cursors]).toEqual([[topicKey('s', 't'), 9], [topicKey('s', 'u'), 2]]);
    expect([...state.muted]).toEqual([topicKey('s', 't')]);
    const hostile = { type: 'SyncReadState', traceId: 'c', cursors: [{ stream: 's', topic: 'x', upTo: -1 }], mutes: [] } as unknown as Command;
    deviceSession.apply(state, hostile);
    expect(state.cursors.has(topicKey('s', 'x'))).toBe(false);
    const extra = { type: 'SyncReadState', traceId: 'd', cursors: [], mutes: [{ stream: 's', topic: 't', muted: false, evil: 1 }] } as unknown as Command;
    deviceSession.apply(state, extra);
    expect(state.muted.has(topicKey('s', 't'))).toBe(true);
  });

  it('refuses a fold beyond the session limit before changing anything', () => {
    const state = deviceSession.initial();
    const cursors = state.cursors as Map<string, number>;
    for (let i = 0; i < 10_000 - 1; i++) cursors.set(topicKey('s', `t${i}`), 1);
    const sync = { type: 'SyncReadState', traceId: 'e', cursors: [{ stream: 's', topic: 'new1', upTo: 1 }, { stream: 's', topic: 'new2', upTo: 1 }, { stream: 's', topic: 't0', upTo: 5 }], mutes: [] } as Command;
    expect(() => deviceSession.apply(state, sync)).toThrow(SessionLimitError);
    expect(cursors.get(topicKey('s', 't0'))).toBe(1);
    expect(cursors.has(topicKey('s', 'new1'))).toBe(false);
  });
});

describe('ImClient folds the user read state into its session', () => {
  const clients: ImClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  async function online(hub: FakeHub): Promise<ImClient> {
    const client = await ImClient.open({ url: 'http://hub.test', deviceId: 'd1', token: 't', WebSocket: hub.WebSocket, reconnect: { initialDelayMs: 1, jitter: 0 } });
    clients.push(client);
    client.connect();
    await firstValueFrom(client.pending$.pipe(filter((p) => p.length === 0 && client.state.me !== undefined)));
    return client;
  }

  /** A FakeHub whose SyncReadState commands are handed to the test as they are executed. */
  function hubWithSyncs(execute?: (command: Command, hub: FakeHub) => Execution | undefined) {
    const syncs: Array<CommandOf<'SyncReadState'>> = [];
    let notify: (() => void) | undefined;
    const hub = new FakeHub({
      execute: (command, h) => {
        if (command.type === 'SyncReadState') {
          syncs.push(command);
          notify?.();
        }
        return execute?.(command, h) ?? defaultExecute(command, h);
      },
    });
    const nextSync = (count: number) =>
      new Promise<CommandOf<'SyncReadState'>>((resolve) => {
        notify = () => syncs.length >= count && resolve(syncs[count - 1]!);
        notify();
      });
    return { hub, syncs, nextSync };
  }

  it('a new device starts from the user state and folds it into its sealed session', async () => {
    const { hub, nextSync } = hubWithSyncs((command) => {
      if (command.type === 'GetStreams') {
        return { data: { streams: [{ name: 'general', description: '', creatorId: 'u1', createdAt: 1, groups: ['g1'], reviewers: [] }], topics: [{ stream: 'general', topic: 'hello', status: 'discussion', votes: {}, lastSeq: 5500 }] } };
      }
      if (command.type === 'GetReadState') {
        const cursors = [{ stream: 'general', topic: 'hello', upTo: 5500 }];
        return { data: { cursors, muted: [{ stream: 'general', topic: 'hello' }], unread: [], fold: { cursors, mutes: [{ stream: 'general', topic: 'hello', muted: true }] } } };
      }
      return undefined;
    });
    const client = await online(hub);
    expect(client.state.unread.size).toBe(0);
    expect(client.state.muted.has(key)).toBe(true);
    const synced = await nextSync(1);
    expect(synced).toMatchObject({ cursors: [{ stream: 'general', topic: 'hello', upTo: 5500 }], mutes: [{ stream: 'general', topic: 'hello', muted: true }] });
    // The session the hub keeps for this device (rebuilt from its sealed chain) now has the user's state.
    const session = hub.sessionState(client.logInfo!.sessionId)!;
    expect(session.cursors.get(key)).toBe(5500);
    expect(session.muted.has(key)).toBe(true);
  });

  it('a GetReadState reply read before another device read the topic does not bring the count back', async () => {
    // The hub read the user's state, then another device read the topic and its push overtook the reply (seen on
    // PostgreSQL under load): the stale snapshot must not undo the push, shown or folded.
    let first = true;
    const { hub, nextSync } = hubWithSyncs((command, h) => {
      if (command.type === 'GetStreams') {
        return { data: { streams: [{ name: 'general', description: '', creatorId: 'u2', createdAt: 1, groups: ['g1'], reviewers: [] }], topics: [{ stream: 'general', topic: 'hello', status: 'discussion', votes: {}, lastSeq: 1003 }] } };
      }
      if (command.type === 'GetReadState' && first) {
        first = false;
        h.push({ type: 'TopicMuteChanged', stream: 'general', topic: 'hello', muted: true });
        h.push({ type: 'TopicRead', stream: 'general', topic: 'hello', upTo: 1003 });
        return { data: { cursors: [], muted: [], unread: [{ stream: 'general', topic: 'hello', count: 3 }], fold: { cursors: [], mutes: [] }, asOfSeq: 1003 } };
      }
      return undefined;
    });
    const client = await online(hub);
    expect(client.state.unread.has(key)).toBe(false);
    expect(client.state.cursors.get(key)).toBe(1003);
    expect(client.state.muted.has(key)).toBe(true);
    expect(await nextSync(1)).toMatchObject({ cursors: [{ stream: 'general', topic: 'hello', upTo: 1003 }], mutes: [{ stream: 'general', topic: 'hello', muted: true }] });
    // A later snapshot (sent after those pushes were taken) is the state as it is.
    hub.push({ type: 'TopicMuteChanged', stream: 'general', topic: 'hello', muted: false });
    const later = await client.getReadState();
    expect(later.muted).toEqual([]);
    expect(client.state.muted.has(key)).toBe(false);
  });

  it('another device reading clears the count here and is folded once; per-stream counts follow', async () => {
    const { hub, syncs, nextSync } = hubWithSyncs();
    const client = await online(hub);
    hub.push({ type: 'StreamCreated', stream: { name: 'general', description: '', creatorId: 'u2', createdAt: 1, groups: ['g1'], reviewers: [] } });
    for (let seq = 1; seq <= 3; seq++) {
      hub.push({ type: 'NewMessage', message: { messageId: `x${seq}`, seq: 1000 + seq, stream: 'general', topic: 'hello', senderId: 'u2', senderName: 'bob', content: 'hi', createdAt: 1, editedAt: null, deleted: false } });
    }
    const counts = await firstValueFrom(client.streamUnread$.pipe(filter((m) => m.get('general') === 3)));
    expect([...counts]).toEqual([['general', 3]]);
    hub.push({ type: 'TopicRead', stream: 'general', topic: 'hello', upTo: 1003 });
    await firstValueFrom(client.streamUnread$.pipe(filter((m) => m.size === 0)));
    expect(await nextSync(1)).toMatchObject({ cursors: [{ stream: 'general', topic: 'hello', upTo: 1003 }], mutes: [] });
    // The same push again (every device of the user gets it, the one that read included): nothing more to fold.
    hub.push({ type: 'TopicRead', stream: 'general', topic: 'hello', upTo: 1003 });
    await client.markTopicRead('general', 'hello');
    hub.push({ type: 'TopicMuteChanged', stream: 'general', topic: 'hello', muted: true });
    expect(await nextSync(2)).toMatchObject({ cursors: [], mutes: [{ stream: 'general', topic: 'hello', muted: true }] });
    expect(syncs).toHaveLength(2);
    expect(client.state.muted.has(key)).toBe(true);
  });
});
