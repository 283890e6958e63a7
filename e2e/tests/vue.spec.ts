// The Vue page (@stage/sdk/vue) shows a message sent from the React page, live.
import { expect, test } from '@playwright/test';
import { closeAll, expectOnline, hubUrl, openTopic, screenshot, send, sharedStream, signUp } from '../support/chat.js';

test('the Vue live feed shows a message sent from the React app', async ({ browser }, testInfo) => {
  const alice = await signUp(browser, 'alice');
  const bob = await signUp(browser, 'bob');
  const stream = await sharedStream(alice, [bob]);
  await openTopic(alice.page, stream, 'feed');
  await send(alice.page, 'First, before the Vue page opens.');

  const feed = await bob.context.newPage();
  await feed.goto(hubUrl(`/vue.html?stream=${encodeURIComponent(stream)}&topic=feed`));
  await expectOnline(feed);
  await expect(feed.getByTestId('feed-message')).toHaveCount(1);
  await expect(feed.getByTestId('feed-message')).toContainText('First, before the Vue page opens.');

  await send(alice.page, 'Hello from React!');
  await expect(feed.getByTestId('feed-message').nth(1)).toContainText('Hello from React!');
  await expect(feed.getByTestId('feed-message').nth(1)).toContainText(alice.name);

  await screenshot(feed, testInfo, 'vue-feed');
  await closeAll(alice, bob);
});
