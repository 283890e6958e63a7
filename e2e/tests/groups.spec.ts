// Groups and stream visibility: a stream is visible to the members of its groups. Changing the
// groups reveals it to new members; dismissing a member hides it from them, live.
import { expect, test } from '@playwright/test';
import { closeAll, openPanel, screenshot, signUp, uniqueName } from '../support/chat.js';

test('groups decide who sees a stream: visibility changes and member dismissals apply live', async ({ browser }, testInfo) => {
  const alice = await signUp(browser, 'alice');
  const bob = await signUp(browser, 'bob');
  const { page } = alice;
  const core = uniqueName('core');
  const guests = uniqueName('guests');
  const stream = uniqueName('roadmap');

  await openPanel(page, 'groups');
  for (const name of [core, guests]) {
    await page.getByTestId('group-name').fill(name);
    await page.getByTestId('create-group').click();
    await expect(page.getByTestId(`group-${name}`)).toBeVisible();
  }
  const guestCard = page.getByTestId(`group-${guests}`);
  await guestCard.getByTestId('member-name').fill(bob.name);
  await guestCard.getByTestId('add-member').click();
  await expect(guestCard.getByTestId('member').filter({ hasText: bob.name })).toBeVisible();

  // Visible to core only: Bob (a guest) does not see it.
  await openPanel(page, 'streams');
  await page.getByTestId('new-stream-form').getByTestId(`pick-group-${core}`).check();
  await page.getByTestId('stream-name').fill(stream);
  await page.getByTestId('create-stream').click();
  await expect(page.getByTestId(`stream-${stream}`)).toBeVisible();
  await expect(bob.page.getByTestId(`stream-${stream}`)).toHaveCount(0);

  // Make it visible to guests too: it appears for Bob.
  const card = page.getByTestId(`stream-card-${stream}`);
  await card.getByTestId('edit-visibility').click();
  await card.getByTestId(`pick-group-${guests}`).check();
  await card.getByTestId('save-visibility').click();
  await expect(card).toContainText(guests);
  await expect(bob.page.getByTestId(`stream-${stream}`)).toBeVisible();

  // Dismiss Bob from guests: the stream disappears from his sidebar, and the group from his list.
  await openPanel(page, 'groups');
  await guestCard.getByRole('button', { name: `Remove ${bob.name}` }).click();
  await expect(guestCard.getByTestId('member').filter({ hasText: bob.name })).toHaveCount(0);
  await expect(bob.page.getByTestId(`stream-${stream}`)).toHaveCount(0);
  await openPanel(bob.page, 'groups');
  await expect(bob.page.getByTestId(`group-${guests}`)).toHaveCount(0);

  // Dissolving asks first: Cancel (and Escape) keep the group; confirming removes it for its owner too.
  await page.getByTestId(`group-${guests}`).getByTestId('dissolve-group').click();
  await expect(page.getByTestId('confirm-dialog')).toContainText(`Dissolve ${guests}?`);
  await expect(page.getByTestId('confirm-no')).toBeFocused();
  await page.getByTestId('confirm-no').click();
  await expect(page.getByTestId('confirm-dialog')).toHaveCount(0);
  await page.getByTestId(`group-${guests}`).getByTestId('dissolve-group').click();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('confirm-dialog')).toHaveCount(0);
  await expect(page.getByTestId(`group-${guests}`)).toBeVisible();
  await page.getByTestId(`group-${guests}`).getByTestId('dissolve-group').click();
  await page.getByTestId('confirm-yes').click();
  await expect(page.getByTestId(`group-${guests}`)).toHaveCount(0);
  await screenshot(page, testInfo, 'alice-groups');
  await closeAll(alice, bob);
});
