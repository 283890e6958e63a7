// The supervised command handlers: a handler that crashes is restarted by its group and the command redelivered;
// one that crashes on every delivery is answered Err internal; nothing is dropped, nothing applied twice.
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

async function setup(handlers: CommandHandlers) {
  const store = new SqliteStore({ file: ':memory:' });
  await store.insertUser({ id: 'u1', username: 'ann', passwordHash: 'x', createdAt: 0 });
  const counters = hubMetrics(new Metrics());
  const runner = new CommandRunner({ store, fanout: new InProcessFanout(), log: new Logger('silent'), counters, workers: 2, maxDeliveries: 3, deadlineMs: 5_000, handlers });
  const workers = group(runner.task(), { size: 2, restart: 'transient', intensity: { maxRestarts: 100, withinMs: 10_000 } });
  const run = (command: Command) => runner.run({ userId: 'u1', deviceId: 'd1', session: deviceSession.initial(), command });
  return { store, runner, workers, run };
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

  it('answers Err internal after maxDeliveries crashes of the same command and keeps serving others', async () => {
    const handlers: CommandHandlers = {
      ...commandHandlers,
      CreateGroup: async () => {
        throw new Error('always broken');
      },
    };
    const { store, runner, workers, run } = await setup(handlers);
    const broken = await run({ type: 'CreateGroup', traceId: 'c2', name: 'team' });
    expect(broken).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(await store.groupsOf('u1')).toHaveLength(0);
    expect(await store.findReply('u1', 'c2')).toBeUndefined(); // transient: a resend runs afresh
    expect(await run({ type: 'FindUser', traceId: 'c3', username: 'ann' })).toMatchObject({ ok: true, data: { user: { userId: 'u1' } } });
    runner.close();
    await workers.shutdown();
    await store.close();
  });
});
