// The push inbox on its own: each outcome id is taken once, duplicates are acked again, an ack goes out after the
// high-water mark was stored — every `ackEvery` pushes, or after `ackDelayMs` of quiet — and a stopped connection's
// pending ack is dropped.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ClientFrame, PushFrame } from '../protocol/frames.js';
import { PushInbox } from './PushInbox.js';

function push(outcomeId: number): PushFrame {
  return { kind: 'push', outcomeId, outcome: { type: 'TopicRead', stream: 's', topic: 't', upTo: outcomeId } };
}

function setup() {
  const taken: number[] = [];
  const persisted: number[] = [];
  const sent: ClientFrame[] = [];
  const inbox: PushInbox = new PushInbox({
    lastOutcomeId: 1,
    ackEvery: 3,
    ackDelayMs: 20,
    take: (outcomeId) => taken.push(outcomeId),
    persist: async () => {
      persisted.push(inbox.lastOutcomeId);
    },
  });
  const socket = {
    send: (frame: ClientFrame) => {
      sent.push(frame);
      return true;
    },
  };
  return { inbox, socket, taken, persisted, sent };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('PushInbox', () => {
  it('takes each outcome id once and acks every ackEvery pushes, duplicates included, after storing the id', async () => {
    vi.useFakeTimers();
    const { inbox, socket, taken, persisted, sent } = setup();
    for (const id of [1, 2, 3]) inbox.onPush(socket, push(id)); // 1 was taken before this run
    await vi.advanceTimersByTimeAsync(0);
    expect(taken).toEqual([2, 3]);
    expect(persisted).toEqual([3]);
    expect(sent).toEqual([{ kind: 'ack', outcomeId: 3 }]);
    inbox.onPush(socket, push(3));
    inbox.onPush(socket, push(4));
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(20);
    expect(taken).toEqual([2, 3, 4]);
    expect(sent).toEqual([
      { kind: 'ack', outcomeId: 3 },
      { kind: 'ack', outcomeId: 4 },
    ]);
    expect(inbox.lastOutcomeId).toBe(4);
  });

  it('drops the pending ack of a stopped connection, and starts over after a resync', async () => {
    vi.useFakeTimers();
    const { inbox, socket, sent } = setup();
    inbox.onPush(socket, push(2));
    inbox.stop();
    await vi.advanceTimersByTimeAsync(100);
    expect(sent).toEqual([]);
    inbox.resetTo(0);
    inbox.onPush(socket, push(1));
    await inbox.flushAck(socket);
    expect(sent).toEqual([{ kind: 'ack', outcomeId: 1 }]);
  });
});
