// The supervised command handlers: N workers take command jobs from one mailbox and execute them. A domain
// command runs in one store transaction that checks the (user, traceId) reply first, applies the change,
// appends each pushed outcome to every recipient's log and stores the reply; after the commit the outcomes are
// published (not awaited: a reply never waits on the fan-out) and the reply returned. The command deadline aborts
// the transaction (the store cancels the running statement); a store that cannot serve is answered Err
// unavailable with a retry-after. A worker that crashes (a bug, not a CommandError) dies with its
// lease, which goes back to the head of the mailbox; the worker is restarted and the job redelivered; a job that
// keeps crashing is answered Err failed (not transient: the client stops resending it) after maxDeliveries.
// Nothing is dropped.
import { Mailbox, serveMailbox, type Lease, type TaskFactory } from '@stage/sdk';
import {
  domainCommandTypes,
  isTransientErrorCode,
  sessionUpdateTypes,
  type Command,
  type DeviceSessionState,
  type ErrReplyFrame,
  type ErrorBody,
  type OkReplyFrame,
} from '@stage/sdk/im';
import { commandHandlers, CommandError } from '../commands/index.js';
import { dispatch, type CommandContext, type CommandHandlers } from '../commands/CommandContext.js';
import type { ExtensionRegistry } from '../extensions/ExtensionRegistry.js';
import type { Fanout, FanoutEntry } from '../fanout/Fanout.js';
import { appendPushes } from '../store/appendPushes.js';
import { asStoreUnavailable, type DomainStore, type OutcomePush, type Store, type StoreTx, type StoreUnavailableError, type TransactionHandle } from '../store/Store.js';
import type { Logger } from './Logger.js';
import type { HubCounters } from './Metrics.js';
import { SharedDeadlines } from './SharedDeadlines.js';
import { timeOrderedId } from './timeOrderedId.js';

export type ReplyFrame = OkReplyFrame | ErrReplyFrame;

export interface CommandJob {
  userId: string;
  deviceId: string;
  session: DeviceSessionState;
  command: Command;
  /**
   * Called when the device's next command may start (see DeviceConnection): as soon as this command's transaction
   * is ordered before every later one (the store's TransactionHandle.ordered), while its commit may still be under
   * way; otherwise (a read, a refused or failed command, a redelivery) just before `done`. It may be called twice
   * (ordered, then done): a promise's resolve fits.
   */
  onOrdered?(): void;
  /** Called exactly once with the reply. */
  done(reply: ReplyFrame): void;
}

export interface CommandRunnerConfig {
  store: Store;
  fanout: Fanout;
  log: Logger;
  counters: HubCounters;
  workers: number;
  maxDeliveries: number;
  deadlineMs: number;
  /** For tests of supervision: handlers to use instead of the real table. */
  handlers?: CommandHandlers;
  /** The extensions whose commands (Ext, ExtQuery) this hub runs. */
  extensions?: ExtensionRegistry;
}

/** Thrown by the deadline guard when a command overran its deadline: the transaction rolls back. */
class DeadlineExceeded extends Error {}

export function errReply(traceId: string, error: ErrorBody): ErrReplyFrame {
  return { kind: 'reply', traceId, ok: false, error };
}

export class CommandRunner {
  private readonly mailbox = new Mailbox<CommandJob>({ capacity: Infinity, name: 'commands' });
  /** In-flight domain commands by user and trace id: a resend while the first is running waits for it. */
  private readonly inflight = new Map<string, Promise<ReplyFrame>>();
  private readonly handlers: CommandHandlers;
  /** Why the store failed the last command, while it keeps failing (logged once). */
  private storeDown: StoreUnavailableError['reason'] | undefined;
  /** Every command's deadline signal (shared by the commands of a few milliseconds: see SharedDeadlines). */
  private readonly deadlines: SharedDeadlines;

  constructor(private readonly config: CommandRunnerConfig) {
    this.handlers = config.handlers ?? commandHandlers;
    this.deadlines = new SharedDeadlines(config.deadlineMs);
  }

