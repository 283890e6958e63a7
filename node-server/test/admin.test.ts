// `stage-hub admin` against a real SQLite data dir: accounts, groups and streams made from the command line are
// what a hub started on that dir then serves (logins work, devices replay the pushes the commands made), an
// export holds the user's data, mistakes exit 2 (usage) or 1 (refused) with one line, and a data dir held by a
// running hub is refused with the lock's message.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdmin } from '../src/cli/admin.js';
import { startTestHub } from './support/startTestHub.js';
import { TestClient } from './support/TestClient.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'stage-admin-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function admin(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runAdmin([...args, '--data-dir', dataDir], { out: (t) => (out += t), err: (t) => (err += t), env: {} });
  return { code, out, err };
}

async function login(url: string, username: string, password: string): Promise<Response> {
  return fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
}

describe('stage-hub admin', () => {
  let bobPassword: string;
  let groupId: string;

  it('creates users (given or generated password), a group with members and a stream', async () => {
    expect(await admin('user', 'create', 'alice', '--password', 'correct horse')).toMatchObject({ code: 0, err: '' });
    const bob = await admin('user', 'create', 'bob');
    expect(bob.code).toBe(0);
    bobPassword = (JSON.parse(bob.out) as { password: string }).password;
    expect(bobPassword.length).toBeGreaterThanOrEqual(16);
    const group = await admin('group', 'create', 'team', '--owner', 'alice', '--member', 'bob', '--description', 'the team');
    expect(group.code).toBe(0);
    groupId = (JSON.parse(group.out) as { groupId: string }).groupId;
    expect(JSON.parse(group.out)).toMatchObject({ name: 'team', owner: 'alice', members: ['alice', 'bob'] });
    expect(await admin('stream', 'create', 'general', '--as', 'alice', '--group', 'team')).toMatchObject({ code: 0 });
  });

  it('refuses mistakes with one line: taken names and unknown users exit 1, usage exits 2, nothing changes', async () => {
    expect(await admin('user', 'create', 'alice', '--password', 'another one')).toEqual({ code: 1, out: '', err: 'stage-hub admin: username "alice" is taken\n' });
    expect(await admin('group', 'create', 'x', '--owner', 'nobody')).toEqual({ code: 1, out: '', err: 'stage-hub admin: no user "nobody"\n' });
    expect((await admin('stream', 'create', 'general', '--as', 'alice', '--group', 'team')).code).toBe(1); // exists: conflict
    expect((await admin('stream', 'create', 'other', '--as', 'bob', '--group', 'elsewhere')).err).toMatch(/bob is not a member of a group "elsewhere"/);
    expect((await admin('user', 'create', 'Bad Name', '--password', 'long enough')).code).toBe(2);
    expect((await admin('user', 'create', 'carol', '--password', 'short')).err).toMatch(/^stage-hub admin: password: .*\n$/);
    expect((await admin('user', 'frobnicate')).code).toBe(2);
    expect((await admin('group', 'create', 'y', '--owner')).err).toMatch(/--owner needs a value/);
    expect((await admin('group', 'create', 'team2', '--owner', 'alice', '--member', 'nobody')).code).toBe(1);
  });

  it('a hub on that data dir serves them: logins work, devices replay the pushes, the stream is visible', async () => {
    const hub = await startTestHub({ dataDir });
    try {
      expect((await login(hub.url, 'alice', 'correct horse')).status).toBe(200);
      const res = await login(hub.url, 'bob', bobPassword);
      expect(res.status).toBe(200);
      const { token } = (await res.json()) as { token: string };
      const bob = new TestClient({ baseUrl: hub.url, token, deviceId: 'bob-1' });
      await bob.connect();
      await bob.until(() => bob.pushes.some((p) => p.outcome.type === 'StreamCreated'));
      expect(bob.pushes.map((p) => p.outcome.type)).toEqual(['NewGroup', 'NewMember', 'StreamCreated']);
      const streams = await bob.ok('GetStreams', {});
      expect(streams.streams.map((s) => s.name)).toEqual(['general']);
      await bob.ok('SendMessage', { stream: 'general', topic: 'hello', content: 'from bob' });
      // The data dir belongs to the running hub: the admin CLI is refused with the lock's message.
      const locked = await admin('user', 'create', 'dave', '--password', 'long enough');
      expect(locked.code).toBe(1);
      expect(locked.err).toMatch(/^stage-hub admin: .+\n$/);
      await bob.close();
    } finally {
      await hub.close();
    }
  });

  it('closes open registration: register answers 403, accounts made by admin still log in', async () => {
    const hub = await startTestHub({ dataDir, openRegistration: false });
    try {
      const res = await fetch(`${hub.url}/api/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'mallory', password: 'long enough' }) });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: 'forbidden', message: expect.stringContaining('registration is closed') } });
      expect((await login(hub.url, 'alice', 'correct horse')).status).toBe(200);
    } finally {
      await hub.close();
    }
  });

  it("exports a user's account, groups, streams, messages and outcome log, without the password hash", async () => {
    const { code, out } = await admin('user', 'export', 'bob');
    expect(code).toBe(0);
    const data = JSON.parse(out) as Record<string, unknown> & { user: Record<string, unknown>; messages: Array<{ content: string }>; outcomes: unknown[]; groups: Array<{ id: string }> };
    expect(data.user).toMatchObject({ username: 'bob' });
    expect(data.user).not.toHaveProperty('passwordHash');
    expect(out).not.toContain('scrypt');
    expect(data.groups.map((g) => g.id)).toEqual([groupId]);
    expect(data.messages.map((m) => m.content)).toEqual(['from bob']);
    expect(data.outcomes.length).toBeGreaterThanOrEqual(3);
  });

  it('resets a password and deactivates / reactivates a user: every earlier token refused, logins follow', async () => {
    const status = async (url: string, token: string) =>
      new TestClient({ baseUrl: url, token, deviceId: 'd-admin' }).connect().then(
        () => 101,
        (e: { status?: number }) => e.status,
      );
    let hub = await startTestHub({ dataDir });
    const before = (await (await login(hub.url, 'bob', bobPassword)).json()) as { token: string };
    await hub.close();

    const reset = await admin('user', 'reset-password', 'bob');
    expect(reset.code).toBe(0);
    const fresh = (JSON.parse(reset.out) as { password: string; tokensRevoked: boolean }).password;
    expect(JSON.parse(reset.out)).toMatchObject({ username: 'bob', tokensRevoked: true });
    expect(await admin('user', 'deactivate', 'bob')).toMatchObject({ code: 0 });
    hub = await startTestHub({ dataDir });
    try {
      expect(await status(hub.url, before.token)).toBe(403); // the account is deactivated
      expect((await login(hub.url, 'bob', bobPassword)).status).toBe(401);
      const deactivated = await login(hub.url, 'bob', fresh);
      expect(deactivated.status).toBe(403);
      expect(await deactivated.json()).toMatchObject({ error: { code: 'forbidden', message: expect.stringContaining('deactivated') } });
    } finally {
      await hub.close();
    }
    expect(await admin('user', 'reactivate', 'bob')).toMatchObject({ code: 0 });
    hub = await startTestHub({ dataDir });
    try {
      const again = (await (await login(hub.url, 'bob', fresh)).json()) as { token: string };
      expect(await status(hub.url, again.token)).toBe(101);
      expect(await status(hub.url, before.token)).toBe(401); // issued before the reset: refused for good
    } finally {
      await hub.close();
    }
    bobPassword = fresh;
    expect((await admin('user', 'deactivate', 'nobody')).code).toBe(1);
  });

  it('rotates the secret: a new 0600 secret file, and every token of the old one refused after the restart', async () => {
    const rotateDir = mkdtempSync(join(tmpdir(), 'stage-rotate-'));
    const run = (...args: string[]) => runAdmin([...args, '--data-dir', rotateDir], { out: () => undefined, err: () => undefined, env: {} });
    try {
      expect(await run('user', 'create', 'cleo', '--password', 'password-cleo')).toBe(0);
      let hub = await startTestHub({ dataDir: rotateDir });
      const { token } = (await (await login(hub.url, 'cleo', 'password-cleo')).json()) as { token: string };
      await hub.close();
      const oldSecret = readFileSync(join(rotateDir, 'secret'), 'utf8');
      expect(await run('secret', 'rotate')).toBe(0);
      expect(readFileSync(join(rotateDir, 'secret'), 'utf8')).not.toBe(oldSecret);
      expect(statSync(join(rotateDir, 'secret')).mode & 0o777).toBe(0o600);
      hub = await startTestHub({ dataDir: rotateDir });
      try {
        const refused = await new TestClient({ baseUrl: hub.url, token, deviceId: 'd1' }).connect().then(
          () => 101,
          (e: { status?: number }) => e.status,
        );
        expect(refused).toBe(401);
        expect((await login(hub.url, 'cleo', 'password-cleo')).status).toBe(200);
      } finally {
        await hub.close();
      }
      // A cluster takes its secret from STAGE_SECRET: the command prints a new one instead of writing a file.
      let out = '';
      expect(await runAdmin(['secret', 'rotate', '--data-dir', rotateDir], { out: (t) => (out += t), err: () => undefined, env: { STAGE_SECRET: 'ab'.repeat(32) } })).toBe(0);
      expect((JSON.parse(out) as { secret: string }).secret).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      rmSync(rotateDir, { recursive: true, force: true });
    }
  });

  it('backs up the SQLite store while the hub runs (online backup API), into a copy a hub can open', async () => {
    const hub = await startTestHub({ dataDir });
    const copyDir = mkdtempSync(join(tmpdir(), 'stage-backup-'));
    try {
      const target = join(copyDir, 'stage.db');
      const done = await admin('backup', target);
      expect(done).toMatchObject({ code: 0, err: '' });
      expect((await admin('backup', target)).err).toMatch(/exists: give a new file name/);
      await hub.close();
      const restored = await startTestHub({ dataDir: copyDir });
      try {
        expect((await login(restored.url, 'alice', 'correct horse')).status).toBe(200);
      } finally {
        await restored.close();
      }
    } finally {
      await hub.close();
      rmSync(copyDir, { recursive: true, force: true });
    }
  });

  it('is reached through the real CLI: stage-hub admin', () => {
    const run = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'node-server/src/main.ts', 'admin', 'user', 'create', 'erin', '--data-dir', dataDir, '--password', 'long enough'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ username: 'erin' });
    const help = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'node-server/src/main.ts', 'admin', '--help'], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: stage-hub admin/);
  });
});
