// The CommandRunner's guarantees that hand-made mutants showed untested (issue 16), on both stores: a refused
// command's Err is recorded (a resend answers it again, the handler is not run again); a resend arriving while the
// first run is still in flight waits for it instead of running the handler a second time; outcomes are published
// only after the transaction committed (never for a transaction that then rolls back or whose commit is not yet
// durable); a runner that was closed answers Err unavailable (it threw MailboxClosedError, which the connection
// turned into Err internal).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { group } from '@stage/sdk';
import { deviceSession, type Command } from '@stage/sdk/im';
import { commandHandlers, CommandError } from '../src/commands/index.js';
import type { CommandHandlers } from '../src/commands/CommandContext.js';
import { InProcessFanout } from '../src/fanout/InProcessFanout.js';
import type { FanoutEntry } from '../src/fanout/Fanout.js';
import { CommandRunner } from '../src/hub/CommandRunner.js';
import { Logger } from '../src/hub/Logger.js';
import { Metrics, hubMetrics } from '../src/hub/Metrics.js';
import { SqliteStore } from '../src/store/SqliteStore.js';
import { PostgresStore } from '../src/store/postgres/PostgresStore.js';
import type { Store, StoreTx, TransactionOptions } from '../src/store/Store.js';
import { uniqueName } from './store-contract.js';
import { requireService, testDatabaseUrl } from './scaleOutServices.js';

interface Engine {
  name: string;
  open(): Promise<Store>;
  /**
   * Runs a resend's handler once before it knows the reply was recorded, then discards that run (PostgreSQL's
   * speculative claim, docs/SCALE-OUT.md): a handler may be called once more, its effects never kept.
   */
  speculates: boolean;
}

const schemas: string[] = [];
const engines: Engine[] = [
  { name: 'SQLite', speculates: false, open: async () => new SqliteStore({ file: ':memory:' }) },
  {
    name: 'PostgreSQL',
    speculates: true,
    open: async () => {
      await requireService('postgres');
      const schema = uniqueName('runner');
      schemas.push(schema);
      return PostgresStore.open({ url: testDatabaseUrl, schema, poolSize: 4 });
    },
  },
];

afterAll(async () => {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
});

/** A promise to open by hand. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Lets every job already queued (worker hand-offs, store queue, pool round trips started) take its turn. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A fan-out that records what was published, and whether the store's transaction had resolved by then. */
class RecordingFanout extends InProcessFanout {
  readonly published: FanoutEntry[][] = [];
  override async publish(entries: FanoutEntry[]): Promise<void> {
    this.published.push(entries);
    return super.publish(entries);
  }
}

async function setup(store: Store, handlers: CommandHandlers = commandHandlers, fanout = new RecordingFanout()) {
  await store.insertUser({ id: 'u1', username: 'ann', passwordHash: 'x', createdAt: 0 });
  const runner = new CommandRunner({ store, fanout, log: new Logger('silent'), counters: hubMetrics(new Metrics()), workers: 2, maxDeliveries: 3, deadlineMs: 10_000, handlers });
  const workers = group(runner.task(), { size: 2, restart: 'transient', intensity: { maxRestarts: 100, withinMs: 10_000 } });
  const run = (command: Command) => runner.run({ userId: 'u1', deviceId: 'd1', session: deviceSession.initial(), command });
  const stop = async () => {
    runner.close();
    await workers.shutdown();
    await store.close();
  };
  return { runner, run, fanout, stop };
}

/** CreateGroup refused as not_found the first `refusals` times it runs, then applied; counts its runs. */
function refusingCreateGroup(refusals: number, entered?: () => Promise<void>) {
  const calls = { n: 0 };
  const handlers: CommandHandlers = {
    ...commandHandlers,
    CreateGroup: async (command, ctx, tx) => {
      const n = ++calls.n;
      await entered?.();
      if (n <= refusals) throw new CommandError('not_found', 'refused for the test', ['command', 'name']);
      return commandHandlers.CreateGroup(command, ctx, tx);
    },
  };
  return { calls, handlers };
}

