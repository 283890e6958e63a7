// A tampered IndexedDB log (one byte of one entry changed by the test) makes the recall fail with a
// visible, understandable error, and nothing from that log is applied.
import { expect, test, type Page } from '@playwright/test';
import { crashAndRestartHub } from '../support/hubProcess.js';
import { closeAll, expectOnline, messageBodies, openPanel, openTopic, screenshot, send, sharedStream, signUp } from '../support/chat.js';

test('a recall of a tampered sealed log is refused with a clear error and applies nothing', async ({ browser }, testInfo) => {
  const alice = await signUp(browser, 'alice');
  const bob = await signUp(browser, 'bob');
  const stream = await sharedStream(alice, [bob]);
  await openTopic(alice.page, stream, 'ledger');
  await send(alice.page, 'Entry one.');
  await send(alice.page, 'Entry two.');
  await expect(messageBodies(alice.page)).toHaveText(['Entry one.', 'Entry two.']);
  // Muting is recorded twice: in the device's sealed session (hub memory, rebuilt only from the chain) and as the
  // user's read state (durable, like the messages, and synced to the user's devices).
  await alice.page.getByTestId('mute').click();
  await expect(alice.page.getByTestId('mute')).toHaveAttribute('aria-pressed', 'true');

  const changed = await flipOneByte(alice.page, 'Entry one.');
  expect(changed).toMatchObject({ from: 'Entry one.', to: 'Entry onf.' });

  // Verifying locally already finds the damaged entry.
  await openPanel(alice.page, 'session');
  await alice.page.getByTestId('verify').click();
  await expect(alice.page.getByTestId('verify-result')).toContainText(`entry ${changed.seq}`);
  await expect(alice.page.getByTestId('verify-result')).toContainText('does not match its seal');

  // The hub loses its sessions; on alice's next command it recalls her chain and must refuse it.
  await crashAndRestartHub();
  const problem = alice.page.getByTestId('problem');
  await expect(problem).toBeVisible({ timeout: 60_000 });
  await expect(problem).toContainText('could not verify');
  await expect(problem).toContainText(`entry ${changed.seq} does not match its seal`);
  await expect(problem).toContainText('Nothing from that log was applied');

  // Nothing from the refused chain was applied: the device runs on a fresh session, which gets the user's mute from
  // the hub's durable read state (GetReadState, folded in with SyncReadState), not from the tampered log.
  await expectOnline(alice.page, 60_000);
  await expect(alice.page.getByTestId('mute')).toHaveAttribute('aria-pressed', 'true');
  // The messages themselves were accepted long before (domain data); they still show, once.
  await expect(messageBodies(alice.page)).toHaveText(['Entry one.', 'Entry two.']);
  // And the conversation goes on.
  await send(alice.page, 'Entry three, on a fresh session.');
  await openTopic(bob.page, stream, 'ledger');
  await expect(messageBodies(bob.page)).toHaveText(['Entry one.', 'Entry two.', 'Entry three, on a fresh session.']);

  await screenshot(alice.page, testInfo, 'alice-refused-chain');
  await closeAll(alice, bob);
});

/** Changes the last character of the content of the SendMessage entry holding `content`, in IndexedDB. */
async function flipOneByte(page: Page, content: string): Promise<{ seq: number; from: string; to: string }> {
  return page.evaluate(async (wanted) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('stage');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    try {
      const tx = db.transaction('sealedLog', 'readwrite');
      const store = tx.objectStore('sealedLog');
      const records = await new Promise<Array<{ log: string; seq: number; body: { type: string; content?: string } }>>((resolve, reject) => {
        const request = store.getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      const record = records.find((r) => r.body.type === 'SendMessage' && r.body.content === wanted);
      if (!record || !record.body.content) throw new Error(`no sealed SendMessage with content ${wanted}`);
      const from = record.body.content;
      const last = from.charCodeAt(from.length - 2);
      const to = from.slice(0, -2) + String.fromCharCode(last + 1) + from.slice(-1);
      store.put({ ...record, body: { ...record.body, content: to } });
      await new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
      return { seq: record.seq, from, to };
    } finally {
      db.close();
    }
  }, content);
}
