// The IndexedDB log store tests, run on fake-indexeddb in Node and on real IndexedDB in Chromium.
import { deleteDB, openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { ChainError } from '../../seal/ChainError.js';
import { LogStoreError } from '../../seal/LogStoreError.js';
import { SessionClient } from '../../seal/SessionClient.js';
import { SessionHandler } from '../../seal/SessionHandler.js';
import { chatBody, chatSession, type ChatBody, type ChatState } from '../../seal/test-support/chatSession.js';
import { describeLogStoreContract, sealedEntries, type Body } from '../../seal/test-support/logStoreContract.js';
import { IdbLogStore } from '../IdbLogStore.js';
import { STAGE_DB_VERSION } from '../openStageDb.js';

let dbs = 0;
export const freshDbName = (): string => `stage-test-${Date.now().toString(36)}-${++dbs}-${Math.random().toString(36).slice(2, 8)}`;

export function describeIdbLogStore(runtime: string): void {
  describeLogStoreContract(
    `IdbLogStore (${runtime})`,
    async () => {
      const dbName = freshDbName();
      const store = await IdbLogStore.open<Body>({ dbName, logId: 'session-a' });
      return {
        store,
        reopen: async () => {
          await store.close();
          return IdbLogStore.open<Body>({ dbName, logId: 'session-a' });
        },
      };
    },
    { persistent: true },
  );

  describe(`IdbLogStore (${runtime})`, () => {
    it('keeps the logs of several sessions in one database apart', async () => {
      const dbName = freshDbName();
      const a = await IdbLogStore.open<Body>({ dbName, logId: 'a' });
      const b = await IdbLogStore.open<Body>({ dbName, logId: 'b' });
      await a.append(sealedEntries(5));
      await b.append(sealedEntries(2, 0, '22'.repeat(32)));
      expect(await a.length()).toBe(5);
      expect(await b.length()).toBe(2);
      expect((await b.read(0, 10)).map((e) => e.seq)).toEqual([0, 1]);
      await b.clear();
      expect(await b.length()).toBe(0);
      expect(await a.length()).toBe(5);
      await a.close();
      await b.close();
      await deleteDB(dbName);
    });

    it('refuses a whole batch when another tab already wrote one of its seqs, and overwrites nothing', async () => {
      const dbName = freshDbName();
      const first = await IdbLogStore.open<Body>({ dbName, logId: 'shared' });
      const second = await IdbLogStore.open<Body>({ dbName, logId: 'shared' });
      const mine = sealedEntries(5);
      const theirs = sealedEntries(8, 0, '33'.repeat(32));
      await first.append(mine);
      const error = await second.append(theirs).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ChainError);
      expect((error as ChainError).code).toBe('fork');
      const reopened = await IdbLogStore.open<Body>({ dbName, logId: 'shared' });
      expect(await reopened.read(0, 20)).toEqual(mine);
      for (const store of [first, second, reopened]) await store.close();
      await deleteDB(dbName);
    });

    it("closes itself when another tab upgrades the database, so the upgrade is not blocked", async () => {
      const dbName = freshDbName();
      const reasons: string[] = [];
      const store = await IdbLogStore.open<Body>({ dbName, logId: 'a', onClose: (r) => reasons.push(r) });
      await store.append(sealedEntries(3));
      let blocked = false;
      const newer = await openDB(dbName, STAGE_DB_VERSION + 1, {
        blocked: () => {
          blocked = true;
        },
      });
      expect(blocked).toBe(false);
      expect(reasons).toEqual(['versionchange']);
      const error = await store.append(sealedEntries(1, 3)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LogStoreError);
      expect((error as LogStoreError).message).toMatch(/another tab upgraded/);
      newer.close();
      await deleteDB(dbName);
    });

    it('lets a client continue its chain after a reload, and a server that lost the session recall it', async () => {
      const dbName = freshDbName();
      const handler = new SessionHandler<ChatState, ChatBody>({ secret: new Uint8Array(32).fill(5), definition: chatSession, failureDetector: null });
      const { sessionId, keyHex } = handler.initiate();
      const before = await SessionClient.open<ChatBody>({ sessionId, key: keyHex, store: await IdbLogStore.open<ChatBody>({ dbName, logId: sessionId }) });
      const burst = await Promise.all(Array.from({ length: 50 }, (_, n) => before.append(chatBody(n))));
      for (const entry of burst) await handler.receive(sessionId, entry, before.recaller());
      const live = handler.state(sessionId)!;
      await before.close();
      handler.delete(sessionId);

      const after = await SessionClient.open<ChatBody>({ sessionId, key: keyHex, store: await IdbLogStore.open<ChatBody>({ dbName, logId: sessionId }) });
      expect(after.nextSeq).toBe(50);
      const result = await handler.receive(sessionId, await after.append(chatBody(50)), after.recaller());
      expect(result.recalled).toBe(true);
      expect(result.state).toEqual(chatSession.apply(live, chatBody(50)));
      await after.close();
      await deleteDB(dbName);
    });
  });
}
