import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LogStoreError } from '../seal/LogStoreError.js';
import { describeMailboxBackingContract, type Message } from '../seal/test-support/mailboxBackingContract.js';
import { FileMailboxBacking } from './FileMailboxBacking.js';

const dir = await mkdtemp(join(tmpdir(), 'stage-mailbox-'));
let files = 0;
const nextPath = () => join(dir, `outbox-${++files}.jsonl`);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describeMailboxBackingContract('FileMailboxBacking', {
  async fresh() {
    const path = nextPath();
    return () => FileMailboxBacking.open<Message>({ path });
  },
});

describe('FileMailboxBacking', () => {
  it('drops a torn last line on reopen and keeps everything before it', async () => {
    const path = nextPath();
    const backing = await FileMailboxBacking.open<string>({ path });
    await backing.put({ id: 1, value: 'a', deliveries: 0 });
    await backing.put({ id: 2, value: 'b', deliveries: 0 });
    await backing.close();
    await appendFile(path, '{"put":{"id":3,"val');
    const reopened = await FileMailboxBacking.open<string>({ path });
    expect(reopened.droppedBytes).toBe(19);
    expect((await reopened.load()).map((e) => e.value)).toEqual(['a', 'b']);
    await reopened.put({ id: 3, value: 'c', deliveries: 0 });
    await reopened.close();
    const again = await FileMailboxBacking.open<string>({ path });
    expect(again.droppedBytes).toBe(0);
    expect((await again.load()).map((e) => e.value)).toEqual(['a', 'b', 'c']);
    await again.close();
  });

  it('refuses a journal damaged before its last line', async () => {
    const path = nextPath();
    const backing = await FileMailboxBacking.open<string>({ path });
    for (let id = 1; id <= 3; id++) await backing.put({ id, value: 'x', deliveries: 0 });
    await backing.close();
    const lines = (await readFile(path, 'utf8')).split('\n');
    lines[0] = lines[0]!.slice(0, 10);
    await writeFile(path, lines.join('\n'));
    const error = await FileMailboxBacking.open<string>({ path }).catch((e: unknown) => e);
    expect((error as LogStoreError).code).toBe('corrupt');
  });

  it('compacts a journal of mostly acked messages and keeps the live ones', async () => {
    const path = nextPath();
    const backing = await FileMailboxBacking.open<string>({ path, compactAfter: 50 });
    for (let id = 1; id <= 100; id++) {
      await backing.put({ id, value: `v${id}`, deliveries: 0 });
      if (id % 10 !== 0) await backing.delete(id);
    }
    await backing.close();
    const lines = (await readFile(path, 'utf8')).trim().split('\n').length;
    expect(lines).toBeLessThan(60);
    expect((await stat(`${path}.compact`).catch(() => undefined))).toBeUndefined();
    const reopened = await FileMailboxBacking.open<string>({ path });
    expect((await reopened.load()).map((e) => e.id).sort((a, b) => a - b)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    await reopened.close();
  });
});
