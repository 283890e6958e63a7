// The whole first-run flow with the keyboard only (#15 point 9): register, create a group and add someone, create a
// stream, start a topic, send, edit and delete a message (confirming), closing panels and dialogs with Escape — and
// the focused control always shows a visible focus ring.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { closeAll, hubUrl, password, signUp, uniqueName } from '../support/chat.js';

/** Presses Tab (or Shift+Tab) until `target` has the focus; fails if it is not reached in `max` presses. */
async function tabTo(page: Page, target: Locator, { back = false, max = 60 } = {}): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((element) => element === document.activeElement)) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  await expect(target, `reachable by ${back ? 'Shift+' : ''}Tab`).toBeFocused({ timeout: 1 });
}

/** The focused element's focus indicator: an outline or a box-shadow ring at least 2 px wide. */
async function expectVisibleFocus(page: Page): Promise<void> {
  const ring = await page.evaluate(() => {
    const element = document.activeElement as HTMLElement;
    const style = getComputedStyle(element);
    return { outline: style.outlineStyle !== 'none' ? parseFloat(style.outlineWidth) : 0, shadow: style.boxShadow };
  });
  expect(ring.outline >= 2 || ring.shadow !== 'none', `focus ring ${JSON.stringify(ring)}`).toBe(true);
}

test('first run, keyboard only: register, group, member, stream, topic, send, edit, delete', async ({ browser }) => {
  const bob = await signUp(browser, 'bob');
  const context = await browser.newContext();
  const page = await context.newPage();
  const name = uniqueName('kay');
  await page.goto(hubUrl());

  // Register.
  await tabTo(page, page.getByTestId('register-tab'));
  await expectVisibleFocus(page);
  await page.keyboard.press('Enter');
  await tabTo(page, page.getByTestId('username'));
  await page.keyboard.type(name);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('first-steps')).toBeVisible();

  // A group with Bob in it, from the first steps.
  await tabTo(page, page.getByTestId('first-step-groups'));
  await expectVisibleFocus(page);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Groups' })).toBeFocused();
  const group = uniqueName('keys');
  await tabTo(page, page.getByTestId('group-name'));
  await expectVisibleFocus(page);
  await page.keyboard.type(group);
  await page.keyboard.press('Enter');
  const card = page.getByTestId(`group-${group}`);
  await expect(card).toBeVisible();
  await tabTo(page, card.getByTestId('member-name'));
  await page.keyboard.type(bob.name);
  await page.keyboard.press('Enter');
  await expect(card.getByTestId('member').filter({ hasText: bob.name })).toBeVisible();

  // A stream visible to it.
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('groups-panel')).toHaveCount(0);
  await tabTo(page, page.getByTestId('first-step-streams'));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Streams', exact: true }).last()).toBeFocused();
  const stream = uniqueName('desk');
  await tabTo(page, page.getByTestId('stream-name'));
  await page.keyboard.type(stream);
  await tabTo(page, page.getByTestId(`pick-group-${group}`));
  await expectVisibleFocus(page);
  await page.keyboard.press('Space');
  await tabTo(page, page.getByTestId('create-stream'));
  await page.keyboard.press('Enter');
  await expect(page.getByTestId(`stream-${stream}`)).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('streams-panel')).toHaveCount(0);

  // A topic, a message, an edit.
  await tabTo(page, page.getByTestId(`new-topic-${stream}`), { back: true });
  await page.keyboard.type('keys');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('topic-title')).toHaveText('keys');
  await tabTo(page, page.getByTestId('composer'));
  await expectVisibleFocus(page);
  await page.keyboard.type('Typed without a mouse');
  await page.keyboard.press('Enter');
  await expect(bob.page.getByTestId(`topic-${stream}-keys`)).toBeVisible();
  await expect(page.getByTestId('message-body')).toHaveText(['Typed without a mouse']);
  await tabTo(page, page.getByTestId('edit'), { back: true });
  await expectVisibleFocus(page);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('edit-input')).toBeFocused();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('Edited without a mouse');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('message-body')).toContainText('Edited without a mouse');

  // Delete: the dialog opens on Cancel; Escape keeps the message and gives focus back; then confirm.
  await tabTo(page, page.getByTestId('delete'));
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('confirm-no')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('confirm-dialog')).toHaveCount(0);
  await expect(page.getByTestId('delete')).toBeFocused();
  await page.keyboard.press('Enter');
  await tabTo(page, page.getByTestId('confirm-yes'), { back: true, max: 3 });
  await expectVisibleFocus(page);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('message').first()).toContainText('This message was deleted.');
  await context.close();
  await closeAll(bob);
});