  /**
   * One command handler as a supervised task: run `workers` of them in a group. A handler that throws (a bug,
   * not a CommandError) crashes its task; the group restarts it and the job's lease, back at the head of the
   * mailbox, is redelivered. After `maxDeliveries` failures the job is answered Err failed (never dropped): a
   * command that crashes its handler every time is a deterministic failure, and a transient code would have the
   * client resend it forever, each resend costing `maxDeliveries` crashes.
   */
  task(): TaskFactory {
    return serveMailbox(this.mailbox, (job, lease) => this.execute(job, lease), {
      maxDeliveries: this.config.maxDeliveries,
      onDeadLetter: (letter) => {
        this.config.log.error('command failed on every delivery; answered Err failed', { type: letter.message.command.type, err: letter.cause });
        this.config.counters.commands.inc();
        this.config.counters.commandErrors.inc();
        letter.message.done(
          errReply(letter.message.command.traceId, {
            code: 'failed',
            message: `the hub failed to execute ${letter.message.command.type} ${letter.deliveries} times; nothing changed`,
          }),
        );
      },
    });
  }

  /** Queues a command and resolves with its reply. */
  run(job: Omit<CommandJob, 'done'>): Promise<ReplyFrame> {
    const queuedAt = performance.now();
    return new Promise<ReplyFrame>((resolve) => {
      const done = (reply: ReplyFrame) => {
        this.config.counters.commandSeconds.observe((performance.now() - queuedAt) / 1000);
        job.onOrdered?.();
        resolve(reply);
      };
      // A closed mailbox (the hub is shutting down) is answered like a full one: Err unavailable, resend later. It
      // threw MailboxClosedError, which the connection answered Err internal (not transient: the command was lost).
      let queued = false;
      try {
        queued = !this.mailbox.closed && this.mailbox.trySend({ ...job, done });
      } finally {
        // Not queued (or trySend threw: the reply rejects): the device's next command must not wait for it.
        if (!queued) job.onOrdered?.();
      }
      if (queued) return;
      resolve(errReply(job.command.traceId, { code: 'unavailable', message: 'the hub is shutting down; resend later' }));
    });
  }

  /** Jobs waiting or running. */
  get pending(): number {
    return this.mailbox.size + this.mailbox.inFlight;
  }

  /** Stops taking jobs: the tasks end once the queued ones are executed. */
  close(): void {
    this.mailbox.close();
  }

  private async execute(job: CommandJob, lease: Lease<CommandJob>): Promise<void> {
    if (lease.deliveries > 1) this.config.log.warn('command redelivered after a handler crash', { type: job.command.type, deliveries: lease.deliveries });
    const started = Date.now();
    const type = job.command.type;
    const reply = domainCommandTypes.has(type) ? await this.executeOnce(job) : sessionUpdateTypes.has(type) ? await this.executeSessionUpdate(job) : await this.executeRead(job);
    this.config.counters.commands.inc();
    if (!reply.ok) this.config.counters.commandErrors.inc();
    this.config.log.debug('command', {
      userId: job.userId,
      deviceId: job.deviceId,
      type: job.command.type,
      traceId: job.command.traceId,
      ok: reply.ok,
      ...(reply.ok ? {} : { code: reply.error.code }),
      ms: Date.now() - started,
    });
    job.done(reply);
  }

  private context(job: CommandJob): CommandContext {
    return {
      userId: job.userId,
      deviceId: job.deviceId,
      session: job.session,
      now: Date.now(),
      newId: timeOrderedId,
      ...(this.config.extensions ? { extensions: this.config.extensions } : {}),
    };
  }

  /**
   * Session updates (MarkRead, MuteTopic, UnmuteTopic, SyncReadState): nothing to record (a resend runs again and
   * changes nothing more: cursors only move forward, a mute set twice is set once), but the user's read state they
   * change and the outcomes telling the user's other devices commit together, then are published.
   */
  private async executeSessionUpdate(job: CommandJob): Promise<ReplyFrame> {
    const { command } = job;
    const deadline = AbortSignal.timeout(this.config.deadlineMs);
    let outcome: { reply: ReplyFrame; entries: FanoutEntry[] };
    try {
      outcome = await this.inOrder(job, this.config.store.startTransaction(async (tx) => {
        const result = await dispatch(this.handlers, command, this.context(job), guard(tx, deadline));
        const pushes = result.pushes.map((p) => ({ userIds: [...new Set(p.recipients)], body: p.outcome })).filter((p) => p.userIds.length > 0);
        const ids = pushes.length > 0 ? await appendPushes(tx.outcomes, pushes) : [];
        const entries: FanoutEntry[] = [];
        pushes.forEach((push, i) => push.userIds.forEach((userId, j) => entries.push({ userId, outcomeId: ids[i]![j]!, outcome: push.body })));
        return { reply: { kind: 'reply', traceId: command.traceId, ok: true, type: command.type, data: result.data }, entries };
      }, { signal: deadline }));
    } catch (e) {
      if (e instanceof CommandError) return errReply(command.traceId, errorBody(e));
      if (e instanceof DeadlineExceeded || deadline.aborted) return errReply(command.traceId, { code: 'timeout', message: `${command.type} did not finish within ${this.config.deadlineMs} ms; resend it` });
      const down = asStoreUnavailable(e);
      if (down) return this.unavailable(job, down);
      throw e;
    }
    this.storeAvailable();
    if (outcome.entries.length > 0) this.config.fanout.publish(outcome.entries).catch((err: unknown) => this.config.log.warn('fan-out publish failed', { err }));
    return outcome.reply;
  }

