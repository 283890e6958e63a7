// A device process SIGKILLed while it works (issue #16): the SDK's ImClient on file storage, against a real hub.
// - Commands: every command whose `stored` resolved before the kill is applied after the device restarts, once
//   (no command is lost once `stored` said so; none is applied twice).
// - Outcomes: `outcomes$` is at-least-once across a crash, as documented: after a restart it never emits an id at
//   or below the last id the device persisted (`lastOutcomeId` right after open), emits each id once, in order, and
//   together the runs miss none.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub } from './support/startTestHub.js';
import { TestClient, registerUser, type Credentials } from './support/TestClient.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(repoRoot, 'node-server/test/support/deviceProcess.ts');
type Line = { open?: number; stored?: string; outcome?: number; drained?: true };

interface Device {
  child: ChildProcess;
  lines: Line[];
  /** Resolves with the first line that passes `test` (rejects if the process exits first or after `ms`). */
  until(test: (line: Line) => boolean, ms?: number): Promise<Line>;
  kill(): Promise<void>;
}

function startDevice(args: string[]): Device {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Line[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  createInterface({ input: child.stdout! }).on('line', (text) => {
    lines.push(JSON.parse(text) as Line);
    for (const w of waiters) w();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    lines,
    until(test, ms = 20_000) {
      return new Promise<Line>((resolve, reject) => {
        const check = () => {
          const found = lines.find(test);
          if (!found) return;
          cleanup();
          resolve(found);
        };
        const timer = setTimeout(() => (cleanup(), reject(new Error(`device: no such line within ${ms} ms; stderr: ${stderr.slice(-2000)}`))), ms);
        const onExit = () => (cleanup(), reject(new Error(`device exited before the line; stderr: ${stderr.slice(-2000)}`)));
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
          child.off('exit', onExit);
        };
        waiters.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

let hub: Awaited<ReturnType<typeof startTestHub>>;
let alice: Credentials;
let setup: TestClient;
const dirs: string[] = [];
const devices: Device[] = [];

beforeAll(async () => {
  hub = await startTestHub({ limits: { commandsPerSecond: 10_000, commandBurst: 10_000 } });
  alice = await registerUser(hub.url, 'alice');
  setup = new TestClient({ baseUrl: hub.url, token: alice.token, deviceId: 'setup' });
  await setup.connect();
  const { group } = await setup.ok('CreateGroup', { name: 'team' });
  await setup.ok('CreateStream', { stream: 'general', groups: [group.groupId] });
});
afterAll(async () => {
  for (const d of devices) await d.kill();
  await setup?.close();
  await hub?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function device(deviceId: string, dir: string, count: number, prefix: string): Device {
  const d = startDevice([hub.url, alice.token, deviceId, dir, 'general', String(count), prefix]);
  devices.push(d);
  return d;
}

async function history(prefix: string): Promise<string[]> {
  const { messages } = await setup.ok('GetHistory', { stream: 'general', topic: 'crash', limit: 200 });
  return messages.map((m) => m.content).filter((c) => c.startsWith(prefix));
}

describe('a device process killed while it works', () => {
  it('never loses a command whose `stored` resolved, and applies it once after the restart', async () => {
    for (const round of [0, 1, 2]) {
      const dir = mkdtempSync(join(tmpdir(), 'stage-device-crash-'));
      dirs.push(dir);
      const prefix = `r${round}-`;
      const first = device(`laptop-${round}`, dir, 20, prefix);
      // Killed the moment the first write is reported durable: the other 19 writes may or may not have landed.
      await first.until((l) => l.stored !== undefined);
      await first.kill();
      const stored = first.lines.flatMap((l) => (l.stored !== undefined ? [l.stored] : []));
      expect(stored.length).toBeGreaterThan(0);

      const again = device(`laptop-${round}`, dir, 0, prefix);
      await again.until((l) => l.drained === true);
      await again.kill();
      const applied = await history(prefix);
      for (const content of stored) expect(applied, `${content} was stored before the kill`).toContain(content);
      expect(new Set(applied).size, 'no command applied twice').toBe(applied.length);
    }
  });

  it('emits outcomes at least once across the kill: never one at or below the persisted id, none twice in a run, none missed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stage-device-crash-'));
    dirs.push(dir);
    const first = device('phone', dir, 0, 'unused-');
    await first.until((l) => l.drained === true);
    for (let i = 0; i < 40; i++) await setup.ok('SendMessage', { stream: 'general', topic: 'outcomes', content: `o${i}` });
    const outcomes = (d: Device) => d.lines.flatMap((l) => (l.outcome !== undefined ? [l.outcome] : []));
    // Killed while outcomes arrive, before the device can have persisted the newest of them.
    await first.until(() => outcomes(first).length >= 30);
    await first.kill();
    for (let i = 40; i < 50; i++) await setup.ok('SendMessage', { stream: 'general', topic: 'outcomes', content: `o${i}` });

    const again = device('phone', dir, 0, 'unused-');
    const persisted = (await again.until((l) => l.open !== undefined)).open!;
    const before = outcomes(first);
    const newest = Math.max(...before) + 10;
    await again.until(() => outcomes(again).includes(newest));
    const after = outcomes(again);
    expect(after.every((id) => id > persisted), `after the restart only ids above the persisted ${persisted}`).toBe(true);
    expect(after, 'each id once, in order').toEqual([...after].sort((x, y) => x - y).filter((id, i, a) => a.indexOf(id) === i));
    const union = new Set([...before, ...after]);
    for (let id = Math.min(...before); id <= newest; id++) expect(union.has(id), `outcome ${id} emitted in one of the runs`).toBe(true);
    const twice = before.filter((id) => after.includes(id));
    expect(twice.every((id) => id > persisted)).toBe(true);
    console.log(JSON.stringify({ deviceCrash: { emittedBeforeKill: before.length, persistedAtKill: persisted, emittedAgain: twice.length } }));
  });
});
