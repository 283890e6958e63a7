// Issue #15 point 12: the demo is built on the SDK's React hooks, so what it shows is what the hooks give every
// app. A topic longer than what the device keeps across a reload (its snapshot holds the newest 50 messages per
// topic): useTopicHistory shows them, says older messages exist, pages back on "Load earlier messages" until the
// first, then says there are none; the sidebar counts (useUnreadCount, useStreamUnread) clear once it is read; the
// pending count and list (usePendingMessages) follow a message sent offline.
import { expect, test } from '@playwright/test';
import { firehose } from '../support/firehose.js';
import { closeAll, expectOnline, hubUrl, openTopic, password, send, signUp, snapshotHas, uniqueName, unreadBadge } from '../support/chat.js';

test('a long topic pages back through useTopicHistory, and the counts follow the SDK hooks', async ({ browser }) => {
  test.setTimeout(120_000);
  const alice = await signUp(browser, 'alice');
  const { page, context } = alice;
  const stream = uniqueName('long');
  await firehose({ url: hubUrl(), writer: uniqueName('writer'), password, stream, topic: 'history', setup: { member: alice.name, stream }, from: 0, to: 120, prefix: 'h-', devices: 2 });
  await expect(unreadBadge(page, stream, 'history')).toHaveText('120');
  await expect(page.getByTestId(`stream-${stream}`).getByTestId('stream-unread')).toHaveText('120');

  // After a reload the device has the newest 50 from its snapshot; older ones come page by page (50 each).
  await expect.poll(() => snapshotHas(page, 'h-119')).toBe(true);
  await page.reload();
  await expectOnline(page);
  await openTopic(page, stream, 'history');
  const list = page.getByTestId('messages');
  await expect(list).toHaveAttribute('data-count', '50');
  // Opening read it: the topic's and the stream's counts are gone.
  await expect(unreadBadge(page, stream, 'history')).toHaveCount(0);
  await expect(page.getByTestId(`stream-${stream}`).getByTestId('stream-unread')).toHaveCount(0);

  const older = page.getByTestId('load-older');
  await older.click();
  await expect(list).toHaveAttribute('data-count', '100');
  await expect(older).toBeVisible();
  await older.click();
  await expect(list).toHaveAttribute('data-count', '120');
  // The first page was reached: no older messages, no button.
  await expect(older).toHaveCount(0);

  // Back to the newest (the list keeps the place of someone reading older messages), then send while offline:
  // pending (badge and list) until the connection is back and the hub answers.
  await list.evaluate((element) => element.scrollTo({ top: element.scrollHeight }));
  await context.setOffline(true);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'offline');
  await send(page, 'written offline');
  await expect(page.getByTestId('pending-count')).toHaveText(/1 pending/);
  await expect(page.getByTestId('pending-message')).toContainText('written offline');
  await context.setOffline(false);
  await expectOnline(page);
  await expect(page.getByTestId('pending-count')).toHaveCount(0);
  await expect(page.getByTestId('pending-message')).toHaveCount(0);
  await expect(list).toHaveAttribute('data-count', '121');

  await closeAll(alice);
});
