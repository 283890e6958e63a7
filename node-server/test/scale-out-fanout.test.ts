// Redis fan-out between hubs (STAGE_TEST_REDIS_URL, default redis://127.0.0.1:6379), each test on a channel of its
// own: what one hub publishes reaches every other hub once, in publish order, and the publishing hub itself at once.
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { Redis } from 'ioredis';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FanoutEntry } from '../src/fanout/Fanout.js';
import { openFanout } from '../src/fanout/openFanout.js';
import { batchPrefix, decodeBatch, encodeBatch, RedisFanout } from '../src/fanout/RedisFanout.js';
import { uniqueName } from './store-contract.js';
import { requireService, testRedisUrl } from './scaleOutServices.js';

beforeAll(async () => {
  await requireService('redis');
});

let open: RedisFanout[] = [];
afterEach(async () => {
  for (const f of open) await f.close();
  open = [];
});

async function hub(channel: string): Promise<RedisFanout> {
  const f = await RedisFanout.open({ url: testRedisUrl, channel });
  open.push(f);
  return f;
}

describe('Redis fan-out', () => {
  it('delivers every batch to the other hubs in publish order, and to the publisher once, locally', async () => {
    const channel = uniqueName('stage-test');
    const [a, b, c] = [await hub(channel), await hub(channel), await hub(channel)];
    const outcome = (n: number) => ({ type: 'NewMessage', message: { id: `m${n}`, content: 'x'.repeat(50) } });
    const batches = Array.from({ length: 50 }, (_, n) => {
      const o = outcome(n);
      return [
        { userId: 'u1', outcomeId: n + 1, outcome: o },
        { userId: 'u2', outcomeId: n + 1, outcome: o },
      ] satisfies FanoutEntry[];
    });
    const atB = firstValueFrom(b.entries$.pipe(take(50), toArray()));
    const atC = firstValueFrom(c.entries$.pipe(take(50), toArray()));
    const atA: FanoutEntry[][] = [];
    const subA = a.entries$.subscribe((e) => atA.push(e));
    for (const batch of batches) await a.publish(batch);
    expect(await atB).toEqual(batches);
    expect(await atC).toEqual(batches);
    // The publisher saw its own batches at once and never their echo from Redis: Redis delivers a's 50 echoes to
    // a's subscription before b's later marker, so without the filter they would sit between them.
    const marker = [{ userId: 'u9', outcomeId: 1, outcome: { marker: true } }];
    const markerAtA = firstValueFrom(a.entries$.pipe(filter((e) => e[0]!.userId === 'u9')));
    const markerAtC = firstValueFrom(c.entries$.pipe(take(1)));
    await b.publish(marker);
    await Promise.all([markerAtA, markerAtC]);
    subA.unsubscribe();
    expect(atA).toEqual([...batches, marker]);
  });

  it('ignores foreign messages on its channel instead of crashing', async () => {
    const channel = uniqueName('stage-test');
    const [a, b] = [await hub(channel), await hub(channel)];
    const got = firstValueFrom(b.entries$.pipe(take(1)));
    const intruder = await RedisFanout.open({ url: testRedisUrl, channel: uniqueName('other') });
    open.push(intruder);
    const raw = (intruder as unknown as { pub: { publish(c: string, m: string): Promise<number> } }).pub;
    await raw.publish(channel, 'not json');
    await raw.publish(channel, '{"hello":1}');
    await a.publish([{ userId: 'u1', outcomeId: 7, outcome: { ok: true } }]);
    expect(await got).toEqual([{ userId: 'u1', outcomeId: 7, outcome: { ok: true } }]);
    expect(b.malformed).toBe(2);
  });

  it('knows its own echo by its first bytes and drops it without parsing it', async () => {
    const channel = uniqueName('stage-test');
    const [a, b] = [await hub(channel), await hub(channel)];
    const raw = (b as unknown as { pub: { publish(c: string, m: string): Promise<number> } }).pub;
    // Starts as a's batches do and is not even JSON: a parser would count it as malformed.
    await raw.publish(channel, `${batchPrefix(a.hubId)}"outcomes":[[[`);
    const marker = firstValueFrom(a.entries$.pipe(take(1)));
    await b.publish([{ userId: 'u1', outcomeId: 1, outcome: { after: 'echo' } }]);
    expect(await marker).toEqual([{ userId: 'u1', outcomeId: 1, outcome: { after: 'echo' } }]);
    expect(a.malformed).toBe(0);
    // What a publishes starts with that prefix.
    expect(encodeBatch(a.hubId, [{ userId: 'u1', outcomeId: 2, outcome: {} }]).startsWith(batchPrefix(a.hubId))).toBe(true);
  });

  it('keeps delivering locally and answering while Redis is unreachable, and counts what it could not publish', async () => {
    const a = await hub(uniqueName('stage-test'));
    const local: FanoutEntry[][] = [];
    a.entries$.subscribe((e) => local.push(e));
    (a as unknown as { pub: { disconnect(): void } }).pub.disconnect();
    const batch = [{ userId: 'u1', outcomeId: 1, outcome: { type: 'NewMessage' } }];
    await a.publish(batch);
    expect(local).toEqual([batch]);
    expect(a.publishFailures).toBe(1);
  });

  it('reports that batches may have been missed once its subscription is back after the connection dropped', async () => {
    const channel = uniqueName('stage-test');
    const [a, b] = [await hub(channel), await hub(channel)];
    const missed = firstValueFrom(b.missed$);
    // Drop b's subscriber connection from the server side, as a Redis restart or a network cut would.
    const admin = new Redis(testRedisUrl);
    try {
      const clients = (await admin.client('LIST')) as string;
      const line = clients.split('\n').find((l) => l.includes(` name=stage-fanout-${b.hubId} `));
      expect(line, 'the subscriber connection is named after its hub').toBeDefined();
      await admin.client('KILL', 'ID', /^id=(\d+)/.exec(line!)![1]!);
    } finally {
      admin.disconnect();
    }
    await missed;
    const got = firstValueFrom(b.entries$.pipe(take(1)));
    await a.publish([{ userId: 'u1', outcomeId: 2, outcome: { after: 'reconnect' } }]);
    expect(await got).toEqual([{ userId: 'u1', outcomeId: 2, outcome: { after: 'reconnect' } }]);
  });

  it('a batch to a thousand users carries its outcome once and arrives as entries sharing one object', () => {
    const outcome = { type: 'NewMessage', text: 'y'.repeat(200) };
    const entries = Array.from({ length: 1000 }, (_, i) => ({ userId: `user-${i}`, outcomeId: i + 1, outcome }));
    const wire = encodeBatch('hub-1', entries);
    expect(wire.split('y'.repeat(200)).length - 1).toBe(1);
    const decoded = decodeBatch(wire);
    expect(decoded.hub).toBe('hub-1');
    expect(decoded.entries).toEqual(entries);
    expect(decoded.entries[0]!.outcome).toBe(decoded.entries[999]!.outcome);
  });

  it('is what openFanout returns when STAGE_REDIS_URL is set, channel taken from the URL', async () => {
    const channel = uniqueName('stage-test');
    const url = new URL(testRedisUrl);
    url.searchParams.set('channel', channel);
    const f = await openFanout({ redisUrl: url.toString() });
    open.push(f as RedisFanout);
    expect(f.kind).toBe('redis');
    expect((f as RedisFanout).channel).toBe(channel);
  });

  it('says which Redis is unreachable and how to fix it', async () => {
    await expect(RedisFanout.open({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 1000 })).rejects.toThrow(
      /Redis at redis:\/\/127\.0\.0\.1:1 is unavailable.*STAGE_REDIS_URL/,
    );
  });
});
