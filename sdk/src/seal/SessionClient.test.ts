import { describe, expect, it } from 'vitest';
import { ChainError } from './ChainError.js';
import { ChainVerifier } from './ChainVerifier.js';
import { MemoryLogStore } from './MemoryLogStore.js';
import type { SealedEntry } from './SealedEntry.js';
import { SessionClient } from './SessionClient.js';

const key = '9a'.repeat(32);

class CountingStore<B> extends MemoryLogStore<B> {
  batches: number[] = [];
  failNext = false;
  override async append(entries: readonly SealedEntry<B>[]): Promise<void> {
    this.batches.push(entries.length);
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk full');
    }
    return super.append(entries);
  }
}

describe('SessionClient', () => {
  it('commits appends made in the same tick as one batch, in call order', async () => {
    const store = new CountingStore<number>();
    const client = await SessionClient.open<number>({ sessionId: 's', key, store });
    const entries = await Promise.all(Array.from({ length: 20 }, (_, i) => client.append(i)));
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(store.batches).toEqual([20]);
    expect(new ChainVerifier({ key }).verify(await store.read(0, 100))).toHaveLength(20);
  });

  it('refuses every entry of a batch the store refused and goes on from the last committed entry', async () => {
    const store = new CountingStore<string>();
    const client = await SessionClient.open<string>({ sessionId: 's', key, store });
    await client.append('kept');
    store.failNext = true;
    const refused = await Promise.allSettled([client.append('lost 1'), client.append('lost 2')]);
    expect(refused.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const next = await client.append('after');
    expect(next.seq).toBe(1);
    const log = await store.read(0, 10);
    expect(log.map((e) => e.body)).toEqual(['kept', 'after']);
    expect(new ChainVerifier({ key }).verify(log)).toHaveLength(2);
  });

  it('refuses a body that is not JSON with ChainError malformed and seals nothing', async () => {
    const client = await SessionClient.open<unknown>({ sessionId: 's', key });
    const error = await client.append({ at: new Date() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChainError);
    expect((error as ChainError).code).toBe('malformed');
    expect((await client.append('fine')).seq).toBe(0);
  });

  it('continues the chain its store already holds', async () => {
    const store = new MemoryLogStore<number>();
    const first = await SessionClient.open<number>({ sessionId: 's', key, store });
    for (let i = 0; i < 5; i++) await first.append(i);
    const second = await SessionClient.open<number>({ sessionId: 's', key, store });
    expect((await second.append(5)).seq).toBe(5);
    expect(new ChainVerifier({ key }).verify(await store.read(0, 10))).toHaveLength(6);
  });

  it('answers a recall in pages, up to the seq asked, and counts it', async () => {
    const client = await SessionClient.open<number>({ sessionId: 's', key, pageSize: 4 });
    for (let i = 0; i < 10; i++) void client.append(i);
    const pages: number[][] = [];
    for await (const page of client.answerRecall(9)) pages.push(('checkpoint' in page ? page.entries : (page as readonly SealedEntry<number>[])).map((e) => e.seq));
    expect(pages).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8]]);
    expect(client.recalls).toBe(1);
    expect(await client.recaller()('another session', 5)).toEqual([]);
  });
});
