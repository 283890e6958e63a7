// Client storage belongs to one user: signing out asks what to do with unsent messages and wipes the
// user's data, so the next person to sign in on that browser never posts (or sees) them.
import { expect, test, type Page } from '@playwright/test';
import { closeAll, expectOnline, messageBodies, openTopic, send, sharedStream, signIn, signUp } from '../support/chat.js';

/** Every mailbox and sealed-log key in the browser's Stage database. */
async function storedKeys(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open('stage');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(['mailbox', 'sealedLog']);
          const keys: string[] = [];
          for (const name of ['mailbox', 'sealedLog']) {
            const request = tx.objectStore(name).getAllKeys();
            request.onsuccess = () => keys.push(...request.result.map((key) => String((key as unknown[])[0])));
          }
          tx.oncomplete = () => {
            db.close();
            resolve(keys);
          };
        };
      }),
  );
}

async function userIdOf(page: Page): Promise<string> {
  return page.evaluate(() => (JSON.parse(localStorage.getItem('stage.account') ?? '{}') as { userId: string }).userId);
}

test("a draft written offline is never posted as the next user who signs in on that browser", async ({ browser }) => {
  const alice = await signUp(browser, 'alice');
  const bob = await signUp(browser, 'bob');
  const stream = await sharedStream(alice, [bob]);
  await openTopic(alice.page, stream, 'plans');
  await send(alice.page, 'Hello from alice.');
  await openTopic(bob.page, stream, 'plans');
  await expect(messageBodies(bob.page)).toHaveText(['Hello from alice.']);
  const aliceId = await userIdOf(alice.page);
  expect((await storedKeys(alice.page)).some((key) => key.includes(encodeURIComponent(aliceId)))).toBe(true);

  await alice.context.setOffline(true);
  await expect(alice.page.getByTestId('connection')).toHaveAttribute('data-state', /offline|reconnecting/);
  await send(alice.page, "Alice's private draft");
  await expect(alice.page.getByTestId('pending-message')).toHaveCount(1);

  await alice.page.getByTestId('sign-out').click();
  const dialog = alice.page.getByTestId('signout-dialog');
  await expect(dialog).toContainText('1 message or change has not reached the hub');
  // Escape keeps the user signed in and the draft queued.
  await alice.page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(alice.page.getByTestId('pending-message')).toHaveCount(1);
  await alice.page.getByTestId('sign-out').click();
  await alice.page.getByTestId('signout-discard').click();
  await expect(alice.page.getByTestId('submit-login')).toBeVisible();
  expect((await storedKeys(alice.page)).filter((key) => key.includes(encodeURIComponent(aliceId)))).toEqual([]);

  // Bob signs in on alice's browser, back online: nothing of alice's is pending or sent.
  await alice.context.setOffline(false);
  await signIn(alice.page, bob.name);
  await expect(alice.page.getByTestId('pending-message')).toHaveCount(0);
  await openTopic(alice.page, stream, 'plans');
  await send(alice.page, 'Bob on the shared laptop.');
  await expect(messageBodies(bob.page)).toHaveText(['Hello from alice.', 'Bob on the shared laptop.']);
  await expect(messageBodies(alice.page)).toHaveText(['Hello from alice.', 'Bob on the shared laptop.']);
  await closeAll(alice, bob);
});

test('signing out can send the unsent messages first, once the connection is back', async ({ browser }) => {
  const alice = await signUp(browser, 'alice');
  const bob = await signUp(browser, 'bob');
  const stream = await sharedStream(alice, [bob]);
  await openTopic(alice.page, stream, 'later');
  await alice.context.setOffline(true);
  await expect(alice.page.getByTestId('connection')).toHaveAttribute('data-state', /offline|reconnecting/);
  await send(alice.page, 'Written on the train.');
  await expect(alice.page.getByTestId('pending-message')).toHaveCount(1);

  await alice.page.getByTestId('sign-out').click();
  const dialog = alice.page.getByTestId('signout-dialog');
  await expect(dialog).toContainText('You are offline');
  // The outbox holds the message and may hold read-state changes made offline (they are the user's now and are
  // sent too): the dialog counts them all, and the button says how many it is sending.
  const unsent = Number(/(\d+) messages? or changes? ha(?:s|ve) not reached the hub/.exec((await dialog.textContent()) ?? '')?.[1]);
  expect(unsent).toBeGreaterThanOrEqual(1);
  await alice.page.getByTestId('signout-send').click();
  await expect(alice.page.getByTestId('signout-send')).toHaveText(`Sending ${unsent}…`);
  await alice.context.setOffline(false);
  await expect(alice.page.getByTestId('submit-login')).toBeVisible({ timeout: 30_000 });

  await openTopic(bob.page, stream, 'later');
  await expect(messageBodies(bob.page)).toHaveText(['Written on the train.']);
  await expect(bob.page.getByTestId('message').locator('.sender')).toHaveText([alice.name]);
  await expectOnline(bob.page);
  await closeAll(alice, bob);
});
