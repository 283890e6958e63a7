// At phone width the demo still works: the streams drawer opens from the menu, a topic opens, the
// composer stays on screen; and the inspector draws the page's live supervision tree.
import { expect, test } from '@playwright/test';
import { closeAll, messageBodies, openPanel, screenshot, send, sharedStream, signUp } from '../support/chat.js';

test('works at phone width, and the inspector shows the live supervision tree', async ({ browser }, testInfo) => {
  const alice = await signUp(browser, 'alice');
  const bob = await signUp(browser, 'bob');
  const stream = await sharedStream(alice, [bob]);
  await alice.page.getByTestId(`new-topic-${stream}`).fill('mobile');
  await alice.page.getByTestId(`new-topic-${stream}`).press('Enter');
  await send(alice.page, 'Can you read this on your phone?');

  await bob.page.setViewportSize({ width: 390, height: 780 });
  await bob.page.reload();
  const drawer = bob.page.getByRole('navigation', { name: 'Streams and topics' });
  await expect(drawer).not.toBeInViewport();
  await bob.page.getByTestId('menu').click();
  await expect(drawer).toBeInViewport();
  await bob.page.getByTestId(`topic-${stream}-mobile`).click();
  await expect(drawer).not.toBeInViewport();
  await expect(messageBodies(bob.page)).toHaveText(['Can you read this on your phone?']);
  await send(bob.page, 'Yes, loud and clear.');
  await expect(messageBodies(alice.page)).toHaveText(['Can you read this on your phone?', 'Yes, loud and clear.']);
  await expect(bob.page.getByTestId('composer')).toBeInViewport();
  const width = await bob.page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, 'nothing sticks out sideways at phone width').toBeLessThanOrEqual(390);
  await screenshot(bob.page, testInfo, 'bob-phone');

  // The inspector draws the client's tree from the SDK's inspection stream: supervisor, tasks, the history group, the title actor.
  await openPanel(alice.page, 'inspector');
  const node = (name: string) => alice.page.locator(`[data-testid=inspected-node][data-name="${name}"]`);
  for (const name of ['client', 'connection', 'sync', 'read-marker', 'history', 'title']) await expect(node(name)).toBeVisible();
  await expect(node('history').locator('[data-testid=inspected-node]')).toHaveCount(2);
  await expect(node('connection').locator('.node-status').first()).toHaveText('running');
  await screenshot(alice.page, testInfo, 'alice-inspector');
  await closeAll(alice, bob);
});
