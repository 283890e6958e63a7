// Review end to end across two reviewers: appoint, put a topic under review, the live vote map,
// the concluded result on every page.
import { expect, test } from '@playwright/test';
import { closeAll, openPanel, openTopic, screenshot, send, sharedStream, signUp } from '../support/chat.js';

test('two reviewers vote on a topic under review; everyone sees the live votes and the result', async ({ browser }, testInfo) => {
  const alice = await signUp(browser, 'alice');
  const bob = await signUp(browser, 'bob');
  const carol = await signUp(browser, 'carol');
  const stream = await sharedStream(alice, [bob, carol], 'design');

  await openPanel(alice.page, 'streams');
  const card = alice.page.getByTestId(`stream-card-${stream}`);
  for (const reviewer of [bob, carol]) {
    await card.getByTestId('reviewer-name').fill(reviewer.name);
    await card.getByTestId('appoint-reviewer').click();
    await expect(card.getByTestId('reviewer').filter({ hasText: reviewer.name })).toBeVisible();
  }

  await openTopic(alice.page, stream, 'new-logo');
  await send(alice.page, 'Proposal: the diamond logo.');
  await alice.page.getByTestId('start-review').click();
  await expect(alice.page.getByTestId('topic-status')).toHaveText('in review');

  for (const person of [bob, carol]) {
    await openTopic(person.page, stream, 'new-logo');
    await expect(person.page.getByTestId('votes')).toContainText('waiting');
  }

  await bob.page.getByTestId('vote-yes').click();
  // Live vote map on everyone's page.
  for (const person of [alice, bob, carol]) await expect(person.page.getByTestId('vote').filter({ hasText: bob.name })).toContainText('yes');
  await screenshot(carol.page, testInfo, 'carol-live-votes');

  await carol.page.getByTestId('vote-yes').click();
  for (const person of [alice, bob, carol]) {
    await expect(person.page.getByTestId('review-result')).toContainText('accepted (complete)');
    await expect(person.page.getByTestId('review-result')).toContainText('2 yes, 0 no');
    await expect(person.page.getByTestId('topic-status')).toHaveText('complete');
  }

  // Dismissing a reviewer shows on the stream card.
  await card.getByTestId('reviewer').filter({ hasText: carol.name }).getByRole('button').click();
  await expect(card.getByTestId('reviewer')).toHaveCount(1);

  await screenshot(alice.page, testInfo, 'alice-concluded');
  await closeAll(alice, bob, carol);
});
