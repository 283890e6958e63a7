// Attacks on logins (issue #14, rows 6 and 7). Guessing one username's password from several addresses: the
// username is locked after `loginFailuresBeforeLock` failures (429, growing), whatever the address. Timing: an
// unknown username costs the same scrypt as a known one, so the answer time does not tell which names exist.
// Scaled down from the 800 attempts from 8 addresses: 48 attempts from 8 addresses (each loopback address
// 127.0.0.2-9 is its own client address for the hub).
import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerUser } from '../support/TestClient.js';
import { AttackHub } from './support/attackHub.js';

let hub: AttackHub;

beforeAll(async () => {
  hub = await AttackHub.start();
});
afterAll(async () => hub?.stop());

function login(username: string, password: string, localAddress = '127.0.0.1'): Promise<{ status: number; ms: number }> {
  const body = JSON.stringify({ username, password });
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${hub.url}/api/login`, { method: 'POST', localAddress, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

it('locks a username guessed from many addresses', async () => {
  await registerUser(hub.url, 'target', 'correct horse battery');
  const statuses: number[] = [];
  for (let round = 0; round < 6; round++) {
    const results = await Promise.all(Array.from({ length: 8 }, (_, a) => login('target', `guess-${round}-${a}`, `127.0.0.${a + 2}`)));
    statuses.push(...results.map((r) => r.status));
  }
  const tried = statuses.filter((s) => s === 401).length;
  console.log(`[abuse] password guessing: 48 attempts on one username from 8 addresses: ${tried} checked (401), ${statuses.filter((s) => s === 429).length} refused (429)`);
  // Five failures lock it; a round of 8 concurrent guesses may all pass the check before the first fails.
  expect(tried).toBeLessThanOrEqual(5 + 8);
  expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(48 - 13);
});

it('answers an unknown username after the same work as a wrong password', async () => {
  await registerUser(hub.url, 'known-a', 'correct horse battery');
  await registerUser(hub.url, 'known-b', 'correct horse battery');
  const known: number[] = [];
  const unknown: number[] = [];
  // Interleaved, below the lock threshold (4 failures per known name).
  for (let i = 0; i < 4; i++) {
    known.push((await login('known-a', `wrong-${i}-password`)).ms, (await login('known-b', `wrong-${i}-password`)).ms);
    unknown.push((await login(`nobody-${i}-a`, `wrong-${i}-password`)).ms, (await login(`nobody-${i}-b`, `wrong-${i}-password`)).ms);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`[abuse] login timing: known user median ${median(known).toFixed(1)} ms, unknown user median ${median(unknown).toFixed(1)} ms`);
  expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
});
