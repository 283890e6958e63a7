// Page helpers for the web demo: sign up, build a shared stream, send, read the sidebar and the
// session panel. Selectors are the demo's data-testid attributes.
import { expect, type Browser, type BrowserContext, type Page, type TestInfo } from '@playwright/test';
import { hubState } from './hubProcess.js';

export const password = 'correct horse battery';

export interface Person {
  name: string;
  context: BrowserContext;
  page: Page;
}

/** A fresh, unique user name (the hub's data dir is shared by all tests of a run). */
export function uniqueName(base: string): string {
  return `${base}-${Math.random().toString(36).slice(2, 8)}`;
}

export function hubUrl(path = '/'): string {
  return new URL(path, hubState().url).toString();
}

/** Opens a new browser context (its own device), registers `base-xxxx`, waits until online. */
export async function signUp(browser: Browser, base: string): Promise<Person> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const name = uniqueName(base);
  // Page errors end up in the test output: a failing e2e test should say what the page saw.
  page.on('pageerror', (error) => console.log(`[${name}] page error: ${error.message}`));
  page.on('console', (message) => {
    // A refused WebSocket while the hub restarts is expected; the connection badge is what the tests check.
    if (/WebSocket connection to .* failed/.test(message.text())) return;
    if (message.type() === 'error' || message.type() === 'warning') console.log(`[${name}] console ${message.type()}: ${message.text()}`);
  });
  await page.goto(hubUrl());
  await page.getByTestId('register-tab').click();
  await page.getByTestId('username').fill(name);
  await page.getByTestId('password').fill(password);
  await page.getByTestId('submit-login').click();
  await expectOnline(page);
  return { name, context, page };
}

/** Signs an existing user in on `page` (the login screen must be showing). */
export async function signIn(page: Page, name: string): Promise<void> {
  await page.getByTestId('username').fill(name);
  await page.getByTestId('password').fill(password);
  await page.getByTestId('submit-login').click();
  await expectOnline(page);
}

export async function expectOnline(page: Page, timeout = 30_000): Promise<void> {
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'online', { timeout });
}

export async function openPanel(page: Page, panel: 'streams' | 'groups' | 'session' | 'inspector'): Promise<void> {
  const tab = page.getByTestId(`panel-${panel}`);
  if (!(await tab.isVisible())) await page.getByTestId('more').click(); // phone width: the tabs are behind More
  if ((await tab.getAttribute('aria-pressed')) !== 'true') await tab.click();
  await expect(page.getByTestId(`${panel}-panel`)).toBeVisible();
}

/** `owner` creates a group with `members` and a stream visible to it; returns the stream name. */
export async function sharedStream(owner: Person, members: Person[], base = 'general'): Promise<string> {
  const group = uniqueName('team');
  const stream = uniqueName(base);
  const { page } = owner;
  await openPanel(page, 'groups');
  await page.getByTestId('group-name').fill(group);
  await page.getByTestId('create-group').click();
  const card = page.getByTestId(`group-${group}`);
  await expect(card).toBeVisible();
  for (const member of members) {
    await card.getByTestId('member-name').fill(member.name);
    await card.getByTestId('add-member').click();
    await expect(card.getByTestId('member').filter({ hasText: member.name })).toBeVisible();
  }
  await openPanel(page, 'streams');
  await page.getByTestId('stream-name').fill(stream);
  await page.getByTestId(`pick-group-${group}`).check();
  await page.getByTestId('create-stream').click();
  await expect(page.getByTestId(`stream-${stream}`)).toBeVisible();
  for (const member of members) await expect(member.page.getByTestId(`stream-${stream}`)).toBeVisible();
  return stream;
}

/** Opens (or starts) a topic from the sidebar. */
export async function openTopic(page: Page, stream: string, topic: string): Promise<void> {
  const existing = page.getByTestId(`topic-${stream}-${topic}`);
  if (await existing.count()) await existing.click();
  else {
    await page.getByTestId(`new-topic-${stream}`).fill(topic);
    await page.getByTestId(`new-topic-${stream}`).press('Enter');
  }
  await expect(page.getByTestId('topic-title')).toHaveText(topic);
}

export async function send(page: Page, text: string): Promise<void> {
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('composer').press('Enter');
}

export function messageBodies(page: Page) {
  return page.getByTestId('message-body');
}

/** The unread badge of a topic in the sidebar (absent when zero). */
export function unreadBadge(page: Page, stream: string, topic: string) {
  return page.getByTestId(`topic-${stream}-${topic}`).getByTestId('unread');
}

export async function sessionFacts(page: Page): Promise<{ length: number; recalls: number; lastSeal: string }> {
  await openPanel(page, 'session');
  return {
    length: Number(await page.getByTestId('log-length').textContent()),
    recalls: Number(await page.getByTestId('recall-count').textContent()),
    lastSeal: (await page.getByTestId('last-seal').getAttribute('title')) ?? '',
  };
}

export async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
}

export async function closeAll(...people: Person[]): Promise<void> {
  for (const person of people) await person.context.close();
}

/** Whether the client's last-state snapshot in IndexedDB holds a message with this text. */
export function snapshotHas(page: Page, text: string): Promise<boolean> {
  return page.evaluate(
    (wanted) =>
      new Promise<boolean>((resolve) => {
        const open = indexedDB.open('stage');
        open.onerror = () => resolve(false);
        open.onsuccess = () => {
          const db = open.result;
          const all = db.transaction('mailbox').objectStore('mailbox').getAll();
          all.onsuccess = () => {
            db.close();
            const rows = all.result as Array<{ mailbox: string; value: { messages?: Array<[string, Array<{ content: string }>]> } }>;
            resolve(rows.some((row) => row.mailbox.startsWith('im-state:') && (row.value.messages ?? []).some(([, list]) => list.some((m) => m.content === wanted))));
          };
          all.onerror = () => resolve(false);
        };
      }),
    text,
  );
}
