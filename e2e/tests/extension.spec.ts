// The hub's example extension end to end (#17): the e2e hub loads node-server/extensions/poll (hubProcess.ts) and
// the demo binds its definition. `/poll` in the composer creates a poll in the topic for every member, votes move
// the counts live on the other member's page, a reload brings the polls back through the extension's `list`
// query, and a malformed `/poll` is refused in the page with nothing sent.
import { expect, test, type Page } from '@playwright/test';
import { closeAll, expectOnline, messageBodies, openTopic, screenshot, send, sharedStream, signUp } from '../support/chat.js';

/** The poll card whose question is `question`. */
function pollCard(page: Page, question: string) {
  return page.getByTestId('poll').filter({ has: page.getByRole('heading', { name: question }) });
}

/** The option button `option` of a poll card (its name is "option, N votes"). */
function optionButton(page: Page, question: string, option: string) {
  return pollCard(page, question).getByRole('button', { name: new RegExp(`^${option},`) });
}

/** The option buttons' counts of a poll, in option order. */
function counts(page: Page, question: string) {
  return pollCard(page, question).getByTestId('poll-count');
}

test('a /poll typed in a topic is a live poll for every member, votes move live, and a reload lists it again', async ({ browser }, testInfo) => {
  const alice = await signUp(browser, 'alice');
  const bob = await signUp(browser, 'bob');
  const stream = await sharedStream(alice, [bob], 'polls');
  const question = 'Lunch?';

  // A message first, so the topic is in Bob's sidebar too; then the poll.
  await openTopic(alice.page, stream, 'lunch');
  await send(alice.page, 'Where shall we eat?');
  await expect(messageBodies(alice.page)).toHaveText(['Where shall we eat?']);
  await openTopic(bob.page, stream, 'lunch');
  await expect(messageBodies(bob.page)).toHaveText(['Where shall we eat?']);

  await send(alice.page, `/poll ${question} | Pizza | Sushi`);
  await expect(alice.page.getByTestId('composer')).toHaveValue('');
  for (const page of [alice.page, bob.page]) {
    await expect(pollCard(page, question)).toBeVisible();
    await expect(counts(page, question)).toHaveText(['0', '0']);
    await expect(pollCard(page, question).getByRole('button', { pressed: true })).toHaveCount(0);
  }
  // A poll is not a message: the topic still has the one message.
  await expect(messageBodies(bob.page)).toHaveText(['Where shall we eat?']);

  // Bob votes Sushi: his button is pressed, and Alice's card counts it live, without a reload.
  await optionButton(bob.page, question, 'Sushi').click();
  await expect(optionButton(bob.page, question, 'Sushi')).toHaveAttribute('aria-pressed', 'true');
  await expect(counts(alice.page, question)).toHaveText(['0', '1']);
  await expect(optionButton(alice.page, question, 'Sushi')).toHaveAttribute('aria-pressed', 'false');
  await expect(optionButton(alice.page, question, 'Sushi')).toHaveAccessibleName('Sushi, 1 vote');

  // Alice votes Pizza, Bob changes his mind to Pizza: both pages agree on 2–0.
  await optionButton(alice.page, question, 'Pizza').click();
  await expect(counts(bob.page, question)).toHaveText(['1', '1']);
  await optionButton(bob.page, question, 'Pizza').click();
  for (const page of [alice.page, bob.page]) {
    await expect(counts(page, question)).toHaveText(['2', '0']);
    await expect(optionButton(page, question, 'Pizza')).toHaveAttribute('aria-pressed', 'true');
    await expect(optionButton(page, question, 'Sushi')).toHaveAttribute('aria-pressed', 'false');
  }
  await screenshot(alice.page, testInfo, 'alice-poll');

  // After a reload the poll comes back from the hub (the extension's list query) with its counts and Alice's vote.
  await alice.page.reload();
  await expectOnline(alice.page);
  await openTopic(alice.page, stream, 'lunch');
  await expect(counts(alice.page, question)).toHaveText(['2', '0']);
  await expect(optionButton(alice.page, question, 'Pizza')).toHaveAttribute('aria-pressed', 'true');
  await expect(alice.page.getByTestId('poll')).toHaveCount(1);

  // A malformed /poll says what is wrong, keeps the text and sends nothing: no message, no poll, nothing pending.
  await send(alice.page, '/poll x');
  await expect(alice.page.getByTestId('composer-error')).toContainText('two options at least');
  await expect(alice.page.getByTestId('composer')).toHaveValue('/poll x');
  await expect(alice.page.getByTestId('composer')).toHaveAttribute('aria-invalid', 'true');
  await expect(alice.page.getByTestId('pending-message')).toHaveCount(0);
  await expect(messageBodies(alice.page)).toHaveText(['Where shall we eat?']);
  await expect(alice.page.getByTestId('poll')).toHaveCount(1);
  // Editing the text clears the error; an ordinary message still goes out, and it is the only thing Bob receives.
  await alice.page.getByTestId('composer').fill('Pizza it is.');
  await expect(alice.page.getByTestId('composer-error')).toHaveCount(0);
  await alice.page.getByTestId('composer').press('Enter');
  await expect(messageBodies(bob.page)).toHaveText(['Where shall we eat?', 'Pizza it is.']);
  await expect(bob.page.getByTestId('poll')).toHaveCount(1);

  await closeAll(alice, bob);
});
