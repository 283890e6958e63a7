// What the CommandRunner tells an operator and a client when things go wrong: one structured debug line per
// command (who, what, ok or the Err code, how long), a warning per redelivery after a handler crash, an error when a
// command is given up on, a store outage logged once and its end logged once, and Err messages that say which
// failure it was (full storage or unreachable storage; a read that overran its deadline). Survivors of Stryker on
// CommandRunner.ts (issue 16) were mostly these.
import { describe, expect, it } from 'vitest';
import { group } from '@stage/sdk';
import { deviceSession, type Command } from '@stage/sdk/im';
import { commandHandlers } from '../src/commands/index.js';
import type { CommandHandlers } from '../src/commands/CommandContext.js';
import { InProcessFanout } from '../src/fanout/InProcessFanout.js';
import { CommandRunner } from '../src/hub/CommandRunner.js';
import { Logger } from '../src/hub/Logger.js';
import { Metrics, hubMetrics } from '../src/hub/Metrics.js';
import { SqliteStore } from '../src/store/SqliteStore.js';
import { StoreUnavailableError, type Store } from '../src/store/Store.js';

type Line = Record<string, unknown> & { level: string; msg: string };

async function setup(options: { handlers?: CommandHandlers; deadlineMs?: number; failing?: { error: unknown } } = {}) {
  const base = new SqliteStore({ file: ':memory:' });
  await base.insertUser({ id: 'u1', username: 'ann', passwordHash: 'x', createdAt: 0 });
  const failing = options.failing;
  const store: Store = Object.create(base) as Store;
  store.transaction = (work, txOptions) => (failing?.error ? Promise.reject(failing.error) : base.transaction(work, txOptions));
  store.startTransaction = (work, txOptions) =>
    failing?.error ? { ordered: Promise.resolve(), committed: Promise.reject(failing.error) } : base.startTransaction(work, txOptions);
  const lines: Line[] = [];
  const log = new Logger('debug', (line) => lines.push(JSON.parse(line) as Line));
  const runner = new CommandRunner({
    store,
    fanout: new InProcessFanout(),
    log,
    counters: hubMetrics(new Metrics()),
    workers: 1,
    maxDeliveries: 3,
    deadlineMs: options.deadlineMs ?? 10_000,
    handlers: options.handlers ?? commandHandlers,
  });
  const workers = group(runner.task(), { size: 1, restart: 'transient', intensity: { maxRestarts: 100, withinMs: 10_000 } });
  const run = (command: Command) => runner.run({ userId: 'u1', deviceId: 'd1', session: deviceSession.initial(), command });
  const stop = async () => {
    runner.close();
    await workers.shutdown();
    await base.close();
  };
  const logged = (msg: string) => lines.filter((l) => l.msg.startsWith(msg));
  return { run, lines, logged, stop };
}

