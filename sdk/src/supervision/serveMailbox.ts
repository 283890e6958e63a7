// The seed's worker, done right: a task factory whose tasks consume a mailbox. Each task is one
// consumer; it handles a message, then acks it. If the handler throws, the task crashes (its
// group restarts it) and the message goes back to the head of the mailbox for the next worker —
// unless it has now failed `maxDeliveries` times: then it is acked off the mailbox and kept in
// the dead letters with its cause, so a poison message cannot crash-loop the group.
import { MailboxClosedError, type Lease, type Mailbox } from '../mailbox/index.js';
import type { DeadLetter } from './DeadLetter.js';
import { InvalidConfigError } from './SupervisionError.js';
import type { TaskContext, TaskFactory } from './TaskContext.js';

export interface ServeMailboxConfig<T> {
  /** Failed deliveries of one message before it goes to dead letters. Default 3. */
  readonly maxDeliveries?: number | undefined;
  /** Also called for each dead letter (besides the system's dead-letter stream). */
  readonly onDeadLetter?: (letter: DeadLetter<T>) => void;
}

export type MailboxHandler<T> = (value: T, lease: Lease<T>, context: TaskContext) => unknown;

/**
 * `group(serveMailbox(mailbox, handle), { size: 4 })`. A task ends normally when the mailbox is
 * closed and drained, or when asked to stop (between messages).
 */
export function serveMailbox<T>(mailbox: Mailbox<T>, handle: MailboxHandler<T>, config: ServeMailboxConfig<T> = {}): TaskFactory {
  const maxDeliveries = config.maxDeliveries ?? 3;
  if (!Number.isInteger(maxDeliveries) || maxDeliveries < 1) {
    throw new InvalidConfigError(`serveMailbox maxDeliveries must be a whole number >= 1, got ${String(config.maxDeliveries)}`);
  }
  const onDeadLetter = config.onDeadLetter;
  return (context) => consume(mailbox, handle, context, maxDeliveries, onDeadLetter);
}

async function consume<T>(
  mailbox: Mailbox<T>,
  handle: MailboxHandler<T>,
  context: TaskContext,
  maxDeliveries: number,
  onDeadLetter: ((letter: DeadLetter<T>) => void) | undefined,
): Promise<void> {
  // Killing the task (its signal) releases the receiver: its unacked lease goes back.
  const receiver = mailbox.receiver({ signal: context.signal });
  try {
    while (!context.stopping.aborted) {
      let lease: Lease<T>;
      try {
        lease = receiver.tryReceive() ?? (await receiver.receive({ signal: context.stopping }));
      } catch (error) {
        if (error instanceof MailboxClosedError || context.stopping.aborted) return;
        throw error;
      }
      try {
        const result = handle(lease.value, lease, context);
        if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') await result;
      } catch (cause) {
        if (lease.held && lease.deliveries >= maxDeliveries) {
          lease.ack();
          const letter = context.deadLetter(lease.value, lease.deliveries, cause);
          onDeadLetter?.(letter);
        }
        throw cause;
      }
      if (lease.held) lease.ack();
    }
  } finally {
    receiver.release();
  }
}
