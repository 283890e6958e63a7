// Machines talking over the in-memory byte channel: the same engine and channel semantics the
// echo server uses over TCP, runnable in Node and in Chromium.
import { describe, expect, it } from 'vitest';
import { defineMachine, Engine, MemoryChannel, type ByteChannel, type TraceEntry } from './index.js';

const text = new TextEncoder();
const bytesToText = new TextDecoder();

interface EchoMsgs {
  M0: void;
  D0: void;
  D1: void;
  D2: Error;
}
interface EchoData {
  readonly channel: ByteChannel;
  pending: Uint8Array | null;
}

/** Reads (D0), waits until writable (D1), writes the bytes back, until hang-up (D2). */
const echo = defineMachine<EchoMsgs, EchoData>()({
  kind: 'ECHO',
  initial: 'READ',
  states: {
    READ: {
      enter: (me) => {
        me.on('D0', me.data.channel.readable$);
        me.on('D2', me.data.channel.hangup$);
      },
      D0: (me) => {
        me.data.pending = me.data.channel.read();
        if (me.data.pending !== null) me.goto('WRITE');
      },
      D2: (me) => me.goto('DONE'),
    },
    WRITE: {
      enter: (me) => me.on('D1', me.data.channel.writable$),
      D1: (me) => {
        me.data.channel.write(me.data.pending!);
        me.data.pending = null;
        me.goto('READ');
      },
    },
    DONE: { enter: (me) => me.data.channel.close() },
  },
});

interface AskMsgs {
  M0: void;
  D0: void;
  D2: Error;
  T0: void;
}
interface AskData {
  readonly channel: ByteChannel;
  readonly questions: string[];
  readonly answers: string[];
}

/** Sends a question, waits for its answer (or T0), sends the next; closes when out of questions. */
const asker = defineMachine<AskMsgs, AskData>()({
  kind: 'ASK',
  initial: 'SEND',
  states: {
    SEND: {
      enter: (me) => {
        const next = me.data.questions.shift();
        if (next === undefined) {
          me.data.channel.close();
          me.goto('DONE');
          return;
        }
        me.data.channel.write(text.encode(next));
        me.msgTo(me, 'M0');
      },
      M0: (me) => me.goto('WAIT'),
    },
    WAIT: {
      enter: (me) => {
        me.on('D0', me.data.channel.readable$);
        me.on('D2', me.data.channel.hangup$);
        me.timer('T0', 5000);
      },
      D0: (me) => {
        me.data.answers.push(bytesToText.decode(me.data.channel.read()!));
        me.goto('SEND');
      },
      D2: (me) => me.goto('DONE'),
      T0: (me) => me.goto('DONE'),
    },
    DONE: {},
  },
});

describe('machines over MemoryChannel', () => {
  it('two machines hold a request-reply conversation over an in-memory channel, then hang up', async () => {
    const [serverEnd, clientEnd] = MemoryChannel.pair();
    const engine = new Engine();
    const trace: TraceEntry[] = [];
    engine.trace$.subscribe((entry) => trace.push(entry));
    const server = engine.spawn(echo, { channel: serverEnd, pending: null });
    const client = engine.spawn(asker, { channel: clientEnd, questions: ['one', 'two', 'three'], answers: [] });
    while (client.state !== 'DONE' || server.state !== 'DONE') await engine.whenIdle();
    expect(client.data.answers).toEqual(['one', 'two', 'three']);
    expect(trace.filter((e) => e.kind === 'delivery' && e.machine === 'ECHO-1').map((e) => e.line)).toEqual([
      "ECHO-1 @ READ got 'D0' from OS",
      "ECHO-1 @ WRITE got 'D1' from OS",
      "ECHO-1 @ READ got 'D0' from OS",
      "ECHO-1 @ WRITE got 'D1' from OS",
      "ECHO-1 @ READ got 'D0' from OS",
      "ECHO-1 @ WRITE got 'D1' from OS",
      "ECHO-1 @ READ got 'D2' from OS",
    ]);
    expect(trace.some((e) => e.kind === 'error')).toBe(false);
  });

  it('is level-triggered: bytes written before the reader enables D0 are announced on enable', () => {
    const [a, b] = MemoryChannel.pair();
    a.write(text.encode('early'));
    let announced = 0;
    const subscription = b.readable$.subscribe(() => announced++);
    expect(announced).toBe(1);
    expect(bytesToText.decode(b.read()!)).toBe('early');
    expect(b.read()).toBeNull();
    subscription.unsubscribe();
  });

  it('reports the hang-up only after every byte the peer sent has been read', () => {
    const [a, b] = MemoryChannel.pair();
    a.write(text.encode('last words'));
    a.close();
    const hangups: Error[] = [];
    b.hangup$.subscribe((reason) => hangups.push(reason));
    expect(hangups).toEqual([]);
    expect(bytesToText.decode(b.read()!)).toBe('last words');
    expect(hangups).toHaveLength(1);
    expect(hangups[0]!.message).toMatch(/peer hung up/);
    expect(a.write(text.encode('more'))).toBe(false);
  });

  it('stops being writable at the high-water mark and becomes writable again once the peer reads', () => {
    const [a, b] = MemoryChannel.pair({ highWaterMark: 4 });
    let writable = 0;
    a.write(text.encode('12345'));
    const subscription = a.writable$.subscribe(() => writable++);
    expect(writable).toBe(0);
    b.read();
    expect(writable).toBe(1);
    subscription.unsubscribe();
  });
});