  /** Reads: nothing to record; a resend simply runs again. */
  private async executeRead(job: CommandJob): Promise<ReplyFrame> {
    const deadline = this.deadlines.next();
    try {
      // Reads run outside a transaction: the store bounds each statement, the deadline bounds the command.
      const result = await raceDeadline(dispatch(this.handlers, job.command, this.context(job), this.config.store), deadline);
      return { kind: 'reply', traceId: job.command.traceId, ok: true, type: job.command.type, data: result.data };
    } catch (e) {
      if (e instanceof CommandError) return errReply(job.command.traceId, errorBody(e));
      if (e instanceof DeadlineExceeded) return errReply(job.command.traceId, { code: 'timeout', message: `${job.command.type} did not finish within ${this.config.deadlineMs} ms; resend it` });
      const down = asStoreUnavailable(e);
      if (down) return this.unavailable(job, down);
      throw e;
    }
  }

  /** Domain commands: at most once per (user, traceId). */
  private executeOnce(job: CommandJob): Promise<ReplyFrame> {
    const key = `${job.userId}\u0000${job.command.traceId}`;
    const running = this.inflight.get(key);
    if (running) return running;
    const run = this.executeDomain(job).finally(() => this.inflight.delete(key));
    this.inflight.set(key, run);
    return run;
  }

  private async executeDomain(job: CommandJob): Promise<ReplyFrame> {
    const { command, userId } = job;
    const ctx = this.context(job);
    const deadline = this.deadlines.next();
    let outcome: { reply: ReplyFrame; pushes: OutcomePush[]; ids: number[][] | Promise<number[][]> };
    const transactionStarted = performance.now();
    try {
      outcome = await this.inOrder(job, this.config.store.startTransaction(async (tx: StoreTx) => {
        const prior = (await tx.replies.findReply(userId, command.traceId)) as ReplyFrame | undefined;
        if (prior) return { reply: prior, pushes: [], ids: [] };
        const result = await dispatch(this.handlers, command, ctx, guard(tx, deadline));
        const reply: ReplyFrame = { kind: 'reply', traceId: command.traceId, ok: true, type: command.type, data: result.data };
        // All pushes appended in one call, at the end of the transaction: each recipient's log is locked once, in
        // one global order, for as short a time as possible (see Store.appendPushes). Where the store can, the
        // append runs with the COMMIT (PostgreSQL: the recipients' counter rows are then locked for the COMMIT
        // alone, not across a round trip to this hub) and its ids are awaited once committed.
        const pushes = result.pushes.map((p) => ({ userIds: [...new Set(p.recipients)], body: p.outcome })).filter((p) => p.userIds.length > 0);
        const log = tx.outcomes;
        const ids = log.appendPushesWithCommit && pushes.length > 0 ? log.appendPushesWithCommit(pushes) : await appendPushes(log, pushes);
        await tx.replies.saveReply(userId, command.traceId, reply);
        return { reply, pushes, ids };
      }, { signal: deadline }));
    } catch (e) {
      if (e instanceof CommandError) return this.recordErr(job, errorBody(e));
      if (e instanceof DeadlineExceeded || deadline.aborted) return this.timedOut(job);
      const down = asStoreUnavailable(e);
      if (down) return this.unavailable(job, down);
      throw e;
    }
    this.config.counters.transactionSeconds.observe((performance.now() - transactionStarted) / 1000);
    this.storeAvailable();
    // Settled before the commit was (Store.appendPushesWithCommit): no wait here.
    const ids = await outcome.ids;
    const entries: FanoutEntry[] = [];
    outcome.pushes.forEach((push, i) => {
      push.userIds.forEach((userId, j) => entries.push({ userId, outcomeId: ids[i]![j]!, outcome: push.body }));
    });
    // The reply does not wait for the fan-out: this hub's devices get the outcomes synchronously inside publish,
    // other hubs over the transport or, if it loses them, through their OutcomeReconciler.
    this.config.fanout.publish(entries).catch((err: unknown) => this.config.log.warn('fan-out publish failed', { err }));
    return outcome.reply;
  }

