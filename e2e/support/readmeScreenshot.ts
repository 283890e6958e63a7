// Takes the README's screenshot of the demo (docs/screenshot.png): a real hub, two users, a short
// conversation and a review, the inspector open. Run: npx tsx e2e/support/readmeScreenshot.ts
// (after `npm run build:demo`). Not a test: it asserts nothing, it only stages a scene.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { chromium, type Page } from 'playwright-core';
import { freePort, startHub, stopHub, workspace } from './hubProcess.js';

const dataDir = mkdtempSync(join(tmpdir(), 'stage-shot-'));
process.env.STAGE_HUB_STATE = join(dataDir, 'hub.json'); // never touch the state of an e2e run
const hub = await startHub({ port: await freePort(), dataDir, secret: randomBytes(32).toString('hex'), logFile: join(dataDir, 'hub.log') });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});

async function person(name: string, width = 1360, mode: 'register' | 'login' = 'register'): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: width < 600 ? 780 : 820 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await page.goto(hub.url);
  if (mode === 'register') await page.getByTestId('register-tab').click();
  await page.getByTestId('username').fill(name);
  await page.getByTestId('password').fill('correct horse battery');
  await page.getByTestId('submit-login').click();
  await page.locator('[data-testid=connection][data-state=online]').waitFor();
  return page;
}

async function say(page: Page, text: string): Promise<void> {
  await page.getByTestId('composer').fill(text);
  await page.getByTestId('composer').press('Enter');
  await page.getByTestId('message-body').filter({ hasText: text.replace(/[`*]/g, '') }).waitFor(); // as rendered: markdown marks are gone
}

try {
  const ada = await person('ada');
  const grace = await person('grace');
  await ada.getByTestId('panel-groups').click();
  await ada.getByTestId('group-name').fill('platform');
  await ada.getByTestId('create-group').click();
  await ada.getByTestId('member-name').fill('grace');
  await ada.getByTestId('add-member').click();
  await ada.getByTestId('member').filter({ hasText: 'grace' }).waitFor();
  await ada.getByTestId('panel-streams').click();
  for (const stream of ['design', 'releases']) {
    await ada.getByTestId('stream-name').fill(stream);
    await ada.getByTestId('pick-group-platform').check();
    await ada.getByTestId('create-stream').click();
    await ada.getByTestId(`stream-${stream}`).waitFor();
  }
  const card = ada.getByTestId('stream-card-design');
  await card.getByTestId('reviewer-name').fill('grace');
  await card.getByTestId('appoint-reviewer').click();
  await card.getByTestId('reviewer').filter({ hasText: 'grace' }).waitFor();

  await ada.getByTestId('new-topic-releases').fill('v0.2 checklist');
  await ada.getByTestId('new-topic-releases').press('Enter');
  await say(ada, 'Changelog is drafted; waiting on the hub benchmarks.');
  await ada.getByTestId('new-topic-design').fill('sealed logs');
  await ada.getByTestId('new-topic-design').press('Enter');
  await say(ada, 'Proposal: seal every command with `HMAC-SHA-256` over the **previous seal**.');
  await say(ada, 'A hub that restarts asks the device for its chain and replays it.');
  await grace.getByTestId('topic-design-sealed logs').click();
  await say(grace, 'Love it. What happens if someone edits the IndexedDB log?');
  await say(ada, 'The recall fails with a clear error and nothing is applied.');
  await ada.getByTestId('start-review').click();
  await grace.getByTestId('vote-yes').click();
  await ada.getByTestId('review-result').waitFor();
  await grace.getByTestId('topic-releases-v0.2 checklist').waitFor();
  await ada.getByTestId('panel-inspector').click();
  await ada.getByTestId('inspected-node').first().waitFor();
  await ada.waitForTimeout(300); // let the badge and the tree settle for the picture
  await ada.screenshot({ path: join(workspace, 'docs', 'screenshot.png') });
  // Grace on her phone: a second device of the same user, at phone width.
  const phone = await person('grace', 390, 'login');
  await phone.getByTestId('topic-design-sealed logs').waitFor({ state: 'attached' });
  // A new device opens on the first steps or the last open topic; pick the topic from the drawer as a phone user does.
  if (!(await phone.getByTestId('message-body').first().isVisible())) {
    await phone.getByTestId('menu').click();
    await phone.getByTestId('topic-design-sealed logs').click();
  }
  await phone.getByTestId('message-body').first().waitFor();
  await phone.waitForTimeout(300);
  await phone.screenshot({ path: join(workspace, 'docs', 'screenshot-phone.png') });
  console.log('wrote docs/screenshot.png and docs/screenshot-phone.png');
} finally {
  await browser.close();
  await stopHub('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}
