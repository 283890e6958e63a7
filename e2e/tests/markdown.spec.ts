// Messages render a safe markdown subset (no raw HTML, safe links that open with rel=noopener); the composer
// grows with multi-line text; editing keeps line breaks, Enter saves, Escape cancels.
import { expect, test } from '@playwright/test';
import { closeAll, messageBodies, openTopic, sharedStream, signUp } from '../support/chat.js';

test('markdown renders safely, the composer grows, and multi-line edits keep their lines', async ({ browser }) => {
  const alice = await signUp(browser, 'alice');
  const bob = await signUp(browser, 'bob');
  const stream = await sharedStream(alice, [bob]);
  await openTopic(alice.page, stream, 'docs');
  await openTopic(bob.page, stream, 'docs');

  const composer = alice.page.getByTestId('composer');
  const oneLine = (await composer.boundingBox())!.height;
  const text = ['**Bold** and `code`', '', '```', 'line 1', 'line 2', '```', '[site](https://example.com) <b>not html</b> <img src=x onerror=alert(1)> [bad](javascript:alert(1))'].join('\n');
  await composer.fill(text);
  expect((await composer.boundingBox())!.height).toBeGreaterThan(oneLine * 2);
  await composer.press('Enter');
  await expect(composer).toHaveValue('');
  expect((await composer.boundingBox())!.height).toBeLessThanOrEqual(oneLine + 1);

  const body = messageBodies(bob.page).first();
  await expect(body.locator('strong')).toHaveText('Bold');
  await expect(body.locator('p code')).toHaveText('code');
  await expect(body.locator('pre code')).toHaveText('line 1\nline 2\n');
  const link = body.getByRole('link', { name: 'site' });
  await expect(link).toHaveAttribute('href', 'https://example.com');
  await expect(link).toHaveAttribute('rel', /noopener/);
  await expect(link).toHaveAttribute('target', '_blank');
  await expect(body.locator('b, img, script')).toHaveCount(0);
  await expect(body).toContainText('<b>not html</b>');
  await expect(body.locator('a[href^="javascript"]')).toHaveCount(0);

  // A multi-line message edited: the editor shows its lines, Shift+Enter adds one, Enter saves.
  await composer.fill('first line\nsecond line');
  await composer.press('Enter');
  const mine = alice.page.getByTestId('message').filter({ hasText: 'second line' });
  await mine.hover();
  await mine.getByTestId('edit').click();
  const editor = alice.page.getByTestId('edit-input');
  await expect(editor).toHaveValue('first line\nsecond line');
  await editor.press('Control+End');
  await editor.press('Shift+Enter');
  await editor.pressSequentially('third line');
  await editor.press('Enter');
  await expect(messageBodies(bob.page).nth(1).locator('p')).toHaveText(/first line\s*second line\s*third line/);
  await expect(messageBodies(bob.page).nth(1)).toContainText('(edited)');

  // Escape cancels an edit: nothing changes.
  await mine.hover();
  await mine.getByTestId('edit').click();
  await alice.page.getByTestId('edit-input').fill('discarded');
  await alice.page.getByTestId('edit-input').press('Escape');
  await expect(alice.page.getByTestId('edit-input')).toHaveCount(0);
  await expect(messageBodies(alice.page).nth(1)).toContainText('third line');
  await expect(messageBodies(alice.page).nth(1)).not.toContainText('discarded');
  await closeAll(alice, bob);
});
