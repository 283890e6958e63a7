// The offline shell (issue #15, point 11): the demo is an installable PWA whose service worker caches the built
// shell. A reload with no network, or with the hub down, loads the shell and the last state from IndexedDB (the
// open topic and its messages), and a message composed then is delivered once the hub is reachable again.
// Prints the figures: reload → the topic's messages shown, online / offline / hub down (ms).
import { expect, test, type Page } from '@playwright/test';
import { hubState, startHub, stopHub } from '../support/hubProcess.js';
import { closeAll, expectOnline, hubUrl, messageBodies, openTopic, send, sharedStream, signUp, snapshotHas } from '../support/chat.js';

/** Reloads and returns the ms until `count` message bodies are on screen (watched on every frame). */
async function reloadUntilShown(page: Page, count: number): Promise<number> {
  const started = Date.now();
  await page.reload({ waitUntil: 'commit' });
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="message-body"]').length >= n, count, { polling: 'raf', timeout: 20_000 });
  return Date.now() - started;
}

const figures = (name: string, values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  console.log(`${name}: median ${sorted[Math.floor(sorted.length / 2)]} ms, range ${sorted[0]}–${sorted[sorted.length - 1]} ms, n=${sorted.length}`);
};

test('a reload offline or with the hub down shows the last messages; what is composed then is delivered after', async ({ browser }) => {
  const alice = await signUp(browser, 'alice');
  const bob = await signUp(browser, 'bob');
  const stream = await sharedStream(alice, [bob]);
  await openTopic(bob.page, stream, 'trip');
  const said = ['Train at 9.', 'Platform 4.', 'Bring snacks.'];
  for (const text of said) await send(bob.page, text);
  await openTopic(alice.page, stream, 'trip');
  await expect(messageBodies(alice.page)).toHaveText(said);

  // The shell is installed and controls the page; the manifest is the one the hub serves.
  await alice.page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { polling: 100 });
  const manifest = await alice.page.evaluate(async () => {
    const link = document.querySelector('link[rel="manifest"]')?.getAttribute('href') ?? '';
    const response = await fetch(link);
    return { type: response.headers.get('content-type'), body: (await response.json()) as { display?: string; icons?: unknown[] } };
  });
  expect(manifest.type).toContain('application/manifest+json');
  expect(manifest.body.display).toBe('standalone');
  expect(manifest.body.icons?.length).toBeGreaterThanOrEqual(2);
  await expect.poll(() => snapshotHas(alice.page, said[2]!)).toBe(true);

  const online: number[] = [];
  for (let i = 0; i < 3; i++) online.push(await reloadUntilShown(alice.page, said.length));
  await expectOnline(alice.page);

  // No network at all: the shell from the service worker, the topic and its messages from IndexedDB.
  await alice.context.setOffline(true);
  const offline: number[] = [];
  for (let i = 0; i < 3; i++) offline.push(await reloadUntilShown(alice.page, said.length));
  await expect(alice.page.getByTestId('topic-title')).toHaveText('trip');
  await expect(messageBodies(alice.page)).toHaveText(said);
  await send(alice.page, 'Composed offline.');
  await expect(alice.page.getByTestId('pending-message')).toHaveCount(1);
  await alice.context.setOffline(false);
  await expect(messageBodies(bob.page)).toHaveText([...said, 'Composed offline.']);
  await expect(alice.page.getByTestId('pending-message')).toHaveCount(0);

  // The hub down (the network is fine): the same, and the outbox waits for the hub.
  const hub = hubState();
  await expect.poll(() => snapshotHas(alice.page, 'Composed offline.')).toBe(true);
  await stopHub();
  let hubDown: number;
  try {
    hubDown = await reloadUntilShown(alice.page, said.length + 1);
    await expect(alice.page.getByTestId('connection')).not.toHaveAttribute('data-state', 'online');
    await send(alice.page, 'Composed with the hub down.');
    await expect(alice.page.getByTestId('pending-message')).toHaveCount(1);
  } finally {
    await startHub({ port: hub.port, dataDir: hub.dataDir, secret: hub.secret, logFile: hub.logFile });
  }
  await expectOnline(alice.page, 30_000);
  await expect(messageBodies(bob.page)).toHaveText([...said, 'Composed offline.', 'Composed with the hub down.'], { timeout: 30_000 });
  await expect(alice.page.getByTestId('pending-message')).toHaveCount(0);
  expect(new URL(alice.page.url()).origin).toBe(new URL(hubUrl()).origin);

  figures('reload → messages shown, online', online);
  figures('reload → messages shown, offline', offline);
  figures('reload → messages shown, hub down', [hubDown]);
  await closeAll(alice, bob);
});
