// Attack: a client stops reading its socket and keeps asking for large GetHistory pages within the command rate
// limit (issue #14, row 1). The hub must keep every reply within one frame (64 KiB), hold at most
// `maxQueuedBytes` for that client, close it with 4008 (slow consumer) and stay responsive to everyone else.
// Scaled down from the 40 requests/s for 60 s: 40/s until the close (a few seconds) proves the same bound,
// since without it memory grows by a full reply (about 2 MB here) per request.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '@stage/sdk/im';
import type { TestClient } from '../support/TestClient.js';
import { AttackHub, MiB, describeWatch, expectResponsive, watchHub } from './support/attackHub.js';
import { closeCodeOf, connectedClient, sleep, tcpOf } from './support/attackers.js';

let hub: AttackHub;
let poster: TestClient;
let stream: string;

beforeAll(async () => {
  hub = await AttackHub.start({ limits: { commandsPerSecond: 1000, commandBurst: 1000 } });
  ({ client: poster } = await connectedClient(hub.url, 'poster'));
  const { group } = await poster.ok('CreateGroup', { name: 'big' });
  stream = 'big';
  await poster.ok('CreateStream', { stream, groups: [group.groupId] });
  // 200 messages of 9,000 characters: an unbounded GetHistory reply is about 1.8 MB.
  const content = 'x'.repeat(9_000);
  await Promise.all(Array.from({ length: 200 }, (_, i) => poster.ok('SendMessage', { stream, topic: 't', content: `${i}${content}` })));
});

afterAll(async () => {
  await poster?.close();
  await hub?.stop();
});

it('a GetHistory page fits one frame, however large the messages', async () => {
  const raw: string[] = [];
  poster.ws!.on('message', (data) => raw.push(String(data)));
  const page = await poster.ok('GetHistory', { stream, limit: 200 });
  expect(page.hasMore).toBe(true);
  expect(page.messages.length).toBeGreaterThan(0);
  const reply = raw.find((r) => r.includes('"GetHistory"'))!;
  expect(Buffer.byteLength(reply)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
  // Paging with `before` reaches every message.
  let seen = page.messages.length;
  let before = page.messages[0]!.seq;
  for (let more = page.hasMore; more; ) {
    const next = await poster.ok('GetHistory', { stream, limit: 200, before });
    seen += next.messages.length;
    before = next.messages[0]?.seq ?? before;
    more = next.hasMore;
  }
  expect(seen).toBe(200);
});

it('a client that stops reading is closed with 4008 within bounded memory; /healthz and other users are unaffected', async () => {
  const { client: attacker, creds } = await connectedClient(hub.url, 'sloth');
  await poster.ok('AddGroupMember', { groupId: (await poster.ok('GetGroups', {})).groups[0]!.groupId, userId: creds.userId });
  const watch = await watchHub(hub);
  const closed = closeCodeOf(attacker.ws!);
  tcpOf(attacker.ws!).pause();
  // 40 requests a second, within the rate limit, until the hub gives up on the reader (or 12 s).
  const started = Date.now();
  let gaveUp: unknown;
  while (Date.now() - started < 12_000) {
    void attacker.send('GetHistory', { stream, limit: 200 });
    gaveUp = hub.lines.find((l) => l.msg === 'slow consumer; closing' && l.deviceId === 'sloth-1');
    if (gaveUp) break;
    await sleep(25);
  }
  const duringAttack = { ...watch.current() };
  tcpOf(attacker.ws!).resume();
  const code = await Promise.race([closed, sleep(8_000).then(() => 'not closed')]);
  // Another user still gets answers at once.
  const t0 = performance.now();
  await poster.ok('SendMessage', { stream, topic: 'after', content: 'still here' });
  const otherMs = performance.now() - t0;
  await sleep(500);
  const w = await watch.stop();
  console.log(describeWatch('slow consumer + GetHistory', w), `closed after ${Date.now() - started} ms, RSS after close ${(hub.rss() / MiB).toFixed(0)} MiB`);
  expect(gaveUp, 'the hub never gave up on the non-reading client').toBeDefined();
  expect(code).toBe(4008);
  expect(duringAttack.maxRss - duringAttack.baselineRss).toBeLessThan(64 * MiB);
  expectResponsive(w, expect);
  expect(otherMs).toBeLessThan(1_000);
});
