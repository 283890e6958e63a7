// At phone width (#15 point 8): the streams drawer closes by its close button, a tap on the backdrop and Escape,
// without picking a topic; the top bar is one row; every control a thumb uses is at least 44 × 44 px.
import { expect, test, type Page } from '@playwright/test';
import { closeAll, openTopic, send, sharedStream, signUp } from '../support/chat.js';

const phone = { width: 390, height: 780 };

/** Visible controls under `selector` smaller than 44 px in either direction (label, width × height). */
async function smallTargets(page: Page, selector: string): Promise<string[]> {
  return page.locator(selector).evaluateAll((elements) =>
    elements.flatMap((element) => {
      const box = element.getBoundingClientRect();
      const style = getComputedStyle(element);
      if (box.width === 0 || box.height === 0 || style.visibility === 'hidden' || style.opacity === '0') return [];
      if (box.right <= 0 || box.left >= window.innerWidth) return []; // off-screen (a closed drawer)
      if (box.width >= 44 && box.height >= 44) return [];
      const label = element.getAttribute('aria-label') ?? element.getAttribute('data-testid') ?? element.textContent?.trim() ?? element.tagName;
      return [`${label}: ${Math.round(box.width)}×${Math.round(box.height)}`];
    }),
  );
}

test('phone width: the drawer closes by button, backdrop and Escape; one-row top bar; 44 px touch targets', async ({ browser }) => {
  const alice = await signUp(browser, 'alice');
  const bob = await signUp(browser, 'bob');
  const stream = await sharedStream(alice, [bob], 'mobile');
  await openTopic(alice.page, stream, 'hello');
  await send(alice.page, 'Hi from the laptop');
  await expect(alice.page.getByTestId('message-body')).toHaveText(['Hi from the laptop']);

  const { page } = bob;
  await page.setViewportSize(phone);
  const drawer = page.getByRole('navigation', { name: 'Streams and topics' });
  await expect(drawer).not.toBeInViewport();

  // The top bar is one row: as tall as its tallest control, not two or three rows.
  const bar = await page.locator('.topbar').boundingBox();
  expect(bar!.height, 'top bar height').toBeLessThanOrEqual(64);

  // Close button.
  await page.getByTestId('menu').click();
  await expect(drawer).toBeInViewport();
  await expect(page.getByTestId('close-drawer')).toBeFocused(); // the drawer takes the focus
  expect(await smallTargets(page, '.sidebar button, .sidebar input')).toEqual([]);
  await page.getByTestId('close-drawer').click();
  await expect(drawer).not.toBeInViewport();
  await expect(page.getByTestId('menu')).toBeFocused(); // and gives it back

  // Backdrop: a tap beside the drawer.
  await page.getByTestId('menu').click();
  await expect(drawer).toBeInViewport();
  await page.mouse.click(phone.width - 20, phone.height / 2);
  await expect(drawer).not.toBeInViewport();

  // Escape.
  await page.getByTestId('menu').click();
  await expect(drawer).toBeInViewport();
  await page.keyboard.press('Escape');
  await expect(drawer).not.toBeInViewport();

  // Picking a topic still closes it, and the topic view's controls are thumb-sized too.
  await page.getByTestId('menu').click();
  await page.getByTestId(`topic-${stream}-hello`).click();
  await expect(drawer).not.toBeInViewport();
  await expect(page.getByTestId('message-body')).toHaveText(['Hi from the laptop']);
  // No hover on a phone: my own message's Edit and Delete are shown (not faded out until a hover that never comes).
  await send(page, 'Sent from the phone');
  await expect(page.getByTestId('edit')).toHaveCount(1);
  expect(await page.getByTestId('edit').evaluate((button) => getComputedStyle(button.parentElement!).opacity)).toBe('1');
  expect(await smallTargets(page, '.topbar button, .topic-view button, .topic-view select, .topic-view textarea')).toEqual([]);

  // Panels and sign-out live behind More, which opens under the one-row bar.
  await page.getByTestId('more').click();
  await expect(page.getByTestId('panel-groups')).toBeVisible();
  expect(await smallTargets(page, '.topbar-menu button')).toEqual([]);
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('panel-groups')).toBeHidden();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, 'nothing sticks out sideways').toBeLessThanOrEqual(phone.width);
  await closeAll(alice, bob);
});