  /**
   * The transaction's result once committed; tells the job as soon as the store has ordered it (the ordering
   * contract of Store.startTransaction), so the device's next command can start during this one's commit.
   */
  private inOrder<T>(job: CommandJob, handle: TransactionHandle<T>): Promise<T> {
    if (job.onOrdered) void handle.ordered.then(job.onOrdered);
    return handle.committed;
  }

  /**
   * The store cannot serve (unreachable, silent, disk full): answer a transient Err with a retry-after so clients
   * back off, and log the condition once (and once when it ends), not once per command.
   */
  private unavailable(job: CommandJob, down: StoreUnavailableError): ReplyFrame {
    if (this.storeDown !== down.reason) {
      this.storeDown = down.reason;
      this.config.log.error('the store is unavailable; commands are answered Err unavailable until it recovers', { reason: down.reason, err: down });
    }
    return errReply(job.command.traceId, {
      code: 'unavailable',
      message: `${down.reason === 'full' ? "the hub's storage is full" : 'the hub cannot reach its storage'}; resend later with the same trace id (applied at most once)`,
      retryAfterMs: down.retryAfterMs,
    });
  }

  private storeAvailable(): void {
    if (this.storeDown === undefined) return;
    this.config.log.info('the store is available again', { after: this.storeDown });
    this.storeDown = undefined;
  }

  /** A refused domain command: its Err is recorded (unless transient) so a resend answers the same. */
  private async recordErr(job: CommandJob, error: ErrorBody): Promise<ReplyFrame> {
    const reply = errReply(job.command.traceId, error);
    if (isTransientErrorCode(error.code)) return reply;
    try {
      return await this.config.store.transaction(async (tx) => {
        const prior = (await tx.replies.findReply(job.userId, job.command.traceId)) as ReplyFrame | undefined;
        if (prior) return prior;
        await tx.replies.saveReply(job.userId, job.command.traceId, reply);
        return reply;
      }, { signal: this.deadlines.next() });
    } catch (e) {
      // Not recorded: a resend runs the command again and, nothing having changed, is refused the same way.
      if (asStoreUnavailable(e) || (e instanceof Error && e.name === 'TimeoutError')) return reply;
      throw e;
    }
  }

  /** The seed's TimeOut: the command was rolled back; tell the user's devices, answer Err timeout. */
  private timedOut(job: CommandJob): ReplyFrame {
    const afterMs = this.config.deadlineMs;
    this.config.log.warn('command exceeded its deadline and was rolled back', { userId: job.userId, type: job.command.type, traceId: job.command.traceId });
    const outcome = { type: 'TimeOut' as const, traceId: job.command.traceId, command: job.command.type, afterMs };
    // The reply does not wait for the TimeOut push: the store may be what stopped answering.
    void this.config.store
      .transaction((tx) => tx.outcomes.appendOutcome(job.userId, outcome), { signal: AbortSignal.timeout(afterMs) })
      .then((outcomeId) => this.config.fanout.publish([{ userId: job.userId, outcomeId, outcome }]))
      .catch((err: unknown) => this.config.log.warn('TimeOut outcome not stored', { userId: job.userId, err }));
    return errReply(job.command.traceId, { code: 'timeout', message: `${job.command.type} did not finish within ${afterMs} ms; resend it with the same trace id: it is applied at most once (a COMMIT in flight at the deadline may have applied it, and the resend then answers from the record)` });
  }
}

function errorBody(e: CommandError): ErrorBody {
  return { code: e.code, message: e.message, ...(e.path ? { path: e.path } : {}) };
}

/** The work's result, or DeadlineExceeded once the deadline passes (the work is left to its own bounds). */
function raceDeadline<T>(work: Promise<T>, deadline: AbortSignal): Promise<T> {
  if (deadline.aborted) return Promise.reject(new DeadlineExceeded('command deadline exceeded'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new DeadlineExceeded('command deadline exceeded'));
    deadline.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => deadline.removeEventListener('abort', onAbort));
  });
}

/**
 * The transaction's domain, the only part a handler is given, refusing every further call once the deadline passed
 * (so the work aborts and rolls back).
 */
function guard(tx: DomainStore, deadline: AbortSignal): DomainStore {
  return new Proxy(tx, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (deadline.aborted) throw new DeadlineExceeded('command deadline exceeded');
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
