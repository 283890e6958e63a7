// The CommandRunner against a store that stops answering (issue 16: Stryker survivors on CommandRunner.ts). A
// server store (PostgreSQL) can only be stopped by the signal the runner hands it: waiting for a pooled connection
// it rejects with the signal's own reason (a TimeoutError), running a statement it drops the connection and fails
// with a StoreUnavailableError. Here a store whose transactions hang until their signal aborts, failing then in one
// of those two ways, shows that every transaction the runner starts carries a deadline (the command's, the Err
// record's, the TimeOut push's), and that what the client is answered does not depend on which error the store
// chose: Err timeout for a command cut off at its deadline, the command's own Err for a refused one whose record
// could not be written in time. Also a refused command whose resend was recorded meanwhile (by another hub)
// answers the recorded reply, which stays as it was.
import { describe, expect, it, vi } from 'vitest';
import { commandHandlers, CommandError } from '../src/commands/index.js';
import type { CommandHandlers } from '../src/commands/CommandContext.js';
import type { ReplyFrame } from '../src/hub/CommandRunner.js';
import type { SqliteStore } from '../src/store/SqliteStore.js';
import { StoreUnavailableError, type Store, type TransactionOptions } from '../src/store/Store.js';
import { startRunner } from './support/runnerHarness.js';

type Line = Record<string, unknown>;

/**
 * How a stuck call fails once its signal aborts: as PostgreSQL waiting for a connection, or running a statement; or
 * (`bug`) at once, with an error that is neither (a bug in the store).
 */
type Failure = 'reason' | 'dropped' | 'bug';

interface Stuck {
  /** Hangs `startTransaction` (the command's own transaction). */
  start?: Failure;
  /** Hangs `transaction` (the Err record of a refused command, the TimeOut push of one that timed out). */
  transaction?: Failure;
}

async function setup(options: { handlers?: Partial<CommandHandlers>; deadlineMs?: number; stuck?: Stuck; beforeTransaction?: (base: SqliteStore) => Promise<void> } = {}) {
  const stuck = options.stuck ?? {};
  /** The calls the store was made to abandon by their signal, in order. */
  const cancelled: string[] = [];
  const hang = (call: string, failure: Failure, txOptions: TransactionOptions | undefined) =>
    new Promise<never>((_, reject) => {
      if (failure === 'bug') return reject(new TypeError('a bug in the store'));
      const signal = txOptions?.signal;
      // Nothing could ever stop it: fail at once (a real server store would hang here), and say so.
      if (!signal) return reject(new Error(`${call} was given no signal: it would hang forever`));
      signal.addEventListener(
        'abort',
        () => {
          cancelled.push(call);
          reject(failure === 'reason' ? signal.reason : new StoreUnavailableError('Connection terminated: dropped at the deadline', 'unreachable'));
        },
        { once: true },
      );
    });
  const lines: Line[] = [];
  const harness = await startRunner({
    ...(options.handlers ? { handlers: options.handlers } : {}),
    deadlineMs: options.deadlineMs ?? 30,
    lines,
    wrapStore: (base) => {
      const store: Store = Object.create(base) as Store;
      store.startTransaction = (work, txOptions) =>
        stuck.start ? { ordered: new Promise<void>(() => undefined), committed: hang('startTransaction', stuck.start, txOptions) } : base.startTransaction(work, txOptions);
      store.transaction = async (work, txOptions) => {
        await options.beforeTransaction?.(base);
        return stuck.transaction ? hang('transaction', stuck.transaction, txOptions) : base.transaction(work, txOptions);
      };
      return store;
    },
  });
  const logged = (msg: string) => lines.filter((l) => l.msg === msg);
  return { ...harness, cancelled, logged };
}

const timeOut = (traceId: string, command: string, afterMs: number) => ({ type: 'TimeOut', traceId, command, afterMs });

