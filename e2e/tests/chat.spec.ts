// Two users in two browser contexts chat live in a stream and topic; unread counts move.
import { expect, test } from '@playwright/test';
import { closeAll, messageBodies, openTopic, screenshot, send, sharedStream, signUp, unreadBadge } from '../support/chat.js';

test('two users chat live; unread counts rise for the topic not open and clear when it is read', async ({ browser }, testInfo) => {
  const alice = await signUp(browser, 'alice');
  const bob = await signUp(browser, 'bob');
  const stream = await sharedStream(alice, [bob]);

  await openTopic(alice.page, stream, 'launch');
  await send(alice.page, 'Morning Bob! Ready for the launch?');
  await expect(messageBodies(alice.page)).toHaveText(['Morning Bob! Ready for the launch?']);

  // Bob has not opened the topic: it appears in his sidebar with one unread message, then two.
  await expect(unreadBadge(bob.page, stream, 'launch')).toHaveText('1');
  await send(alice.page, 'The checklist is in the doc.');
  await expect(unreadBadge(bob.page, stream, 'launch')).toHaveText('2');

  // Opening it shows both, in order, and clears the count.
  await openTopic(bob.page, stream, 'launch');
  await expect(messageBodies(bob.page)).toHaveText(['Morning Bob! Ready for the launch?', 'The checklist is in the doc.']);
  await expect(unreadBadge(bob.page, stream, 'launch')).toHaveCount(0);

  // A reply shows up live on Alice's open topic without raising her count.
  await send(bob.page, 'Ready. Shipping at noon.');
  await expect(messageBodies(alice.page)).toHaveText(['Morning Bob! Ready for the launch?', 'The checklist is in the doc.', 'Ready. Shipping at noon.']);
  await expect(unreadBadge(alice.page, stream, 'launch')).toHaveCount(0);

  // Alice moves to another topic; Bob's next message counts as unread for her in "launch" only.
  await openTopic(alice.page, stream, 'retro');
  await send(alice.page, 'Retro notes go here.');
  await send(bob.page, 'Noon it is.');
  await expect(unreadBadge(alice.page, stream, 'launch')).toHaveText('1');
  await expect(unreadBadge(alice.page, stream, 'retro')).toHaveCount(0);
  await expect(unreadBadge(bob.page, stream, 'retro')).toHaveText('1');

  // Edit and delete own messages; the other side sees both live.
  await openTopic(alice.page, stream, 'launch');
  const first = alice.page.getByTestId('message').filter({ hasText: 'The checklist is in the doc.' });
  await first.hover();
  await first.getByTestId('edit').click();
  await alice.page.getByTestId('edit-input').fill('The checklist is in the launch doc.');
  await alice.page.getByTestId('edit-input').press('Enter');
  await expect(bob.page.getByTestId('message').filter({ hasText: 'The checklist is in the launch doc.' })).toContainText('(edited)');
  const opener = alice.page.getByTestId('message').filter({ hasText: 'Morning Bob!' });
  await opener.hover();
  await opener.getByTestId('delete').click();
  await alice.page.getByTestId('confirm-yes').click(); // deleting asks first
  await expect(bob.page.getByTestId('message').first()).toContainText('This message was deleted.');

  // Muting keeps the count but shows it quietly.
  await alice.page.getByTestId('mute').click();
  await expect(alice.page.getByTestId('mute')).toHaveAttribute('aria-pressed', 'true');

  await screenshot(alice.page, testInfo, 'alice');
  await screenshot(bob.page, testInfo, 'bob');
  await closeAll(alice, bob);
});
