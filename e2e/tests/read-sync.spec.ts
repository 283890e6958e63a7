// Read state and mutes are the user's (issue #15, point 3): one user on two browser contexts (laptop and phone).
// Reading a topic on the laptop clears it on the phone; a mute follows; a reload keeps the open topic and does not
// mark a newer topic read; a new device (a third context) starts with the user's state, not with everything unread.
// Prints the figures: laptop opens the topic → phone's badge gone (ms), new device sign-in → sidebar with the user's
// counts (ms).
import { expect, test, type Browser, type Page } from '@playwright/test';
import { closeAll, expectOnline, hubUrl, openTopic, send, sharedStream, signIn, signUp, unreadBadge, type Person } from '../support/chat.js';

/** Another device of an existing user: a fresh browser context that signs in. */
async function device(browser: Browser, name: string): Promise<Person & { signedInAt: number }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (error) => console.log(`[${name} device] page error: ${error.message}`));
  await page.goto(hubUrl());
  const signedInAt = Date.now();
  await signIn(page, name);
  return { name, context, page, signedInAt };
}

/** When (Date.now() in the page) the element matching `selector` is gone: watched on every frame from now. */
function whenGone(page: Page, selector: string): Promise<number> {
  return page.waitForFunction((css) => (document.querySelector(css) ? false : Date.now()), selector, { polling: 'raf', timeout: 15_000 }).then((handle) => handle.jsonValue() as Promise<number>);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

test('reading and muting follow the user to their other devices; a reload keeps the open topic; a new device starts clean', async ({ browser }) => {
  const laptop = await signUp(browser, 'ann');
  const bob = await signUp(browser, 'bob');
  const stream = await sharedStream(laptop, [bob]);
  const phone = await device(browser, laptop.name);
  await openTopic(bob.page, stream, 'lobby');
  await send(bob.page, 'welcome');
  await openTopic(laptop.page, stream, 'lobby');
  await openTopic(phone.page, stream, 'lobby');
  await openTopic(bob.page, stream, 'news');

  // Read on the laptop: the phone's badge goes. Five rounds for a median.
  const newsOnPhone = `[data-testid="topic-${stream}-news"] [data-testid="unread"]`;
  const cleared: number[] = [];
  for (let round = 0; round < 5; round++) {
    await send(bob.page, `news ${round}`);
    await expect(unreadBadge(phone.page, stream, 'news')).toHaveText('1');
    await expect(phone.page.getByTestId(`stream-${stream}`).getByTestId('stream-unread')).toHaveText('1');
    await expect(unreadBadge(laptop.page, stream, 'news')).toHaveText('1');
    const gone = whenGone(phone.page, newsOnPhone);
    const clickedAt = Date.now();
    await laptop.page.getByTestId(`topic-${stream}-news`).click();
    cleared.push((await gone) - clickedAt);
    await expect(phone.page.getByTestId(`stream-${stream}`).getByTestId('stream-unread')).toHaveCount(0);
    await laptop.page.getByTestId(`topic-${stream}-lobby`).click();
  }
  console.log(`read on laptop → phone badge cleared: median ${median(cleared)} ms, range ${Math.min(...cleared)}–${Math.max(...cleared)} ms, n=${cleared.length}`);

  // A mute follows too, and a muted topic does not count in the stream's badge.
  await laptop.page.getByTestId(`topic-${stream}-news`).click();
  await laptop.page.getByTestId('mute').click();
  await expect(phone.page.getByTestId(`topic-${stream}-news`).locator('.muted-tag')).toBeVisible();
  await send(bob.page, 'muted news');
  await expect(unreadBadge(phone.page, stream, 'news')).toHaveText('1');
  await expect(phone.page.getByTestId(`stream-${stream}`).getByTestId('stream-unread')).toHaveCount(0);
  await laptop.page.getByTestId(`topic-${stream}-lobby`).click();

  // A newer topic appears while the phone has lobby open; a reload keeps lobby open and leaves the newer one unread.
  await openTopic(bob.page, stream, 'later');
  await send(bob.page, 'newer topic');
  await expect(unreadBadge(phone.page, stream, 'later')).toHaveText('1');
  await phone.page.reload();
  await expectOnline(phone.page);
  await expect(phone.page.getByTestId('topic-title')).toHaveText('lobby');
  await expect(unreadBadge(phone.page, stream, 'later')).toHaveText('1');
  await expect(unreadBadge(laptop.page, stream, 'later')).toHaveText('1');

  // A new device: the user's state from the start (news read but for the muted message, muted; later unread).
  const tablet = await device(browser, laptop.name);
  await tablet.page.waitForFunction((css) => document.querySelector(css) !== null, `[data-testid="topic-${stream}-later"] [data-testid="unread"]`, { polling: 'raf' });
  const loadedMs = Date.now() - tablet.signedInAt;
  console.log(`new device: sign-in → sidebar with the user's counts: ${loadedMs} ms (n=1)`);
  await expect(unreadBadge(tablet.page, stream, 'later')).toHaveText('1');
  await expect(unreadBadge(tablet.page, stream, 'news')).toHaveText('1');
  await expect(unreadBadge(tablet.page, stream, 'lobby')).toHaveCount(0);
  await expect(tablet.page.getByTestId(`topic-${stream}-news`).locator('.muted-tag')).toBeVisible();
  await expect(tablet.page.getByTestId(`stream-${stream}`).getByTestId('stream-unread')).toHaveText('1');
  // Nothing was opened (and so nothing marked read) by signing in.
  await expect(tablet.page.getByTestId('topic-title')).toHaveCount(0);

  await closeAll(laptop, bob, phone, tablet);
});
