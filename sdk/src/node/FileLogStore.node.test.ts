import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChainVerifier, LogStoreError, SessionClient, SessionHandler } from '../seal/index.js';
import { chatBody, chatSession, type ChatBody, type ChatState } from '../seal/test-support/chatSession.js';
import { checkpointOf, describeLogStoreContract, sealedEntries, type Body } from '../seal/test-support/logStoreContract.js';
import { FileLogStore } from './FileLogStore.js';

const dir = await mkdtemp(join(tmpdir(), 'stage-filelog-'));
let files = 0;
const nextPath = () => join(dir, `log-${++files}.jsonl`);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describeLogStoreContract(
  'FileLogStore',
  async () => {
    const path = nextPath();
    const store = await FileLogStore.open<Body>({ path });
    return {
      store,
      reopen: async () => {
        await store.close();
        return FileLogStore.open<Body>({ path });
      },
    };
  },
  { persistent: true },
);

describe('FileLogStore after a crash', () => {
  it('compacts by rename: a crash before it leaves the old log whole; a torn record after a compacted head is cut as before', async () => {
    const path = nextPath();
    const entries = sealedEntries(31);
    const store = await FileLogStore.open<Body>({ path });
    await store.append(entries.slice(0, 20));
    // A crash while the compacted file was being written: its temp file is left beside an untouched log.
    await writeFile(`${path}.compact`, '{"checkpoint":{"seq":1');
    const before = await FileLogStore.open<Body>({ path });
    expect(await before.read(0, 100)).toEqual(entries.slice(0, 20));
    await before.close();
    const checkpoint = checkpointOf(entries, 15);
    await store.compact!(checkpoint);
    await store.append(entries.slice(20, 30));
    await store.close();
    const text = await readFile(path, 'utf8');
    expect(text.startsWith('{"checkpoint":')).toBe(true);
    expect(text.split('\n').filter(Boolean)).toHaveLength(1 + 15);
    const line = `{"seq":30,"seal":"${entries[30]!.seal}","body":${JSON.stringify(entries[30]!.body)}}\n`;
    await appendFile(path, line.slice(0, 20));
    const reopened = await FileLogStore.open<Body>({ path });
    expect(reopened.recovered?.droppedBytes).toBe(20);
    expect(await reopened.checkpoint()).toEqual(checkpoint);
    expect(await reopened.length()).toBe(30);
    await reopened.append(entries.slice(30));
    expect(await reopened.read(0, 100)).toEqual(entries.slice(15));
    await reopened.close();
    // A damaged checkpoint line is corruption, never silently dropped.
    await writeFile(path, text.replace('{"checkpoint":{', '{"checkpoint":{"x'));
    await expect(FileLogStore.open<Body>({ path })).rejects.toMatchObject({ code: 'corrupt' });
  });

  it('detects a torn last record, drops it on reopen, reports it and appends after it', async () => {
    const path = nextPath();
    const entries = sealedEntries(11);
    const store = await FileLogStore.open<Body>({ path });
    await store.append(entries.slice(0, 10));
    await store.close();
    const whole = (await stat(path)).size;
    const line = `{"seq":10,"seal":"${entries[10]!.seal}","body":${JSON.stringify(entries[10]!.body)}}\n`;
    // Every cut point of the next record: a crash may persist any prefix of the write.
    for (const cut of [1, 9, 30, line.length - 2, line.length - 1]) {
      await appendFile(path, line.slice(0, cut));
      const reopened = await FileLogStore.open<Body>({ path });
      expect(reopened.recovered?.droppedBytes, `cut at ${cut}`).toBe(Buffer.byteLength(line.slice(0, cut)));
      expect(await reopened.length()).toBe(10);
      expect(await reopened.last()).toEqual(entries[9]);
      expect((await stat(path)).size).toBe(whole);
      await reopened.close();
    }
    const reopened = await FileLogStore.open<Body>({ path });
    expect(reopened.recovered).toBeUndefined();
    await reopened.append(entries.slice(10));
    expect(await reopened.read(0, 20)).toEqual(entries);
    await reopened.close();
  });

  it('drops a last record whose bytes were never written (zero-filled) even though it ends in a newline', async () => {
    const path = nextPath();
    const store = await FileLogStore.open<Body>({ path });
    await store.append(sealedEntries(3));
    await store.close();
    await appendFile(path, Buffer.concat([Buffer.alloc(40), Buffer.from('\n')]));
    const reopened = await FileLogStore.open<Body>({ path });
    expect(reopened.recovered?.droppedBytes).toBe(41);
    expect(await reopened.length()).toBe(3);
    await reopened.close();
  });

  it('refuses to open a log damaged before its last record', async () => {
    const path = nextPath();
    const store = await FileLogStore.open<Body>({ path });
    await store.append(sealedEntries(5));
    await store.close();
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('{"seq":2,', '{"seq":7,'));
    const error = await FileLogStore.open<Body>({ path }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LogStoreError);
    expect((error as LogStoreError).code).toBe('corrupt');
  });

  it('refuses to read a record damaged inside its body', async () => {
    const path = nextPath();
    const store = await FileLogStore.open<Body>({ path });
    await store.append(sealedEntries(5));
    await store.close();
    const text = await readFile(path, 'utf8');
    const lines = text.split('\n');
    lines[1] = lines[1]!.slice(0, -3) + '"]}';
    await writeFile(path, lines.join('\n'));
    const reopened = await FileLogStore.open<Body>({ path });
    const error = await reopened.read(0, 5).catch((e: unknown) => e);
    expect((error as LogStoreError).code).toBe('corrupt');
    await reopened.close();
  });

  it('lets a client continue its chain after a process restart, and a restarted server recall it', async () => {
    const path = nextPath();
    const secret = new Uint8Array(32).fill(9);
    const handler = new SessionHandler<ChatState, ChatBody>({ secret, definition: chatSession, failureDetector: null });
    const { sessionId, key } = handler.initiate();
    const before = await SessionClient.open<ChatBody>({ sessionId, key, store: await FileLogStore.open<ChatBody>({ path }) });
    for (let n = 0; n < 40; n++) await handler.receive(sessionId, await before.append(chatBody(n)), before.recaller());
    await before.close();
    handler.close();

    const after = await SessionClient.open<ChatBody>({ sessionId, key, store: await FileLogStore.open<ChatBody>({ path }) });
    const restarted = new SessionHandler<ChatState, ChatBody>({ secret, definition: chatSession, failureDetector: null });
    const result = await restarted.receive(sessionId, await after.append(chatBody(40)), after.recaller());
    let live = chatSession.initial();
    for (let n = 0; n <= 40; n++) live = chatSession.apply(live, chatBody(n));
    expect(result).toMatchObject({ recalled: true, state: live });
    expect(new ChainVerifier({ key }).verify(await after.store.read(0, 100))).toHaveLength(41);
    await after.close();
  });
});
