import { describe, expect, it } from 'vitest';
import { SharedDeadlines } from './SharedDeadlines.js';

const aborted = (signal: AbortSignal) => new Promise<number>((resolve) => signal.addEventListener('abort', () => resolve(performance.now()), { once: true }));

describe('SharedDeadlines', () => {
  it('gives the commands of one slice one signal, which fires no sooner than the deadline with a TimeoutError', async () => {
    const deadlines = new SharedDeadlines(50);
    const started = performance.now();
    const first = deadlines.next();
    expect(deadlines.next()).toBe(first);
    const firedAt = await aborted(first);
    expect(firedAt - started).toBeGreaterThanOrEqual(50);
    expect(first.reason).toMatchObject({ name: 'TimeoutError' });
  });

  it('starts a new signal once the slice is over, so a later command gets its whole deadline', async () => {
    const deadlines = new SharedDeadlines(50);
    const first = deadlines.next();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const startedLater = performance.now();
    const later = deadlines.next();
    expect(later).not.toBe(first);
    expect((await aborted(later)) - startedLater).toBeGreaterThanOrEqual(50);
  });
});
