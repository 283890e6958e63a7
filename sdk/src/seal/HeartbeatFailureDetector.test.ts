// The default failure detector on a fake clock: a session silent for longer than the timeout fails (once), a
// heartbeat keeps it alive, a stopped watch or a closed detector fails nothing and leaves no timer running.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HeartbeatFailureDetector } from './HeartbeatFailureDetector.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('HeartbeatFailureDetector', () => {
  it('fails a session silent for more than 60 s by default, once, within a quarter of the timeout', () => {
    const detector = new HeartbeatFailureDetector();
    expect(detector.timeoutMs).toBe(60_000);
    const onFailure = vi.fn();
    const watch = detector.watch('s1', onFailure);
    vi.advanceTimersByTime(60_000);
    expect(watch.hasFailed()).toBe(false);
    expect(onFailure).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(watch.hasFailed()).toBe(true); // known before the sweep
    vi.advanceTimersByTime(15_000);
    expect(onFailure).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(120_000);
    expect(onFailure).toHaveBeenCalledTimes(1);
    expect(watch.hasFailed()).toBe(true);
    expect(vi.getTimerCount()).toBe(0); // nothing left to watch: the sweeping timer stopped
    watch.heartbeat(); // too late: a failed session stays failed (its state was dropped)
    expect(watch.hasFailed()).toBe(true);
  });

  it('keeps a session that heartbeats alive', () => {
    const detector = new HeartbeatFailureDetector({ timeoutMs: 1_000 });
    const onFailure = vi.fn();
    const watch = detector.watch('s1', onFailure);
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(900);
      watch.heartbeat();
    }
    expect(onFailure).not.toHaveBeenCalled();
    expect(watch.hasFailed()).toBe(false);
    vi.advanceTimersByTime(1_300);
    expect(onFailure).toHaveBeenCalledTimes(1);
    detector.close();
  });

  it('sweeps every sweepMs when given', () => {
    const detector = new HeartbeatFailureDetector({ timeoutMs: 100, sweepMs: 1_000 });
    const onFailure = vi.fn();
    detector.watch('s1', onFailure);
    vi.advanceTimersByTime(999);
    expect(onFailure).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onFailure).toHaveBeenCalledTimes(1);
  });

  it('fails only the silent sessions of several', () => {
    const detector = new HeartbeatFailureDetector({ timeoutMs: 1_000 });
    const failed: string[] = [];
    const a = detector.watch('a', () => failed.push('a'));
    detector.watch('b', () => failed.push('b'));
    vi.advanceTimersByTime(800);
    a.heartbeat();
    vi.advanceTimersByTime(500);
    expect(failed).toEqual(['b']);
    expect(vi.getTimerCount()).toBe(1); // 'a' is still watched
    vi.advanceTimersByTime(1_000);
    expect(failed).toEqual(['b', 'a']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fails nothing once a watch is stopped, and stops its timer with the last watch', () => {
    const detector = new HeartbeatFailureDetector({ timeoutMs: 1_000 });
    const onFailure = vi.fn();
    const first = detector.watch('s1', onFailure);
    const second = detector.watch('s2', onFailure);
    first.stop();
    expect(vi.getTimerCount()).toBe(1);
    second.stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5_000);
    expect(onFailure).not.toHaveBeenCalled();
  });

  it('a stale watch of a session watched again does not stop the new watch', () => {
    const detector = new HeartbeatFailureDetector({ timeoutMs: 1_000 });
    const stale = detector.watch('s1', () => undefined);
    const onFailure = vi.fn();
    detector.watch('s1', onFailure);
    stale.stop();
    vi.advanceTimersByTime(1_500);
    expect(onFailure).toHaveBeenCalledTimes(1);
  });

  it('fails nothing after close, and leaves no timer', () => {
    const detector = new HeartbeatFailureDetector({ timeoutMs: 1_000 });
    const onFailure = vi.fn();
    detector.watch('s1', onFailure);
    detector.close();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5_000);
    expect(onFailure).not.toHaveBeenCalled();
  });

  it('refuses a timeout that is not positive', () => {
    for (const timeoutMs of [0, -1, Number.NaN]) {
      expect(() => new HeartbeatFailureDetector({ timeoutMs })).toThrow(new RangeError(`HeartbeatFailureDetector: timeoutMs must be > 0, got ${timeoutMs}`));
    }
  });

  it('sweeps at least every millisecond for a tiny timeout', () => {
    const detector = new HeartbeatFailureDetector({ timeoutMs: 2 });
    const onFailure = vi.fn();
    detector.watch('s1', onFailure);
    vi.advanceTimersByTime(3);
    expect(onFailure).toHaveBeenCalledTimes(1);
  });
});