describe.each(engines)('CommandRunner invariants on $name', (engine) => {
  let store: Store;

  it("records a refused command's Err: a resend answers the same Err without running the handler again", async () => {
    const { calls, handlers } = refusingCreateGroup(1);
    store = await engine.open();
    const { run, fanout, stop } = await setup(store, handlers);
    const first = await run({ type: 'CreateGroup', traceId: 'r1', name: 'team' });
    expect(first).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(await store.replies.findReply('u1', 'r1')).toEqual(first);
    // The handler would now succeed: the resend still answers the recorded Err (one answer per trace id).
    expect(await run({ type: 'CreateGroup', traceId: 'r1', name: 'team' })).toEqual(first);
    expect(calls.n).toBe(engine.speculates ? 2 : 1); // a speculative run is rolled back: nothing of it is kept
    expect(await store.groupsOf('u1')).toHaveLength(0);
    expect(fanout.published.flat()).toEqual([]);
    await stop();
  });

  it('runs a refused command once when its resend arrives while the first run is still in flight', async () => {
    const entered = gate();
    const release = gate();
    const { calls, handlers } = refusingCreateGroup(1, async () => {
      entered.open();
      await release.opened;
    });
    store = await engine.open();
    const { run, stop } = await setup(store, handlers);
    const command: Command = { type: 'CreateGroup', traceId: 'r2', name: 'team' };
    const first = run(command);
    await entered.opened;
    const resend = run(command); // the second worker takes it while the first is inside the handler
    await settle();
    release.open();
    const replies = await Promise.all([first, resend]);
    expect(replies[0]).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(replies[1]).toEqual(replies[0]);
    expect(calls.n).toBe(1);
    await stop();
  });

  it('runs an applied command once when its resend arrives while the first run is still in flight', async () => {
    const entered = gate();
    const release = gate();
    const { calls, handlers } = refusingCreateGroup(0, async () => {
      entered.open();
      await release.opened;
    });
    store = await engine.open();
    const { run, fanout, stop } = await setup(store, handlers);
    const command: Command = { type: 'CreateGroup', traceId: 'a2', name: 'team' };
    const first = run(command);
    await entered.opened;
    const resend = run(command);
    await settle();
    release.open();
    const replies = await Promise.all([first, resend]);
    expect(replies[0]).toMatchObject({ ok: true, type: 'CreateGroup' });
    expect(replies[1]).toEqual(replies[0]);
    expect(calls.n).toBe(1);
    expect(await store.groupsOf('u1')).toHaveLength(1);
    expect(fanout.published.flat()).toHaveLength(1); // one NewGroup, not one per run
    await stop();
  });

  it('publishes nothing for a transaction that rolls back after the command did its work', async () => {
    store = await engine.open();
    // The store fails the transaction after `work` returned (as a COMMIT that fails would): rolled back.
    const failing: Store = Object.create(store) as Store;
    failing.startTransaction = <T>(work: (tx: StoreTx) => Promise<T>, options?: TransactionOptions) =>
      store.startTransaction(async (tx): Promise<T> => {
        await work(tx);
        throw Object.assign(new Error('commit failed'), { code: '57P01' });
      }, options);
    const { run, fanout, stop } = await setup(failing);
    const reply = await run({ type: 'CreateGroup', traceId: 'p1', name: 'team' });
    expect(reply.ok).toBe(false);
    expect(await store.groupsOf('u1')).toHaveLength(0);
    expect(await store.outcomes.outcomesAfter('u1', 0, 10)).toEqual([]);
    expect(fanout.published.flat()).toEqual([]);
    await stop();
  });

  it('publishes the outcomes after the commit, and they are then in the store for every reader', async () => {
    store = await engine.open();
    let committed = false;
    const observed = store;
    const tracking: Store = Object.create(store) as Store;
    tracking.startTransaction = <T>(work: (tx: StoreTx) => Promise<T>, options?: TransactionOptions) => {
      const handle = observed.startTransaction(work, options);
      const tracked = handle.committed.then((result) => {
        committed = true;
        return result;
      });
      return { ordered: handle.ordered, committed: tracked };
    };
    const seen: Array<{ committed: boolean; stored: Promise<unknown[]> }> = [];
    const fanout = new (class extends RecordingFanout {
      override async publish(entries: FanoutEntry[]): Promise<void> {
        seen.push({ committed, stored: observed.outcomes.outcomesAfter('u1', 0, 10) });
        return super.publish(entries);
      }
    })();
    const { run, stop } = await setup(tracking, commandHandlers, fanout);
    const reply = await run({ type: 'CreateGroup', traceId: 'p2', name: 'team' });
    expect(reply).toMatchObject({ ok: true });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.committed).toBe(true);
    expect(await seen[0]!.stored).toHaveLength(1);
    expect(fanout.published.flat().map((e) => (e.outcome as { type: string }).type)).toEqual(['NewGroup']);
    await stop();
  });

  it("lets a device's next command start once a write is ordered, with the reply for a read, and not while a crashed command awaits its redelivery", async () => {
    store = await engine.open();
    const redelivered = gate();
    const release = gate();
    let runs = 0;
    const handlers: CommandHandlers = {
      ...commandHandlers,
      CreateGroup: async (command, ctx, tx) => {
        if (++runs === 1) throw new Error('a handler bug'); // a crash: the worker restarts, the job is redelivered
        redelivered.open();
        await release.opened;
        return commandHandlers.CreateGroup(command, ctx, tx);
      },
    };
    const { runner, stop } = await setup(store, handlers);
    const events: string[] = [];
    const run = (traceId: string, command: Command) =>
      runner
        .run({ userId: 'u1', deviceId: 'd1', session: deviceSession.initial(), command, onOrdered: () => events.push(`next may start after ${traceId}`) })
        .then((reply) => (events.push(`reply ${traceId}`), reply));
    const write = run('w1', { type: 'CreateGroup', traceId: 'w1', name: 'team' });
    await redelivered.opened;
    await settle();
    // The first run's transaction failed: nothing was ordered, so the next command still waits.
    expect(events).toEqual([]);
    release.open();
    expect(await write).toMatchObject({ ok: true });
    expect(events[0]).toBe('next may start after w1');
    expect(events.at(-1)).toBe('reply w1');
    events.length = 0;
    // A read runs no transaction: the next command may start with its reply.
    expect(await run('r1', { type: 'GetGroups', traceId: 'r1' })).toMatchObject({ ok: true });
    expect(events).toEqual(['next may start after r1', 'reply r1']);
    await stop();
  });

  it('answers Err unavailable once closed (it threw MailboxClosedError, which a connection answered Err internal)', async () => {
    store = await engine.open();
    const { runner, run, stop } = await setup(store);
    runner.close();
    expect(await run({ type: 'CreateGroup', traceId: 'c1', name: 'late' })).toMatchObject({ ok: false, traceId: 'c1', error: { code: 'unavailable' } });
    await stop();
  });
});

