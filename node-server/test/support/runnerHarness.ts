// A CommandRunner on an in-memory SQLite store with supervised workers, as the CommandRunner tests drive it: one
// user ('u1', device 'd1'), the real handlers unless some are replaced, a fan-out that records what it publishes,
// and the store optionally wrapped (failing, stuck) by the test.
import { group } from '@stage/sdk';
import { deviceSession, type Command } from '@stage/sdk/im';
import { commandHandlers } from '../../src/commands/index.js';
import type { CommandHandlers } from '../../src/commands/CommandContext.js';
import type { ExtensionRegistry } from '../../src/extensions/ExtensionRegistry.js';
import type { FanoutEntry } from '../../src/fanout/Fanout.js';
import { InProcessFanout } from '../../src/fanout/InProcessFanout.js';
import { CommandRunner } from '../../src/hub/CommandRunner.js';
import { Logger } from '../../src/hub/Logger.js';
import { Metrics, hubMetrics } from '../../src/hub/Metrics.js';
import { SqliteStore } from '../../src/store/SqliteStore.js';
import type { Store } from '../../src/store/Store.js';

export class RecordingFanout extends InProcessFanout {
  /** Every batch published, in order. */
  readonly published: FanoutEntry[][] = [];
  override async publish(entries: FanoutEntry[]): Promise<void> {
    this.published.push(entries);
    return super.publish(entries);
  }
}

export interface RunnerHarnessOptions {
  handlers?: Partial<CommandHandlers>;
  fanout?: RecordingFanout;
  /** Receives every log line, parsed (the logger is silent without it). */
  lines?: Array<Record<string, unknown>>;
  deadlineMs?: number;
  workers?: number;
  extensions?: ExtensionRegistry;
  /** The store the runner is given, made from the plain one (which the test still reads directly). */
  wrapStore?: (base: SqliteStore) => Store;
}

export async function startRunner(options: RunnerHarnessOptions = {}) {
  const base = new SqliteStore({ file: ':memory:' });
  await base.insertUser({ id: 'u1', username: 'ann', passwordHash: 'x', createdAt: 0 });
  const fanout = options.fanout ?? new RecordingFanout();
  const observed = { commandSeconds: [] as number[], transactionSeconds: [] as number[] };
  const counters = {
    ...hubMetrics(new Metrics()),
    commandSeconds: { observe: (v: number) => observed.commandSeconds.push(v) },
    transactionSeconds: { observe: (v: number) => observed.transactionSeconds.push(v) },
  };
  const workerCount = options.workers ?? 1;
  const lines = options.lines;
  const runner = new CommandRunner({
    store: options.wrapStore?.(base) ?? base,
    fanout,
    log: lines ? new Logger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>)) : new Logger('silent'),
    counters,
    workers: workerCount,
    maxDeliveries: 3,
    deadlineMs: options.deadlineMs ?? 10_000,
    handlers: { ...commandHandlers, ...options.handlers } as CommandHandlers,
    ...(options.extensions ? { extensions: options.extensions } : {}),
  });
  const workers = group(runner.task(), { size: workerCount, restart: 'transient', intensity: { maxRestarts: 100, withinMs: 10_000 } });
  const run = (command: Command, onOrdered?: () => void) =>
    runner.run({ userId: 'u1', deviceId: 'd1', session: deviceSession.initial(), command, ...(onOrdered ? { onOrdered } : {}) });
  const stop = async () => {
    runner.close();
    await workers.shutdown();
    await base.close();
  };
  return { base, runner, run, fanout, observed, stop };
}
