// A busy topic must not freeze the tab: a topic with 5,000 messages opens in under 300 ms, and 500 more
// arriving while it is open cause no long task over 100 ms (Long Tasks API), with the DOM kept small.
import { expect, test, type Page } from '@playwright/test';
import { firehose } from '../support/firehose.js';
import { closeAll, hubUrl, password, signUp, uniqueName } from '../support/chat.js';

/** Clicks the topic and measures until the list holds `count` messages and the next frame was painted. */
async function timeOpen(page: Page, testId: string, count: number): Promise<number> {
  return page.evaluate(
    ({ testId, count }) =>
      new Promise<number>((resolve) => {
        const start = performance.now();
        const done = () => requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - start)));
        const check = () => {
          const list = document.querySelector('[data-testid="messages"]');
          if (list && Number(list.getAttribute('data-count')) >= count) {
            observer.disconnect();
            done();
          }
        };
        const observer = new MutationObserver(check);
        observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-count'] });
        (document.querySelector(`[data-testid="${testId}"]`) as HTMLElement).click();
      }),
    { testId, count },
  );
}

test('a 5,000-message topic opens in < 300 ms and 500 more cause no long task > 100 ms', async ({ browser }) => {
  test.setTimeout(300_000);
  const alice = await signUp(browser, 'alice');
  const stream = uniqueName('busy');
  const base = { url: hubUrl(), writer: uniqueName('writer'), password, stream, topic: 'firehose' };
  await firehose({ ...base, setup: { member: alice.name, stream }, from: 0, to: 5000, prefix: 'm-' });
  await alice.page.getByTestId(`new-topic-${stream}`).fill('quiet');
  await alice.page.getByTestId(`new-topic-${stream}`).press('Enter');
  await expect(alice.page.getByTestId('topic-title')).toHaveText('quiet');
  await expect(alice.page.getByTestId(`topic-${stream}-firehose`).getByTestId('unread')).toHaveText('5000', { timeout: 120_000 });

  const firstRender = await timeOpen(alice.page, `topic-${stream}-firehose`, 5000);
  await expect(alice.page.getByTestId('messages')).toHaveAttribute('data-count', '5000');
  const domMessages = await alice.page.getByTestId('message').count();
  console.log(`[busy-topic] first render of 5,000 messages: ${firstRender.toFixed(0)} ms; ${domMessages} message elements in the DOM`);

  await alice.page.evaluate(() => {
    const durations: number[] = [];
    (window as unknown as { longTasks: number[] }).longTasks = durations;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) durations.push(entry.duration);
    }).observe({ type: 'longtask' });
  });
  await firehose({ ...base, from: 5000, to: 5500, prefix: 'n-' });
  await expect(alice.page.getByTestId('messages')).toHaveAttribute('data-count', '5500', { timeout: 120_000 });
  await alice.page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 50))));
  const longTasks = await alice.page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
  const worst = Math.max(0, ...longTasks);
  console.log(`[busy-topic] 500 messages into the open topic: ${longTasks.length} long tasks, worst ${worst.toFixed(0)} ms, total ${longTasks.reduce((a, b) => a + b, 0).toFixed(0)} ms`);

  expect(firstRender).toBeLessThan(300);
  expect(worst).toBeLessThanOrEqual(100);
  expect(domMessages).toBeLessThan(200);
  await closeAll(alice);
});
