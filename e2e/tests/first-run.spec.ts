// First run and destructive actions (#15 point 10): a new user lands on first steps, not the session panel; the
// hub's people are suggested when adding a member; a refused command keeps the typed text; dissolving asks first,
// and the dissolved group's stream name can be used again.
import { expect, test } from '@playwright/test';
import { closeAll, openPanel, signUp, uniqueName } from '../support/chat.js';

test('a new user gets first steps, people suggestions, kept fields on failure, and a reusable stream name after dissolving', async ({ browser }) => {
  const alice = await signUp(browser, 'alice');
  const bob = await signUp(browser, 'bob');
  const { page } = alice;

  // First steps, each ticked off as it is done; nothing technical open.
  await expect(page.getByTestId('first-steps')).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Welcome, ${alice.name}`);
  await expect(page.getByTestId('session-panel')).toHaveCount(0);
  await expect(page.getByTestId('first-step')).toHaveCount(3);
  await expect(page.locator('[data-testid=first-step][data-done=true]')).toHaveCount(0);
  await page.getByTestId('first-step-groups').click();
  await expect(page.getByTestId('groups-panel')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Groups' })).toBeFocused(); // the panel takes the focus

  const group = uniqueName('crew');
  await page.getByTestId('group-name').fill(group);
  await page.getByTestId('create-group').click();
  const card = page.getByTestId(`group-${group}`);
  await expect(card).toBeVisible();
  await expect(page.getByTestId('first-step').first()).toHaveAttribute('data-done', 'true');

  // The people list: typing a prefix suggests the hub's users (SearchUsers), not myself.
  const field = card.getByTestId('member-name');
  await field.fill(bob.name.slice(0, 6));
  await expect(card.getByTestId('member-name-suggestions').locator(`option[value="${bob.name}"]`)).toHaveCount(1);
  await expect(card.getByTestId('member-name-suggestions').locator(`option[value="${alice.name}"]`)).toHaveCount(0);

  // A refused add keeps what was typed (and says why); a good one clears the field.
  await field.fill('nobody-here');
  await card.getByTestId('add-member').click();
  await expect(page.locator('.toast-error')).toContainText('not found');
  await expect(field).toHaveValue('nobody-here');
  await field.fill(bob.name);
  await card.getByTestId('add-member').click();
  await expect(card.getByTestId('member').filter({ hasText: bob.name })).toBeVisible();
  await expect(field).toHaveValue('');

  // A stream only this group sees; dissolving (after confirming) deletes it, for Bob too, and frees its name.
  const stream = uniqueName('launch');
  await page.getByTestId('first-step-streams').click();
  await page.getByTestId('stream-name').fill(stream);
  await page.getByTestId(`pick-group-${group}`).check();
  await page.getByTestId('create-stream').click();
  await expect(page.getByTestId(`stream-${stream}`)).toBeVisible();
  await expect(bob.page.getByTestId(`stream-${stream}`)).toBeVisible();
  await openPanel(page, 'groups');
  await card.getByTestId('dissolve-group').click();
  await expect(page.getByTestId('confirm-dialog')).toContainText('deleted');
  await page.getByTestId('confirm-yes').click();
  await expect(card).toHaveCount(0);
  await expect(page.getByTestId(`stream-${stream}`)).toHaveCount(0);
  await expect(bob.page.getByTestId(`stream-${stream}`)).toHaveCount(0);

  // Bob makes his own group and takes the name.
  await openPanel(bob.page, 'groups');
  const bobs = uniqueName('bobs');
  await bob.page.getByTestId('group-name').fill(bobs);
  await bob.page.getByTestId('create-group').click();
  await expect(bob.page.getByTestId(`group-${bobs}`)).toBeVisible();
  await openPanel(bob.page, 'streams');
  await bob.page.getByTestId('stream-name').fill(stream);
  await bob.page.getByTestId(`pick-group-${bobs}`).check();
  await bob.page.getByTestId('create-stream').click();
  await expect(bob.page.getByTestId(`stream-${stream}`)).toBeVisible();
  await expect(bob.page.locator('.toast-error')).toHaveCount(0);
  await closeAll(alice, bob);
});
