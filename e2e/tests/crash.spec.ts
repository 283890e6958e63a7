// The hub is SIGKILLed mid-conversation and restarted: both pages reconnect by themselves, their
// sessions are recalled (recall count goes up), and no message is lost or shown twice.
import { expect, test } from '@playwright/test';
import { crashAndRestartHub } from '../support/hubProcess.js';
import { closeAll, expectOnline, messageBodies, openTopic, screenshot, send, sessionFacts, sharedStream, signUp } from '../support/chat.js';

test('after a hub crash both pages reconnect, recall their sessions, and lose or duplicate nothing', async ({ browser }, testInfo) => {
  const alice = await signUp(browser, 'alice');
  const bob = await signUp(browser, 'bob');
  const stream = await sharedStream(alice, [bob]);
  await openTopic(alice.page, stream, 'incident');
  await send(alice.page, 'Is the hub up?');
  await openTopic(bob.page, stream, 'incident');
  await send(bob.page, 'Looks fine from here.');
  const before = ['Is the hub up?', 'Looks fine from here.'];
  await expect(messageBodies(alice.page)).toHaveText(before);
  await expect(messageBodies(bob.page)).toHaveText(before);
  const aliceBefore = await sessionFacts(alice.page);
  const bobBefore = await sessionFacts(bob.page);

  await crashAndRestartHub();

  // Both pages notice, reconnect on their own and come back online.
  await expectOnline(alice.page, 60_000);
  await expectOnline(bob.page, 60_000);

  // The conversation continues; the restarted hub recalls each device's session from its chain.
  await send(alice.page, 'It crashed. Still there?');
  await send(bob.page, 'Still here.');
  const after = [...before, 'It crashed. Still there?', 'Still here.'];
  await expect(messageBodies(alice.page)).toHaveText(after);
  await expect(messageBodies(bob.page)).toHaveText(after);

  await expect.poll(async () => (await sessionFacts(alice.page)).recalls).toBeGreaterThan(aliceBefore.recalls);
  await expect.poll(async () => (await sessionFacts(bob.page)).recalls).toBeGreaterThan(bobBefore.recalls);

  // Nothing shown twice, nothing pending.
  for (const page of [alice.page, bob.page]) {
    // A body is rendered markdown (`<p>text</p>` and a line break): compare its text without the surrounding space.
    for (const text of after) await expect(messageBodies(page).filter({ hasText: new RegExp(`^\\s*${escape(text)}\\s*$`) })).toHaveCount(1);
    await expect(page.getByTestId('pending-message')).toHaveCount(0);
  }
  await screenshot(alice.page, testInfo, 'alice-after-crash');
  await screenshot(bob.page, testInfo, 'bob-after-crash');
  await closeAll(alice, bob);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
