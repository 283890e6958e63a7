import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { failed, KILLED, NORMAL, SHUTDOWN, type Exit } from '../Exit.js';
import { StoppedError } from '../SupervisionError.js';
import { RunLifecycle } from './RunLifecycle.js';

/** A run that ends when the test says so; records its graceful phases and teardowns. */
class TestRun extends RunLifecycle {
  readonly exits: Exit[] = [];
  readonly teardowns: Exit[] = [];
  gracefulPhases = 0;
  onGraceful: (() => void) | undefined;
  pendingTeardown: Promise<void> | undefined;

  constructor() {
    super('test/run', (exit) => this.exits.push(exit));
  }

  finish(exit: Exit): void {
    this.end(exit);
  }

  protected stopGracefully(): void {
    this.gracefulPhases++;
    this.onGraceful?.();
  }

  protected teardown(exit: Exit): Promise<void> | undefined {
    this.teardowns.push(exit);
    return this.pendingTeardown;
  }
}

describe('RunLifecycle', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('ends exactly once: the first exit wins, later ones are ignored', async () => {
    const run = new TestRun();
    run.finish(NORMAL);
    run.finish(failed(new Error('late')));
    run.finish(KILLED);
    expect(run.exits).toEqual([NORMAL]);
    expect(run.teardowns).toEqual([NORMAL]);
    expect(await run.stop(1000)).toBe(NORMAL);
  });

  it('a run that finishes gracefully before its deadline ends SHUTDOWN and leaves no timer behind', async () => {
    const run = new TestRun();
    const stopping = run.stopping;
    const stopped = run.stop(1000);
    expect(stopping.aborted).toBe(true);
    expect(stopping.reason).toBeInstanceOf(StoppedError);
    expect(run.gracefulPhases).toBe(1);
    expect(vi.getTimerCount()).toBe(1); // the deadline
    run.finish(SHUTDOWN);
    expect(vi.getTimerCount()).toBe(0);
    expect(await stopped).toBe(SHUTDOWN);
    expect(run.signal.aborted).toBe(true);
    vi.advanceTimersByTime(5000);
    expect(run.exits).toEqual([SHUTDOWN]);
  });

  it('a run that ends during its graceful phase never arms a deadline', async () => {
    const run = new TestRun();
    run.onGraceful = () => run.finish(SHUTDOWN);
    expect(await run.stop(1000)).toBe(SHUTDOWN);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a run still going at its deadline is killed: signal and stopping abort, the Exit is KILLED', async () => {
    const run = new TestRun();
    const signal = run.signal;
    const stopping = run.stopping;
    const stopped = run.stop(1000);
    vi.advanceTimersByTime(999);
    expect(run.exits).toEqual([]);
    expect(signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(await stopped).toBe(KILLED);
    expect(run.exits).toEqual([KILLED]);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(StoppedError);
    expect(stopping.aborted).toBe(true); // since the graceful phase began
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stop(0) kills at once, without a graceful phase: stopping and signal abort together', async () => {
    const run = new TestRun();
    const { signal, stopping } = run;
    expect(await run.stop(0)).toBe(KILLED);
    expect(run.gracefulPhases).toBe(0);
    expect(signal.aborted).toBe(true);
    expect(stopping.reason).toBe(signal.reason);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stop(Infinity) waits for the run without a timer', async () => {
    const run = new TestRun();
    const stopped = run.stop(Infinity);
    expect(vi.getTimerCount()).toBe(0);
    run.finish(SHUTDOWN);
    expect(await stopped).toBe(SHUTDOWN);
  });

  it('stop after the end is a no-op returning the same Exit', async () => {
    const run = new TestRun();
    const crash = failed(new Error('boom'));
    run.finish(crash);
    expect(await run.stop(1000)).toBe(crash);
    expect(await run.stop(0)).toBe(crash);
    expect(run.gracefulPhases).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(run.exits).toEqual([crash]);
  });

  it('every stop caller gets the same Exit; a second stop does not move the first deadline', async () => {
    const run = new TestRun();
    const first = run.stop(1000);
    const second = run.stop(10);
    vi.advanceTimersByTime(10);
    expect(run.exits).toEqual([]);
    vi.advanceTimersByTime(990);
    expect(await Promise.all([first, second])).toEqual([KILLED, KILLED]);
    expect(run.gracefulPhases).toBe(1);
  });

  it('the signal aborts before teardown; a pending teardown delays onExit and the stop callers', async () => {
    const run = new TestRun();
    let releaseTeardown!: () => void;
    run.pendingTeardown = new Promise<void>((resolve) => (releaseTeardown = resolve));
    const signal = run.signal;
    const stopped = run.stop(1000);
    run.finish(SHUTDOWN);
    expect(signal.aborted).toBe(true);
    expect(run.teardowns).toEqual([SHUTDOWN]);
    expect(run.exits).toEqual([]);
    expect(await run.stop(1000)).toBe(SHUTDOWN); // already ended: answered at once
    releaseTeardown();
    expect(await stopped).toBe(SHUTDOWN);
    expect(run.exits).toEqual([SHUTDOWN]);
  });

  it('a signal first read after the end is already aborted', () => {
    const run = new TestRun();
    run.finish(failed(new Error('boom')));
    expect(run.signal.aborted).toBe(true);
    expect(run.signal.reason).toBeInstanceOf(StoppedError);
  });
});
