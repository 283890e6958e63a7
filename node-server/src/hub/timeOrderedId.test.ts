// Message ids are UUIDs (version 7) that sort by creation: the hub relies on it to append to the id index.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { timeOrderedId } from './timeOrderedId.js';

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

afterEach(() => vi.restoreAllMocks());

describe('timeOrderedId', () => {
  it('is a version-7 UUID carrying the current Unix time in milliseconds', () => {
    const before = Date.now();
    const id = timeOrderedId();
    const after = Date.now();
    expect(id).toMatch(uuidV7);
    const ms = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
  });

  it('is strictly increasing, within one millisecond and when the clock steps back', () => {
    const now = Date.now() + 60_000; // later than any id made so far in this process
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now);
    const ids = Array.from({ length: 10_000 }, () => timeOrderedId()); // > 4,096: the counter overflows too
    clock.mockReturnValue(now - 5_000);
    ids.push(timeOrderedId(), timeOrderedId());
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!, `${ids[i - 1]} < ${ids[i]}`).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(uuidV7);
  });

  it('ends in 62 random bits: two hubs making ids in the same millisecond do not collide', () => {
    const tails = new Set(Array.from({ length: 1000 }, () => timeOrderedId().slice(19)));
    expect(tails.size).toBe(1000);
  });
});
