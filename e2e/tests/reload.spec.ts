// A page reload keeps the sealed log (IndexedDB) and the conversation.
import { expect, test } from '@playwright/test';
import { closeAll, expectOnline, messageBodies, openTopic, screenshot, send, sessionFacts, sharedStream, signUp } from '../support/chat.js';

test('a reload keeps the sealed log and the conversation, and the chain still verifies', async ({ browser }, testInfo) => {
  const alice = await signUp(browser, 'alice');
  const bob = await signUp(browser, 'bob');
  const stream = await sharedStream(alice, [bob]);
  await openTopic(alice.page, stream, 'notes');
  for (const text of ['one', 'two', 'three']) await send(alice.page, text);
  await expect(messageBodies(alice.page)).toHaveText(['one', 'two', 'three']);

  const before = await sessionFacts(alice.page);
  expect(before.length).toBeGreaterThanOrEqual(3);

  await alice.page.reload();
  await expectOnline(alice.page);
  await openTopic(alice.page, stream, 'notes');
  await expect(messageBodies(alice.page)).toHaveText(['one', 'two', 'three']);
  const after = await sessionFacts(alice.page);
  expect(after.length).toBeGreaterThanOrEqual(before.length);
  expect(after.lastSeal).not.toBe('');

  await alice.page.getByTestId('verify').click();
  await expect(alice.page.getByTestId('verify-result')).toContainText('seals verify');

  // The session continues on the same chain: new messages still go through.
  await send(alice.page, 'four');
  await openTopic(bob.page, stream, 'notes');
  await expect(messageBodies(bob.page)).toHaveText(['one', 'two', 'three', 'four']);

  await screenshot(alice.page, testInfo, 'after-reload');
  await closeAll(alice, bob);
});