describe('CommandRunner on SQLite: outcomes wait for durability', () => {
  it('publishes nothing until the group commit is synced to disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stage-runner-'));
    // Syncs pass through until `hold` is set; then each waits to be released by hand.
    let hold = false;
    const syncs: Array<() => void> = [];
    const syncWanted = gate();
    const store = new SqliteStore({
      file: join(dir, 'hub.db'),
      syncWal: () => {
        if (!hold) return Promise.resolve();
        return new Promise<void>((resolve) => {
          syncs.push(resolve);
          syncWanted.open();
        });
      },
    });
    await store.insertUser({ id: 'u1', username: 'ann', passwordHash: 'x', createdAt: 0 });
    hold = true;
    const fanout = new RecordingFanout();
    const runner = new CommandRunner({ store, fanout, log: new Logger('silent'), counters: hubMetrics(new Metrics()), workers: 1, maxDeliveries: 3, deadlineMs: 10_000 });
    const workers = group(runner.task(), { size: 1, restart: 'transient', intensity: { maxRestarts: 100, withinMs: 10_000 } });
    let ordered = false;
    const reply = runner.run({ userId: 'u1', deviceId: 'd1', session: deviceSession.initial(), command: { type: 'CreateGroup', traceId: 's1', name: 'team' }, onOrdered: () => (ordered = true) });
    await syncWanted.opened; // committed, not yet durable
    await settle();
    expect(ordered).toBe(true);
    expect(fanout.published).toEqual([]);
    syncs.shift()!();
    expect(await reply).toMatchObject({ ok: true });
    expect(fanout.published.flat().map((e) => (e.outcome as { type: string }).type)).toEqual(['NewGroup']);
    runner.close();
    await workers.shutdown();
    hold = false;
    for (let s = syncs.shift(); s !== undefined; s = syncs.shift()) s();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('CommandRunner counters (the /metrics an operator reads)', () => {
  it('counts every reply, and every Err among them, once: applied, refused, resent, read, dead-lettered', async () => {
    const store = new SqliteStore({ file: ':memory:' });
    await store.insertUser({ id: 'u1', username: 'ann', passwordHash: 'x', createdAt: 0 });
    const metrics = new Metrics();
    const counters = hubMetrics(metrics);
    const handlers: CommandHandlers = {
      ...commandHandlers,
      DismissGroup: async () => {
        throw new TypeError('a handler bug');
      },
    };
    const runner = new CommandRunner({ store, fanout: new InProcessFanout(), log: new Logger('silent'), counters, workers: 1, maxDeliveries: 2, deadlineMs: 10_000, handlers });
    const workers = group(runner.task(), { size: 1, restart: 'transient', intensity: { maxRestarts: 100, withinMs: 10_000 } });
    const run = (command: Command) => runner.run({ userId: 'u1', deviceId: 'd1', session: deviceSession.initial(), command });
    const seen = () => [counters.commands.value, counters.commandErrors.value];
    expect(await run({ type: 'CreateGroup', traceId: 'm1', name: 'team' })).toMatchObject({ ok: true });
    expect(seen()).toEqual([1, 0]);
    expect(await run({ type: 'AddGroupMember', traceId: 'm2', groupId: 'nope', userId: 'u1' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(seen()).toEqual([2, 1]);
    expect(await run({ type: 'AddGroupMember', traceId: 'm2', groupId: 'nope', userId: 'u1' })).toMatchObject({ ok: false }); // resent: answered from the record
    expect(seen()).toEqual([3, 2]);
    expect(await run({ type: 'FindUser', traceId: 'm3', username: 'ann' })).toMatchObject({ ok: true });
    expect(seen()).toEqual([4, 2]);
    expect(await run({ type: 'FindUser', traceId: 'm4', username: 'nobody' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(seen()).toEqual([5, 3]);
    expect(await run({ type: 'DismissGroup', traceId: 'm5', groupId: 'g' })).toMatchObject({ ok: false, error: { code: 'failed', message: expect.stringContaining('2 times') } });
    expect(seen()).toEqual([6, 4]);
    expect(metrics.render()).toContain('stage_commands_total 6');
    expect(runner.pending).toBe(0);
    runner.close();
    await workers.shutdown();
    await store.close();
  });
});