describe('CommandRunner with a store that stops answering', () => {
  it.each([
    ['rejects with the deadline’s own TimeoutError (waiting for a connection)', 'reason'],
    ['drops the connection and fails unavailable (a statement running)', 'dropped'],
  ] as const)('cancels a domain command stuck in the store at its deadline, answers Err timeout, pushes TimeOut: the store %s', async (_, failure) => {
    const { base, run, fanout, cancelled, logged, stop } = await setup({ stuck: { start: failure } });
    const reply = await run({ type: 'CreateGroup', traceId: 's1', name: 'team' });
    expect(reply).toMatchObject({ ok: false, traceId: 's1', error: { code: 'timeout', message: expect.stringContaining('CreateGroup did not finish within 30 ms') as unknown } });
    expect(cancelled).toEqual(['startTransaction']);
    expect(logged('command exceeded its deadline and was rolled back')).toHaveLength(1);
    // The TimeOut push is stored and published (its own transaction is not stuck here).
    await vi.waitFor(() => expect(fanout.published.flat().map((e) => e.outcome)).toEqual([timeOut('s1', 'CreateGroup', 30)]));
    expect((await base.outcomes.outcomesAfter('u1', 0, 10)).map((o) => o.body)).toEqual([timeOut('s1', 'CreateGroup', 30)]);
    await stop();
  });

  it.each(['reason', 'dropped'] as const)('cancels a session update stuck in the store at its deadline and answers Err timeout (store failing: %s)', async (failure) => {
    const { run, fanout, cancelled, stop } = await setup({ stuck: { start: failure } });
    const reply = await run({ type: 'MarkRead', traceId: 'm1', stream: 'general', topic: 'hello', upTo: 3 });
    expect(reply).toEqual({ kind: 'reply', traceId: 'm1', ok: false, error: { code: 'timeout', message: 'MarkRead did not finish within 30 ms; resend it' } });
    expect(cancelled).toEqual(['startTransaction']);
    expect(fanout.published).toEqual([]);
    await stop();
  });

  it.each(['reason', 'dropped'] as const)('answers a refused command its own Err when recording it is stuck in the store and cancelled (store failing: %s)', async (failure) => {
    let calls = 0;
    const handlers: Partial<CommandHandlers> = {
      CreateGroup: async () => {
        calls++;
        throw new CommandError('not_found', 'no such thing', ['command', 'name']);
      },
    };
    const { base, run, cancelled, stop } = await setup({ handlers, stuck: { transaction: failure } });
    const reply = await run({ type: 'CreateGroup', traceId: 'r1', name: 'team' });
    expect(reply).toEqual({ kind: 'reply', traceId: 'r1', ok: false, error: { code: 'not_found', message: 'no such thing', path: ['command', 'name'] } });
    expect(cancelled).toEqual(['transaction']);
    expect(calls).toBe(1); // answered, not crashed and redelivered
    expect(await base.replies.findReply('u1', 'r1')).toBeUndefined(); // not recorded: a resend runs again
    await stop();
  });

  it('does not answer a refused command as if its Err were handled when recording it fails unexpectedly: redelivered, then Err failed', async () => {
    let calls = 0;
    const handlers: Partial<CommandHandlers> = {
      CreateGroup: async () => {
        calls++;
        throw new CommandError('not_found', 'no such thing');
      },
    };
    const { base, run, logged, stop } = await setup({ handlers, stuck: { transaction: 'bug' } });
    expect(await run({ type: 'CreateGroup', traceId: 'b1', name: 'team' })).toMatchObject({ ok: false, traceId: 'b1', error: { code: 'failed' } });
    expect(calls).toBe(3); // each delivery ran the handler and crashed on the record
    expect(logged('command failed on every delivery; answered Err failed')).toEqual([expect.objectContaining({ level: 'error', err: expect.objectContaining({ message: 'a bug in the store' }) as unknown })]);
    expect(await base.replies.findReply('u1', 'b1')).toBeUndefined();
    await stop();
  });

  it('warns that the TimeOut outcome was not stored when its transaction is stuck too, cancelled at its own deadline', async () => {
    const handlers: Partial<CommandHandlers> = {
      CreateGroup: async (command, ctx, tx) => {
        await new Promise((resolve) => setTimeout(resolve, 100)); // a handler stuck on something slow
        return commandHandlers.CreateGroup(command, ctx, tx); // its next statement is refused: rolled back
      },
    };
    const { base, run, fanout, cancelled, logged, stop } = await setup({ handlers, stuck: { transaction: 'dropped' } });
    const reply = await run({ type: 'CreateGroup', traceId: 't1', name: 'late' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'timeout' } });
    await vi.waitFor(() => expect(logged('TimeOut outcome not stored')).toHaveLength(1), { timeout: 5_000 });
    expect(logged('TimeOut outcome not stored')[0]).toMatchObject({ level: 'warn', userId: 'u1', err: { name: 'StoreUnavailableError' } });
    expect(cancelled).toEqual(['transaction']);
    expect(fanout.published).toEqual([]);
    expect(await base.outcomes.outcomesAfter('u1', 0, 10)).toEqual([]);
    expect(await base.groupsOf('u1')).toEqual([]);
    await stop();
  });

  it('answers a refused command with the reply recorded meanwhile for its trace id (a resend run on another hub), keeping it', async () => {
    const recorded: ReplyFrame = { kind: 'reply', traceId: 'p1', ok: true, type: 'CreateGroup', data: { group: { groupId: 'g1', name: 'team' } } };
    const handlers: Partial<CommandHandlers> = {
      CreateGroup: async () => {
        throw new CommandError('conflict', 'a group named team exists');
      },
    };
    const { base, run, stop } = await setup({
      handlers,
      deadlineMs: 10_000,
      // Between this hub's refused run and the record of its Err, the other hub's run of the same command commits.
      beforeTransaction: async (store) => {
        if (!(await store.replies.findReply('u1', 'p1'))) await store.transaction((tx) => tx.replies.saveReply('u1', 'p1', recorded));
      },
    });
    expect(await run({ type: 'CreateGroup', traceId: 'p1', name: 'team' })).toEqual(recorded);
    expect(await base.replies.findReply('u1', 'p1')).toEqual(recorded);
    await stop();
  });
});
