// ChannelSource: an Observable for everyone, watched directly by machine channels.
import { describe, expect, it } from 'vitest';
import { ChannelSource, defineMachine, Engine } from './index.js';

describe('ChannelSource', () => {
  it('is a plain Observable: subscribers get emissions until they unsubscribe', () => {
    const source = new ChannelSource<number>();
    const seen: number[] = [];
    const subscription = source.subscribe((n) => seen.push(n));
    source.emit(1);
    subscription.unsubscribe();
    source.emit(2);
    expect(seen).toEqual([1]);
    expect(source.watching).toBe(0);
  });

  it('announces a level that already holds to each new watcher, once-sources only once', () => {
    let failed: Error | null = null;
    const hangup = new ChannelSource<Error>({ level: () => failed !== null, value: () => failed!, once: true });
    const early: Error[] = [];
    hangup.subscribe((e) => early.push(e));
    failed = new Error('gone');
    hangup.emit(failed);
    hangup.emit(failed);
    const late: Error[] = [];
    hangup.subscribe((e) => late.push(e));
    expect(early.map((e) => e.message)).toEqual(['gone']);
    expect(late.map((e) => e.message)).toEqual(['gone']);
    expect(hangup.watching).toBe(0);
  });

  it("is watched by a machine's channel while its state lasts and let go on leave", async () => {
    const source = new ChannelSource<string>();
    const got: string[] = [];
    const engine = new Engine();
    const m = engine.spawn(
      defineMachine<{ D0: string; M0: void }>()({
        kind: 'R',
        initial: 'ON',
        states: {
          ON: { enter: (me) => me.on('D0', source), D0: (_me, s) => got.push(s), M0: (me) => me.goto('OFF') },
          OFF: {},
        },
      }),
    );
    expect(source.watching).toBe(1);
    source.emit('a');
    await engine.whenIdle();
    engine.msgTo(m, 'M0');
    await engine.whenIdle();
    expect(source.watching).toBe(0);
    source.emit('b');
    await engine.whenIdle();
    expect(got).toEqual(['a']);
  });
});
