// Accessibility (#15 point 9): axe-core on every screen of the demo — sign-in, register, first steps, a topic with
// messages, a poll and a review, each side panel, the confirmation and sign-out dialogs, the phone drawer — with no serious
// or critical violation (WCAG 2.1 A/AA rules), and one level-one heading per screen.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { closeAll, hubUrl, openPanel, openTopic, send, sharedStream, signUp } from '../support/chat.js';

/** Serious and critical violations on the page as it is now, as "rule: target" lines (empty when clean). */
async function violations(page: Page, screen: string): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const found = results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .flatMap((violation) => violation.nodes.map((node) => `${screen} · ${violation.id}: ${node.target.join(' ')}`));
  if (found.length > 0) console.log(found.join('\n'));
  return found;
}

/** Every screen's findings, asserted once at the end so one run lists them all. */
const found: string[] = [];

async function expectClean(page: Page, screen: string): Promise<void> {
  found.push(...(await violations(page, screen)));
  const headings = await page.getByRole('heading', { level: 1 }).count();
  if (headings !== 1) found.push(`${screen} · ${headings} level-one headings`);
}

test('every screen has no serious or critical axe violation and a level-one heading', async ({ browser }) => {
  // Sign-in and register screens.
  const context = await browser.newContext();
  const login = await context.newPage();
  await login.goto(hubUrl());
  await expect(login.getByTestId('submit-login')).toBeVisible();
  await expectClean(login, 'sign-in');
  await login.getByTestId('register-tab').click();
  await expect(login.getByTestId('submit-login')).toHaveText('Create account');
  await expectClean(login, 'register');
  await context.close();

  const alice = await signUp(browser, 'alice');
  const bob = await signUp(browser, 'bob');
  const { page } = alice;
  await expectClean(page, 'first steps');

  const stream = await sharedStream(alice, [bob], 'a11y');
  for (const panel of ['groups', 'streams', 'session', 'inspector'] as const) {
    await openPanel(page, panel);
    await expectClean(page, `${panel} panel`);
  }
  await openPanel(page, 'streams');
  const card = page.getByTestId(`stream-card-${stream}`);
  await card.getByTestId('reviewer-name').fill(bob.name);
  await card.getByTestId('appoint-reviewer').click();
  await expect(card.getByTestId('reviewer')).toHaveCount(1);
  await page.getByTestId('close-panel').click();

  await openTopic(page, stream, 'contrast');
  await send(page, 'A **bold** claim with `code` and a [link](https://example.org).');
  await openTopic(bob.page, stream, 'contrast');
  await send(bob.page, 'Looks fine to me.');
  await expect(page.getByTestId('message')).toHaveCount(2);
  // A poll card (the hub's example extension) with a chosen option, so the pressed style is checked too.
  await send(page, '/poll Ship it? | Yes | No');
  await page.getByTestId('poll').getByRole('button', { name: /^Yes,/ }).click();
  await expect(page.getByTestId('poll').getByRole('button', { name: /^Yes,/ })).toHaveAttribute('aria-pressed', 'true');
  await expectClean(page, 'topic view');
  await page.getByTestId('start-review').click();
  await expect(page.getByTestId('topic-status')).toHaveText('in review');
  await expectClean(page, 'topic under review');
  await expectClean(bob.page, 'topic under review, as reviewer');

  // Dialogs: delete confirmation; sign-out with something unsent (offline, so it stays unsent).
  await page.getByTestId('message').first().hover();
  await page.getByTestId('delete').first().click();
  await expect(page.getByTestId('confirm-dialog')).toBeVisible();
  await expectClean(page, 'confirm dialog');
  await page.keyboard.press('Escape');
  await alice.context.setOffline(true);
  await send(page, 'Written offline.');
  await expect(page.getByTestId('pending-message')).toHaveCount(1);
  await page.getByTestId('sign-out').click();
  await expect(page.getByTestId('signout-dialog')).toBeVisible();
  await expectClean(page, 'sign-out dialog');
  await page.getByTestId('signout-cancel').click();
  await alice.context.setOffline(false);

  // Phone width: the drawer and the More menu.
  await bob.page.setViewportSize({ width: 390, height: 780 });
  await bob.page.getByTestId('menu').click();
  const drawer = bob.page.getByRole('navigation', { name: 'Streams and topics' });
  await expect(drawer).toBeInViewport();
  // In the viewport is not yet in place: let the slide-in transition finish before axe looks.
  await drawer.evaluate((element) => Promise.all(element.getAnimations({ subtree: true }).map((animation) => animation.finished)));
  await expectClean(bob.page, 'phone drawer');
  // The menu tap can leave the pointer where the drawer's "+ Stream" button lands; a full run once found its hover
  // failing color contrast (the generic light ghost hover outranked the sidebar's dark one). Whether Chromium had
  // re-evaluated the hover when axe looked depended on timing: hover on purpose so the check always covers it.
  await drawer.getByTestId('new-stream').hover();
  await expectClean(bob.page, 'phone drawer, "+ Stream" hovered');
  await bob.page.keyboard.press('Escape');
  await bob.page.getByTestId('more').click();
  await expectClean(bob.page, 'phone menu');
  await closeAll(alice, bob);
  expect(found).toEqual([]);
});
