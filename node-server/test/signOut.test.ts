// Signing out and changing the password revoke tokens (issue #14, "a stolen token"): a signed-out token is refused
// for WebSockets, SSE and the account routes, and the connections it opened are closed 4001 — at once on the hub
// that took the sign-out, within revocationCheckMs on the others; a password change refuses every earlier token of
// the user and hands the caller a new one. Other logins of the user are not touched by a sign-out. On SQLite and
// PostgreSQL.
import { filter, firstValueFrom } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ImClient, changePassword, login, logout, refreshToken, register, webSocketProtocols, type ImError } from '@stage/sdk/im';
import { requireService } from './scaleOutServices.js';
import { startHubOn, storeKinds } from './support/startHubOn.js';
import { startFaultCluster, type FaultCluster, type FaultHub } from './support/faultCluster.js';

const clients: ImClient[] = [];
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
});

async function device(url: string, token: string, deviceId: string): Promise<ImClient> {
  const client = await ImClient.open({ url, deviceId, token, WebSocket: WebSocket as never, autoSync: false, reconnect: { initialDelayMs: 20, maxDelayMs: 100 } });
  clients.push(client);
  client.connect();
  await client.whenConnection((s) => s === 'online');
  return client;
}

/** Resolves with the close code that stopped the client for good (4001 for a revoked token). */
function stoppedBy(client: ImClient): Promise<number | undefined> {
  return firstValueFrom(client.connection$.pipe(filter((c) => c.state === 'offline' && c.stoppedBy !== undefined))).then((c) => c.stoppedBy);
}

/** The HTTP status of a WebSocket upgrade with this token (101 when it opens). */
function upgradeStatus(url: string, token: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws/probe`, webSocketProtocols(token));
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', () => undefined);
  });
}

for (const kind of storeKinds) {
  describe(`sign-out and password change (${kind})`, () => {
    it('a sign-out refuses that token everywhere and closes its connections 4001; the user\'s other logins stay', async () => {
      const hub = await startHubOn(kind);
      try {
        const first = await register(hub.url, { username: 'ann', password: 'password-ann' });
        const second = await login(hub.url, { username: 'ann', password: 'password-ann' });
        const laptop = await device(hub.url, first.token, 'laptop');
        const phone = await device(hub.url, second.token, 'phone');
        const sse = await fetch(`${hub.url}/sse`, { headers: { authorization: `Bearer ${first.token}` } });
        expect(sse.status).toBe(200);
        const laptopStopped = stoppedBy(laptop);

        const reader = sse.body!.getReader();
        const sseEnded = (async () => {
          for (;;) if ((await reader.read()).done) return true;
        })();
        await logout(hub.url, first.token);
        expect(await laptopStopped).toBe(4001);
        // The SSE stream of the signed-out login ends.
        expect(await sseEnded).toBe(true);
        expect(await upgradeStatus(hub.url, first.token)).toBe(401);
        expect((await fetch(`${hub.url}/sse`, { headers: { authorization: `Bearer ${first.token}` } })).status).toBe(401);
        await expect(logout(hub.url, first.token)).rejects.toMatchObject({ code: 'unauthorized' });
        // The other login is untouched.
        expect(phone.connection.state).toBe('online');
        expect((await phone.createGroup({ name: 'still-here' })).group.name).toBe('still-here');
        expect(await upgradeStatus(hub.url, second.token)).toBe(101);
        // The token goes in a header, never a URL.
        expect((await fetch(`${hub.url}/api/logout`, { method: 'POST' })).status).toBe(401);
      } finally {
        await hub.stop();
      }
    });

    it('a refreshed token lives a full lifetime from now and belongs to the same login: a sign-out refuses both', async () => {
      const hub = await startHubOn(kind, { tokenTtlMs: 60_000 });
      try {
        const eve = await register(hub.url, { username: 'eve', password: 'password-eve' });
        await new Promise((r) => setTimeout(r, 20));
        const fresh = await refreshToken(hub.url, eve.token);
        expect(fresh.token).not.toBe(eve.token);
        expect(fresh.expiresAt).toBeGreaterThan(eve.expiresAt);
        expect(fresh.userId).toBe(eve.userId);
        for (const t of [eve.token, fresh.token]) expect(await upgradeStatus(hub.url, t)).toBe(101);
        await logout(hub.url, fresh.token);
        for (const t of [eve.token, fresh.token]) expect(await upgradeStatus(hub.url, t)).toBe(401);
        await expect(refreshToken(hub.url, eve.token)).rejects.toMatchObject({ code: 'unauthorized' });
      } finally {
        await hub.stop();
      }
    });

    it('ImClient.signOut signs its token out at the hub as well as wiping the device', async () => {
      const hub = await startHubOn(kind);
      try {
        const dee = await register(hub.url, { username: 'dee', password: 'password-dee' });
        const laptop = await device(hub.url, dee.token, 'laptop');
        await laptop.signOut({ unsent: 'discard' });
        expect(await upgradeStatus(hub.url, dee.token)).toBe(401);
      } finally {
        await hub.stop();
      }
    });

    it('a password change needs the current password, refuses every earlier token, closes their connections and returns a new one', async () => {
      const hub = await startHubOn(kind);
      try {
        const first = await register(hub.url, { username: 'bea', password: 'password-bea' });
        const second = await login(hub.url, { username: 'bea', password: 'password-bea' });
        const phone = await device(hub.url, second.token, 'phone');
        const phoneStopped = stoppedBy(phone);
        const wrong = await changePassword(hub.url, first.token, { currentPassword: 'not-it-at-all', newPassword: 'new-password-bea' }).catch((e: ImError) => e);
        expect(wrong).toMatchObject({ code: 'forbidden' });
        expect(phone.connection.state).toBe('online');

        const fresh = await changePassword(hub.url, first.token, { currentPassword: 'password-bea', newPassword: 'new-password-bea' });
        expect(await phoneStopped).toBe(4001);
        for (const old of [first.token, second.token]) expect(await upgradeStatus(hub.url, old)).toBe(401);
        expect(await upgradeStatus(hub.url, fresh.token)).toBe(101);
        await expect(login(hub.url, { username: 'bea', password: 'password-bea' })).rejects.toMatchObject({ code: 'unauthorized' });
        expect((await login(hub.url, { username: 'bea', password: 'new-password-bea' })).userId).toBe(first.userId);
      } finally {
        await hub.stop();
      }
    });
  });
}

describe('sign-out across hubs (PostgreSQL + Redis)', () => {
  let cluster: FaultCluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('a sign-out taken by one hub closes the login\'s connection on another hub within revocationCheckMs', async () => {
    await requireService('postgres');
    await requireService('redis');
    cluster = await startFaultCluster(['A', 'B'], { hub: { hubLimits: { revocationCheckMs: 200 } } });
    const [a, b] = cluster.hubs as [FaultHub, FaultHub];
    const cy = await register(a.url, { username: 'cyd', password: 'password-cyd' });
    const onB = await device(b.url, cy.token, 'laptop');
    const stopped = stoppedBy(onB);
    const t0 = performance.now();
    await logout(a.url, cy.token);
    expect(await stopped).toBe(4001);
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(await upgradeStatus(b.url, cy.token)).toBe(401);
  });
});