describe('CommandRunner logs and Err messages', () => {
  it('writes one debug line per command: user, device, type, trace id, ok or the Err code, duration', async () => {
    const { run, logged, stop } = await setup();
    await run({ type: 'CreateGroup', traceId: 'l1', name: 'team' });
    await run({ type: 'AddGroupMember', traceId: 'l2', groupId: 'none', userId: 'u1' });
    const [ok, err] = logged('command').filter((l) => l.msg === 'command');
    expect(ok).toMatchObject({ level: 'debug', userId: 'u1', deviceId: 'd1', type: 'CreateGroup', traceId: 'l1', ok: true });
    expect(ok).not.toHaveProperty('code');
    expect(err).toMatchObject({ level: 'debug', type: 'AddGroupMember', traceId: 'l2', ok: false, code: 'not_found' });
    for (const line of [ok!, err!]) expect(line.ms).toBeGreaterThanOrEqual(0);
    expect(ok!.ms).toBeLessThan(10_000);
    await stop();
  });

  it('warns on each redelivery after a crash (not on the first delivery) and logs an error when it gives up', async () => {
    let crashes = 0;
    const handlers: CommandHandlers = {
      ...commandHandlers,
      CreateGroup: async (command, ctx, tx) => {
        if (crashes++ === 0) throw new TypeError('a bug');
        return commandHandlers.CreateGroup(command, ctx, tx);
      },
      DismissGroup: async () => {
        throw new TypeError('always');
      },
    };
    const { run, logged, stop } = await setup({ handlers });
    expect(await run({ type: 'CreateGroup', traceId: 'c1', name: 'team' })).toMatchObject({ ok: true });
    expect(logged('command redelivered')).toEqual([expect.objectContaining({ level: 'warn', type: 'CreateGroup', deliveries: 2 })]);
    const failed = await run({ type: 'DismissGroup', traceId: 'c2', groupId: 'g' });
    expect(failed).toMatchObject({ ok: false, error: { code: 'failed', message: expect.stringMatching(/DismissGroup 3 times; nothing changed/) } });
    expect(logged('command redelivered').filter((l) => l.type === 'DismissGroup').map((l) => l.deliveries)).toEqual([2, 3]);
    expect(logged('command failed on every delivery')).toEqual([expect.objectContaining({ level: 'error', type: 'DismissGroup' })]);
    await stop();
  });

  it('names the handler’s own error when it gives up on a command, whichever path it took (domain, session update, read)', async () => {
    const broken = (type: string) => async () => {
      throw new TypeError(`${type} is broken`);
    };
    const handlers = { ...commandHandlers, DismissGroup: broken('DismissGroup'), MarkRead: broken('MarkRead'), FindUser: broken('FindUser') } as CommandHandlers;
    const { run, logged, stop } = await setup({ handlers });
    for (const command of [
      { type: 'DismissGroup', traceId: 'b1', groupId: 'g' },
      { type: 'MarkRead', traceId: 'b2', stream: 'general', topic: 'hello', upTo: 3 },
      { type: 'FindUser', traceId: 'b3', username: 'ann' },
    ] as const) {
      expect(await run(command)).toMatchObject({ ok: false, error: { code: 'failed' } });
    }
    // The operator is told which bug it was, not some error of the runner's own making.
    expect(logged('command failed on every delivery').map((l) => [l.type, (l.err as { name: string; message: string }).name, (l.err as { message: string }).message])).toEqual([
      ['DismissGroup', 'TypeError', 'DismissGroup is broken'],
      ['MarkRead', 'TypeError', 'MarkRead is broken'],
      ['FindUser', 'TypeError', 'FindUser is broken'],
    ]);
    await stop();
  });

  it('logs a store outage once and its end once; the Err says full or unreachable and carries a retry-after', async () => {
    const failing: { error: unknown } = { error: Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }) };
    const { run, logged, stop } = await setup({ failing });
    for (const traceId of ['f1', 'f2']) {
      const reply = await run({ type: 'CreateGroup', traceId, name: 'team' });
      expect(reply).toMatchObject({ ok: false, traceId, error: { code: 'unavailable', message: expect.stringContaining("the hub's storage is full"), retryAfterMs: expect.any(Number) } });
    }
    expect(logged('the store is unavailable')).toEqual([expect.objectContaining({ level: 'error', reason: 'full' })]);
    failing.error = new StoreUnavailableError('connection refused', 'unreachable');
    const unreachable = await run({ type: 'CreateGroup', traceId: 'f3', name: 'team' });
    expect(unreachable).toMatchObject({ ok: false, error: { code: 'unavailable', message: expect.stringContaining('cannot reach its storage') } });
    expect(logged('the store is unavailable').map((l) => l.reason)).toEqual(['full', 'unreachable']);
    expect(logged('the store is available again')).toEqual([]);
    failing.error = undefined;
    expect(await run({ type: 'CreateGroup', traceId: 'f4', name: 'team' })).toMatchObject({ ok: true });
    expect(await run({ type: 'CreateGroup', traceId: 'f5', name: 'team' })).toMatchObject({ ok: true });
    expect(logged('the store is available again')).toEqual([expect.objectContaining({ level: 'info', after: 'unreachable' })]);
    await stop();
  });

  it('answers a read that overruns its deadline Err timeout, naming the command and the deadline', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const handlers: CommandHandlers = {
      ...commandHandlers,
      FindUser: async (command, ctx, tx) => {
        await released;
        return commandHandlers.FindUser(command, ctx, tx);
      },
    };
    const { run, stop } = await setup({ handlers, deadlineMs: 30 });
    const reply = await run({ type: 'FindUser', traceId: 'r1', username: 'ann' });
    release();
    expect(reply).toMatchObject({ ok: false, traceId: 'r1', error: { code: 'timeout', message: 'FindUser did not finish within 30 ms; resend it' } });
    await stop();
  });

  it('warns when a domain command overruns its deadline and is rolled back', async () => {
    const handlers: CommandHandlers = {
      ...commandHandlers,
      CreateGroup: async (command, ctx, tx) => {
        await new Promise((resolve) => setTimeout(resolve, 100)); // a handler stuck on something slow
        return commandHandlers.CreateGroup(command, ctx, tx); // its next statement is refused: rolled back
      },
    };
    const { run, logged, stop } = await setup({ handlers, deadlineMs: 30 });
    const reply = await run({ type: 'CreateGroup', traceId: 't1', name: 'late' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'timeout', message: expect.stringContaining('CreateGroup did not finish within 30 ms') } });
    expect(logged('command exceeded its deadline')).toEqual([expect.objectContaining({ level: 'warn', userId: 'u1', type: 'CreateGroup', traceId: 't1' })]);
    await stop();
  });
});
