import { describe, expect, it } from 'vitest';
import { RecentOutcomes } from './RecentOutcomes.js';

describe('RecentOutcomes', () => {
  it('holds the newest `capacity` outcomes of a user, by id', () => {
    const recent = new RecentOutcomes(16);
    expect(recent.get(1)).toBeUndefined();
    for (let id = 1; id <= 40; id++) recent.put(id, Buffer.from(`o${id}`));
    for (let id = 25; id <= 40; id++) expect(recent.get(id)?.toString()).toBe(`o${id}`);
    for (let id = 1; id <= 24; id++) expect(recent.get(id)).toBeUndefined();
  });

  it('keeps what it held while it grows, starting from any id', () => {
    const recent = new RecentOutcomes(512);
    for (let id = 1000; id < 1100; id++) recent.put(id, Buffer.from(`o${id}`));
    for (let id = 1000; id < 1100; id++) expect(recent.get(id)?.toString()).toBe(`o${id}`);
    expect(recent.get(999)).toBeUndefined();
  });
});
