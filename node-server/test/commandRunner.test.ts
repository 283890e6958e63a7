// The supervised command handlers: a handler that crashes is restarted by its group and the command redelivered;
// one that crashes on every delivery is answered Err internal; nothing is dropped, nothing applied twice.
import { describe, expect, it } from 'vitest';
import { group } from '@stage/sdk';
import { deviceSession, isTransientErrorCode, type Command } from '@stage/sdk/im';
import { commandHandlers } from '../src/commands/index.js';
import type { CommandHandlers } from '../src/commands/CommandContext.js';
import { InProcessFanout } from '../src/fanout/InProcessFanout.js';
import { CommandRunner } from '../src/hub/CommandRunner.js';
import { Logger } from '../src/hub/Logger.js';
import { Metrics, hubMetrics } from '../src/hub/Metrics.js';
import { SqliteStore } from '../src/store/SqliteStore.js';

async function setup(handlers: CommandHandlers, deadlineMs = 5_000) {
  const store = new SqliteStore({ file: ':memory:' });
  await store.insertUser({ id: 'u1', username: 'ann', passwordHash: 'x', createdAt: 0 });
  const counters = hubMetrics(new Metrics());
  const fanout = new InProcessFanout();
  const published: unknown[] = [];
  fanout.entries$.subscribe((entries) => published.push(...entries.map((e) => e.outcome)));
  const runner = new CommandRunner({ store, fanout, log: new Logger('silent'), counters, workers: 2, maxDeliveries: 3, deadlineMs, handlers });
  const workers = group(runner.task(), { size: 2, restart: 'transient', intensity: { maxRestarts: 100, withinMs: 10_000 } });
  const run = (command: Command) => runner.run({ userId: 'u1', deviceId: 'd1', session: deviceSession.initial(), command });
  return { store, runner, workers, run, published };
}

describe('CommandRunner', () => {
  it('restarts a crashed handler and redelivers its command, which is then applied once', async () => {
    let crashes = 0;
    const handlers: CommandHandlers = {
      ...commandHandlers,
      CreateGroup: async (command, ctx, tx) => {
        if (crashes++ === 0) throw new TypeError('a bug in the handler');
        return commandHandlers.CreateGroup(command, ctx, tx);
      },
    };
    const { store, runner, workers, run } = await setup(handlers);
    const reply = await run({ type: 'CreateGroup', traceId: 'c1', name: 'team' });
    expect(reply).toMatchObject({ ok: true, type: 'CreateGroup' });
    expect(crashes).toBe(2);
    expect(workers.stats$.value.restarts).toBe(1);
    expect(await store.groupsOf('u1')).toHaveLength(1);
    runner.close();
    await workers.shutdown();
    await store.close();
  });

  it('answers Err failed (not transient) after maxDeliveries crashes of the same command and keeps serving others', async () => {
    const handlers: CommandHandlers = {
      ...commandHandlers,
      CreateGroup: async () => {
        throw new Error('always broken');
      },
    };
    const { store, runner, workers, run } = await setup(handlers);
    const broken = await run({ type: 'CreateGroup', traceId: 'c2', name: 'team' });
    // Deterministic: not transient, so the client stops resending it (with `internal` it resent it forever).
    expect(broken).toMatchObject({ ok: false, error: { code: 'failed' } });
    expect(isTransientErrorCode('failed')).toBe(false);
    expect(await store.groupsOf('u1')).toHaveLength(0);
    expect(await store.replies.findReply('u1', 'c2')).toBeUndefined(); // nothing recorded: a resend runs again (and fails again)
    expect(await run({ type: 'FindUser', traceId: 'c3', username: 'ann' })).toMatchObject({ ok: true, data: { user: { userId: 'u1' } } });
    runner.close();
    await workers.shutdown();
    await store.close();
  });

  it('rolls back a command that overruns its deadline, answers Err timeout and pushes TimeOut to the user', async () => {
    const handlers: CommandHandlers = {
      ...commandHandlers,
      CreateGroup: async (command, ctx, tx) => {
        await tx.insertGroup({ id: 'g-slow', name: command.name, description: '', ownerId: ctx.userId, createdAt: ctx.now });
        await new Promise((resolve) => setTimeout(resolve, 100)); // a handler stuck on something slow
        return commandHandlers.CreateGroup(command, ctx, tx);
      },
    };
    const { store, runner, workers, run, published } = await setup(handlers, 30);
    const reply = await run({ type: 'CreateGroup', traceId: 'slow-1', name: 'late' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'timeout' } });
    expect(await store.groupById('g-slow')).toBeUndefined();
    expect(await store.replies.findReply('u1', 'slow-1')).toBeUndefined();
    expect(published).toEqual([{ type: 'TimeOut', traceId: 'slow-1', command: 'CreateGroup', afterMs: 30 }]);
    expect((await store.outcomes.outcomesAfter('u1', 0, 10)).map((o) => o.body)).toEqual(published);
    runner.close();
    await workers.shutdown();
    await store.close();
  });
});
