// Sealed checkpoints in the browser (PROTOCOL.md §5 "Checkpoints"): with a hub that seals one every 8 entries, the
// web demo's IndexedDB log keeps the checkpoint and only the entries after it; after a hub crash the recall starts
// from the checkpoint, the conversation goes on, the session state (a mute) is rebuilt and the chain still verifies.
// A checkpoint altered in IndexedDB is then refused by the restarted hub like a forged seal (close 4005, fresh session).
import { expect, test, type Page } from '@playwright/test';
import { crashAndRestartHub, restartHubWithLimits } from '../support/hubProcess.js';
import { closeAll, expectOnline, hubUrl, messageBodies, openPanel, openTopic, screenshot, send, sessionFacts, sharedStream, signUp } from '../support/chat.js';

const every = 8;

test.afterAll(async () => {
  await restartHubWithLimits(undefined); // the hub of the other specs: protocol defaults
});

test('the IndexedDB log stays bounded by checkpoints and a recall after a hub crash starts from one', async ({ browser }, testInfo) => {
  await restartHubWithLimits(JSON.stringify({ checkpointEvery: every }));
  const alice = await signUp(browser, 'alice');
  const bob = await signUp(browser, 'bob');
  const stream = await sharedStream(alice, [bob]);
  await openTopic(alice.page, stream, 'long');
  const texts = Array.from({ length: 3 * every }, (_, n) => `message ${n}`);
  for (const text of texts) await send(alice.page, text);
  await expect(messageBodies(alice.page)).toHaveCount(texts.length);
  await alice.page.getByTestId('mute').click();
  await expect(alice.page.getByTestId('mute')).toHaveAttribute('aria-pressed', 'true');

  const facts = await sessionFacts(alice.page);
  expect(facts.length).toBeGreaterThan(3 * every);
  const log = await idbLog(alice.page);
  expect(log.checkpointSeq).toBeGreaterThanOrEqual(2 * every);
  expect(log.checkpointSeq! % every).toBe(0);
  expect(log.firstSeq).toBe(log.checkpointSeq);
  expect(log.entries).toBeLessThan(2 * every);
  await alice.page.getByTestId('verify').click();
  await expect(alice.page.getByTestId('verify-result')).toContainText('seals verify');

  await crashAndRestartHub();
  await expectOnline(alice.page, 60_000);
  await send(alice.page, 'after the crash');
  await expect.poll(async () => (await sessionFacts(alice.page)).recalls).toBeGreaterThan(facts.recalls);
  await openTopic(bob.page, stream, 'long');
  await expect(messageBodies(bob.page)).toHaveText([...texts, 'after the crash']);
  // The device session came back from the checkpoint without a refusal, and the mute holds.
  await expect(alice.page.getByTestId('mute')).toHaveAttribute('aria-pressed', 'true');
  await expect(alice.page.getByTestId('problem')).toHaveCount(0);
  await openPanel(alice.page, 'session');
  await alice.page.getByTestId('verify').click();
  await expect(alice.page.getByTestId('verify-result')).toContainText('seals verify');
  await screenshot(alice.page, testInfo, 'alice-after-checkpointed-recall');

  // A checkpoint whose state was altered in IndexedDB is refused by the hub like a forged seal. The app is closed
  // while the record is altered (from a page of the same origin without the app), the hub crashes (it loses the
  // session), and the app opens again: its store reads the altered checkpoint and its first command makes the hub
  // recall the chain from it.
  await alice.page.close();
  const page = await alice.context.newPage();
  await page.goto(hubUrl('/healthz'));
  await forgeCheckpointState(page);
  await crashAndRestartHub();
  await page.goto(hubUrl());
  const problem = page.getByTestId('problem');
  await expect(problem).toBeVisible({ timeout: 60_000 });
  await expect(problem).toContainText('could not verify');
  await expect(problem).toContainText('checkpoint');
  await expect(problem).toContainText('does not match its seal');
  // Nothing of it was applied; the device goes on with a fresh session.
  await expectOnline(page, 60_000);
  await openTopic(page, stream, 'long');
  await send(page, 'on a fresh session');
  // Shown once on both devices (a body is rendered markdown: compared without the surrounding space).
  const once = (p: Page, text: string) => expect(messageBodies(p).filter({ hasText: new RegExp(`^\\s*${text}\\s*$`) })).toHaveCount(1);
  await once(page, 'on a fresh session');
  await expectOnline(bob.page, 60_000);
  await openTopic(bob.page, stream, 'long');
  for (const text of ['message 23', 'after the crash', 'on a fresh session']) await once(bob.page, text);
  await screenshot(page, testInfo, 'alice-forged-checkpoint-refused');
  await closeAll(alice, bob);
});

/** The device's sealed log in IndexedDB: its checkpoint's seq (record [log, -1]) and its entries. */
async function idbLog(page: Page): Promise<{ checkpointSeq: number | undefined; firstSeq: number | undefined; entries: number }> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('stage');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    try {
      const records = await new Promise<Array<{ log: string; seq: number; body: { seq?: number } }>>((resolve, reject) => {
        const request = db.transaction('sealedLog').objectStore('sealedLog').getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const checkpoint = records.find((r) => r.seq === -1);
      const entries = records.filter((r) => r.seq >= 0 && (checkpoint === undefined || r.log === checkpoint.log));
      return { checkpointSeq: checkpoint?.body.seq, firstSeq: entries[0]?.seq, entries: entries.length };
    } finally {
      db.close();
    }
  });
}

/** Marks one more topic read in the kept checkpoint's state, without resealing it. */
async function forgeCheckpointState(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('stage');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    try {
      const tx = db.transaction('sealedLog', 'readwrite');
      const store = tx.objectStore('sealedLog');
      const records = await new Promise<Array<{ log: string; seq: number; body: { state: { cursors: unknown[]; muted: unknown[] } } }>>((resolve, reject) => {
        const request = store.getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const checkpoint = records.find((r) => r.seq === -1);
      if (!checkpoint) throw new Error('no checkpoint in IndexedDB');
      store.put({ ...checkpoint, body: { ...checkpoint.body, state: { ...checkpoint.body.state, cursors: [...checkpoint.body.state.cursors, ['forged', 'topic', 1]] } } });
      await new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  });
}
