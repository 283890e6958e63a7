// The SessionClient's edges beyond SessionClient.test.ts: what it refuses at open, its default page size, the
// batches it commits while a write is in flight, what a store that rejects with a non-Error becomes, and close.
import { describe, expect, it } from 'vitest';
import { ChainError } from './ChainError.js';
import { ChainVerifier } from './ChainVerifier.js';
import { MemoryLogStore } from './MemoryLogStore.js';
import type { SealedEntry } from './SealedEntry.js';
import { SessionClient } from './SessionClient.js';

const key = '9a'.repeat(32);

/** A store whose appends wait to be finished by hand, each succeeding or failing with `reason`. */
class ManualStore<B> extends MemoryLogStore<B> {
  readonly writes: Array<{ entries: readonly SealedEntry<B>[]; finish(reason?: unknown): Promise<void> }> = [];
  closed = false;
  override append(entries: readonly SealedEntry<B>[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.writes.push({
        entries,
        finish: async (reason?: unknown) => {
          if (reason === undefined) resolve(super.append(entries));
          else reject(reason);
          await new Promise((r) => setTimeout(r, 0));
        },
      });
    });
  }
  override async close(): Promise<void> {
    this.closed = true;
    return super.close();
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('SessionClient, continued', () => {
  it('refuses an empty session id', async () => {
    await expect(SessionClient.open({ sessionId: '', key })).rejects.toThrow(new TypeError('SessionClient: sessionId must be a non-empty string'));
    await expect(SessionClient.open({ sessionId: 1 as unknown as string, key })).rejects.toThrow(TypeError);
  });

  it('keeps its chain in memory by default and answers a recall in pages of 512', async () => {
    const client = await SessionClient.open<number>({ sessionId: 's', key });
    expect(client.sessionId).toBe('s');
    expect(client.nextSeq).toBe(0);
    for (let i = 0; i < 600; i++) void client.append(i);
    expect(client.nextSeq).toBe(600);
    const sizes: number[] = [];
    for await (const page of client.chain()) sizes.push(page.length);
    expect(sizes).toEqual([512, 88]);
    const from: number[] = [];
    for await (const page of client.chain(590)) from.push(...page.map((e) => e.seq));
    expect(from).toEqual([590, 591, 592, 593, 594, 595, 596, 597, 598, 599]);
    expect(client.recalls).toBe(0);
  });

  it('answers its own recall through recaller, counting it', async () => {
    const client = await SessionClient.open<number>({ sessionId: 's', key });
    for (let i = 0; i < 5; i++) await client.append(i);
    const pages = client.recaller()('s', 3) as AsyncIterable<SealedEntry<number>[]>;
    const seqs: number[] = [];
    for await (const page of pages) seqs.push(...page.map((e) => e.seq));
    expect(seqs).toEqual([0, 1, 2]);
    expect(client.recalls).toBe(1);
  });

  it('commits what is appended during a write as the next batch, after it', async () => {
    const store = new ManualStore<string>();
    const client = await SessionClient.open<string>({ sessionId: 's', key, store });
    const first = client.append('a');
    await tick();
    expect(store.writes.map((w) => w.entries.length)).toEqual([1]);
    const later = [client.append('b'), client.append('c')];
    await tick();
    expect(store.writes).toHaveLength(1); // one write at a time
    await store.writes[0]!.finish();
    expect((await first).seq).toBe(0);
    expect(store.writes.map((w) => w.entries.map((e) => e.body))).toEqual([['a'], ['b', 'c']]);
    const flushed = client.flushed();
    await store.writes[1]!.finish();
    await flushed;
    expect((await Promise.all(later)).map((e) => e.seq)).toEqual([1, 2]);
    expect(new ChainVerifier({ key }).verify(await store.read(0, 10))).toHaveLength(3);
  });

  it('refuses what was appended during a refused write too, and seals again from the last committed entry', async () => {
    const store = new ManualStore<string>();
    const client = await SessionClient.open<string>({ sessionId: 's', key, store });
    const kept = client.append('kept');
    await tick();
    await store.writes[0]!.finish();
    await kept;
    const lost = client.append('lost');
    await tick();
    const alsoLost = client.append('also lost'); // appended while the doomed write is in flight
    const settled = Promise.allSettled([lost, alsoLost]);
    await store.writes[1]!.finish('disk on fire'); // not an Error
    const reasons = await settled;
    expect(reasons.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const reason = (reasons[0] as PromiseRejectedResult).reason as ChainError;
    expect(reason).toBeInstanceOf(ChainError);
    expect({ code: reason.code, seq: reason.seq, message: reason.message }).toEqual({
      code: 'malformed',
      seq: 1,
      message: 'the log store refused entries 1..: disk on fire',
    });
    expect((reasons[1] as PromiseRejectedResult).reason).toBe(reason);
    expect(client.nextSeq).toBe(1);
    const next = client.append('next');
    await tick();
    await store.writes.at(-1)!.finish();
    expect((await next).seq).toBe(1);
    expect((await store.read(0, 10)).map((e) => e.body)).toEqual(['kept', 'next']);
  });

  it('passes on an Error a store refused with, as it is', async () => {
    const store = new ManualStore<string>();
    const client = await SessionClient.open<string>({ sessionId: 's', key, store });
    const sent = client.append('x');
    await tick();
    const error = new Error('quota exceeded');
    const refused = expect(sent).rejects.toBe(error);
    await store.writes[0]!.finish(error);
    await refused;
  });

  it('waits for pending appends before closing its store', async () => {
    const store = new ManualStore<string>();
    const client = await SessionClient.open<string>({ sessionId: 's', key, store });
    const sent = client.append('x');
    await tick();
    const closed = client.close();
    await tick();
    expect(store.closed).toBe(false);
    await store.writes[0]!.finish();
    await closed;
    expect(store.closed).toBe(true);
    expect((await sent).seq).toBe(0);
  });
});
