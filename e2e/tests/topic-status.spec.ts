// Topic status by hand (#15 point 7): every seed status can be set where the hub allows it, an administrator
// cancels a review, and someone who is not an administrator of the stream sees no control the hub would forbid.
import { expect, test, type Page } from '@playwright/test';
import { closeAll, openPanel, openTopic, send, sharedStream, signUp } from '../support/chat.js';

/** The values the status control offers (the first is the current status). */
async function offered(page: Page): Promise<string[]> {
  return page.getByTestId('status-select').locator('option').evaluateAll((options) => options.map((option) => (option as HTMLOptionElement).value));
}

test('statuses are set by hand within the hub rule; a review is cancelled; non-admins see only what they may do', async ({ browser }) => {
  const alice = await signUp(browser, 'alice'); // creates the stream: its administrator
  const bob = await signUp(browser, 'bob'); // a member who sees it
  const stream = await sharedStream(alice, [bob], 'status');
  await openTopic(alice.page, stream, 'plan');
  await send(alice.page, 'Where do we start?');
  await openTopic(bob.page, stream, 'plan');

  // Bob may move an open topic between discussion and developing, or start a review — never set a verdict.
  expect(await offered(bob.page)).toEqual(['discussion', 'under_review', 'developing']);
  await bob.page.getByTestId('status-select').selectOption('developing');
  for (const { page } of [alice, bob]) await expect(page.getByTestId('topic-status')).toHaveText('developing');
  expect(await offered(bob.page)).toEqual(['developing', 'under_review', 'discussion']);

  // The administrator sets verdicts by hand; after that Bob has no status control and no review button.
  expect(await offered(alice.page)).toEqual(['developing', 'reject', 'complete', 'under_review', 'discussion']);
  await alice.page.getByTestId('status-select').selectOption('complete');
  for (const { page } of [alice, bob]) await expect(page.getByTestId('topic-status')).toHaveText('complete');
  await expect(bob.page.getByTestId('status-select')).toHaveCount(0);
  await alice.page.getByTestId('status-select').selectOption('reject');
  for (const { page } of [alice, bob]) await expect(page.getByTestId('topic-status')).toHaveText('reject');
  await expect(bob.page.getByTestId('status-select')).toHaveCount(0);
  await alice.page.getByTestId('status-select').selectOption('discussion');
  for (const { page } of [alice, bob]) await expect(page.getByTestId('topic-status')).toHaveCount(0);
  await expect(bob.page.getByTestId('status-select')).toHaveValue('discussion');

  // A review: Bob becomes a reviewer; Alice starts it; Bob votes but cannot cancel it; Alice cancels it.
  await openPanel(alice.page, 'streams');
  const card = alice.page.getByTestId(`stream-card-${stream}`);
  await card.getByTestId('reviewer-name').fill(bob.name);
  await card.getByTestId('appoint-reviewer').click();
  await expect(card.getByTestId('reviewer').filter({ hasText: bob.name })).toBeVisible();
  await alice.page.getByTestId('start-review').click();
  for (const { page } of [alice, bob]) await expect(page.getByTestId('topic-status')).toHaveText('in review');
  await expect(bob.page.getByTestId('vote-yes')).toBeVisible();
  await expect(bob.page.getByTestId('cancel-review')).toHaveCount(0);
  await expect(bob.page.getByTestId('status-select')).toHaveCount(0);
  await expect(bob.page.getByTestId('start-review')).toHaveCount(0);
  await alice.page.getByTestId('cancel-review').click();
  for (const { page } of [alice, bob]) {
    await expect(page.getByTestId('review-bar')).toHaveAttribute('data-status', 'discussion');
    await expect(page.getByTestId('topic-status')).toHaveCount(0);
  }
  await expect(bob.page.getByTestId('vote-yes')).toHaveCount(0);
  // With the review cancelled Bob may start one again himself.
  await expect(bob.page.getByTestId('start-review')).toBeVisible();
  await closeAll(alice, bob);
});
