// Attack: one user opens many SSE streams and stops reading them while large outcomes flow (issue #14, row 3).
// The hub caps streams per user (`maxSseStreamsPerUser`, 429 beyond), waits for a slow reader instead of queueing
// (res.write() backpressure; over `maxSseBufferedBytes` the stream is ended), and serves SSE on GET only. Scaled
// down from the 2,000 streams and 300 messages of 60 KB: 40 streams (8 admitted) and 300 messages of
// 9,000 characters (the protocol's content cap is 10,000) — without the cap and backpressure that alone holds
// 40 x 2.7 MB in the hub.
import { request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Credentials, TestClient } from '../support/TestClient.js';
import { AttackHub, MiB, describeWatch, expectResponsive, watchHub } from './support/attackHub.js';
import { connectedClient, sleep } from './support/attackers.js';

let hub: AttackHub;
let poster: TestClient;
let watcher: Credentials;
let reader: Credentials;
const open: IncomingMessage[] = [];

beforeAll(async () => {
  hub = await AttackHub.start({ limits: { commandsPerSecond: 1000, commandBurst: 1000 }, hubLimits: { userCommandsPerSecond: 1000, userCommandBurst: 1000 } });
  ({ client: poster } = await connectedClient(hub.url, 'poster'));
  const w = await connectedClient(hub.url, 'watcher');
  const r = await connectedClient(hub.url, 'reader');
  watcher = w.creds;
  reader = r.creds;
  await Promise.all([w.client.close(), r.client.close()]);
  const { group } = await poster.ok('CreateGroup', { name: 'g' });
  await poster.ok('AddGroupMember', { groupId: group.groupId, userId: watcher.userId });
  await poster.ok('AddGroupMember', { groupId: group.groupId, userId: reader.userId });
  await poster.ok('CreateStream', { stream: 'flow', groups: [group.groupId] });
});

afterAll(async () => {
  for (const res of open) res.destroy();
  await poster?.close();
  await hub?.stop();
});

function sse(token: string, method = 'GET'): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(`${hub.url}/sse`, { method, headers: { authorization: `Bearer ${token}` } }, (res) => {
      open.push(res);
      resolve(res);
    });
    req.on('error', reject);
    req.end();
  });
}

it('SSE is GET only', async () => {
  const res = await sse(reader.token, 'POST');
  expect(res.statusCode).toBe(405);
  res.resume();
});

it('caps streams per user, waits for paused readers, and a reading user still gets every outcome in order', async () => {
  // The reader's stream, read as it comes.
  const live = await sse(reader.token);
  expect(live.statusCode).toBe(200);
  const ids: number[] = [];
  live.setEncoding('utf8');
  let carry = '';
  live.on('data', (chunk: string) => {
    carry += chunk;
    const events = carry.split('\n\n');
    carry = events.pop()!;
    for (const e of events) {
      const id = /^id: (\d+)$/m.exec(e);
      if (id && /^event: NewMessage$/m.test(e)) ids.push(Number(id[1]));
    }
  });

  const watch = await watchHub(hub);
  const attempts = await Promise.all(Array.from({ length: 40 }, () => sse(watcher.token)));
  const admitted = attempts.filter((res) => res.statusCode === 200);
  for (const res of attempts) {
    if (res.statusCode === 200) res.pause();
    else res.resume();
  }
  const content = 'y'.repeat(9_000);
  const started = Date.now();
  // The poster is an ordinary user: 10 messages at a time (the attack is the paused streams, not the posting).
  for (let i = 0; i < 300; i += 10) {
    await Promise.all(Array.from({ length: 10 }, (_, j) => poster.ok('SendMessage', { stream: 'flow', topic: 't', content: `${i + j}${content}` })));
  }
  const deadline = Date.now() + 15_000;
  while (ids.length < 300 && Date.now() < deadline) await sleep(50);
  const w = await watch.stop();
  console.log(describeWatch('SSE: 40 streams of one user, admitted ones paused, 300 x 9 KB', w), `admitted ${admitted.length}, reader got ${ids.length} in ${Date.now() - started} ms`);
  expect(admitted.length).toBe(8);
  expect(attempts.filter((res) => res.statusCode === 429).length).toBe(32);
  expect(w.maxRss - w.baselineRss).toBeLessThan(64 * MiB);
  expectResponsive(w, expect);
  expect(ids.length).toBe(300);
  expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
});
