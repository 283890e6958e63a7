// A user added to a group later sees the group's streams with their topics and unread counts at once,
// without a reload.
import { expect, test } from '@playwright/test';
import { closeAll, messageBodies, openPanel, openTopic, send, signUp, uniqueName, unreadBadge } from '../support/chat.js';

test("a user added to a group sees the stream's existing topics and unread counts without reloading", async ({ browser }) => {
  const alice = await signUp(browser, 'alice');
  const bob = await signUp(browser, 'bob');
  const { page } = alice;
  const team = uniqueName('team');
  const stream = uniqueName('plans');

  await openPanel(page, 'groups');
  await page.getByTestId('group-name').fill(team);
  await page.getByTestId('create-group').click();
  await expect(page.getByTestId(`group-${team}`)).toBeVisible();
  await openPanel(page, 'streams');
  await page.getByTestId('stream-name').fill(stream);
  await page.getByTestId(`pick-group-${team}`).check();
  await page.getByTestId('create-stream').click();
  await openTopic(page, stream, 'launch');
  await send(page, 'Launch is on Friday.');
  await send(page, 'Bring snacks.');
  await expect(messageBodies(page)).toHaveText(['Launch is on Friday.', 'Bring snacks.']);
  await expect(bob.page.getByTestId(`stream-${stream}`)).toHaveCount(0);

  await openPanel(page, 'groups');
  const card = page.getByTestId(`group-${team}`);
  await card.getByTestId('member-name').fill(bob.name);
  await card.getByTestId('add-member').click();

  await expect(bob.page.getByTestId(`stream-${stream}`)).toBeVisible();
  await expect(bob.page.getByTestId(`topic-${stream}-launch`)).toBeVisible();
  await expect(unreadBadge(bob.page, stream, 'launch')).toHaveText('2');
  await openTopic(bob.page, stream, 'launch');
  await expect(messageBodies(bob.page)).toHaveText(['Launch is on Friday.', 'Bring snacks.']);
  await closeAll(alice, bob);
});
