// The conformance kit (conformance/) against a real hub process, with the Node runner: every frame case, the seal
// vectors and every scripted conversation must pass. A client author in another language runs the same files
// (see conformance/README.md); python.test.ts does so with the Python client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationRun, checkVectors, loadKit, runConversation, runFrameCase, type KitResult } from '../../../conformance/runner/runKit.js';
import { kitDir, startKitHub, type KitHub } from '../../../conformance/runner/runWithHub.js';

const kit = loadKit(kitDir);
let hub: KitHub;
let framesRun: ConversationRun;

beforeAll(async () => {
  hub = await startKitHub();
  framesRun = new ConversationRun(hub);
  await framesRun.step({ register: 'mallory' });
});
afterAll(async () => {
  await framesRun?.close();
  await hub?.stop();
});

function expectPassed(result: KitResult): void {
  expect(result.ok, result.error).toBe(true);
}

describe('conformance kit, Node runner, real hub process', () => {
  it('protocol seal vectors', () => expectPassed(checkVectors(kit.vectors)));

  describe('frames', () => {
    for (const [i, c] of kit.frames.entries()) it(c.name, async () => expectPassed(await runFrameCase(framesRun, c, i)));
  });

  describe('conversations', () => {
    for (const conversation of kit.conversations) it(conversation.name, async () => expectPassed(await runConversation(hub, conversation)));
  });
});
