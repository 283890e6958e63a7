// Offline: messages composed show as pending; back online they are delivered once, in order.
import { expect, test } from '@playwright/test';
import { closeAll, expectOnline, messageBodies, openTopic, screenshot, send, sharedStream, signUp } from '../support/chat.js';

test('three messages composed offline stay pending, then arrive once and in order when back online', async ({ browser }, testInfo) => {
  const alice = await signUp(browser, 'alice');
  const bob = await signUp(browser, 'bob');
  const stream = await sharedStream(alice, [bob]);
  await openTopic(alice.page, stream, 'travel');
  await send(alice.page, 'Boarding now.');
  await openTopic(bob.page, stream, 'travel');
  await expect(messageBodies(bob.page)).toHaveText(['Boarding now.']);

  await alice.context.setOffline(true);
  await expect(alice.page.getByTestId('connection')).toHaveAttribute('data-state', /offline|reconnecting/);
  const offline = ['Plane wifi is down.', 'Writing these anyway.', 'See you on the ground.'];
  for (const text of offline) await send(alice.page, text);
  await expect(alice.page.getByTestId('pending-message')).toHaveCount(3);
  await expect(alice.page.getByTestId('pending-message')).toHaveText(offline.map((text) => `${text} — pending`));
  await screenshot(alice.page, testInfo, 'alice-offline');
  await expect(messageBodies(bob.page)).toHaveText(['Boarding now.']);

  await alice.context.setOffline(false);
  await expectOnline(alice.page, 60_000);
  const all = ['Boarding now.', ...offline];
  await expect(messageBodies(bob.page)).toHaveText(all);
  await expect(messageBodies(alice.page)).toHaveText(all);
  await expect(alice.page.getByTestId('pending-message')).toHaveCount(0);

  await screenshot(bob.page, testInfo, 'bob-after');
  await closeAll(alice, bob);
});
