// @stage/sdk mailbox: a reliable, bounded queue owned by neither senders nor consumers (seed 001).
//
//   new Mailbox<T>({ capacity = 1024, backing?, name?, onBackingError? })
//   await Mailbox.open<T>({ ...config, backing })   // recovers persisted unacked messages first
//   mailbox.send(v, { signal? }): Promise<void>     // waits for room; MailboxClosedError after close
//   mailbox.trySend(v): boolean                      // false when full
//   mailbox.receiver({ signal? }): MailboxReceiver   // one consumer; abort = release
//   mailbox.close(); .size; .inFlight; .closed; .drained; .capacity; .flush()
//   receiver.receive({ signal? }): Promise<Lease<T>> // MailboxClosedError once closed AND drained
//   receiver.tryReceive(); receiver.process(work); receiver.leases(): Observable<Lease<T>>
//   receiver.clone(); receiver.release(); receiver.held
//   lease.value; lease.id; lease.deliveries (1 first time); lease.ack(); lease.nack(); lease.held
//   ackOnSuccess(work, { concurrency? }): OperatorFunction<Lease<T>, R>
//   interface MailboxBacking<T> { load(); put(entry); delete(id) }; MemoryMailboxBacking
//   new WorkQueue<T>(handle, { capacity?, onOffer?, onError? })   // the lean one: in order, one at a time
//   queue.offer(v): boolean; .peek(); .take(); .clear(); .pause(); .resume(); .close(); .drained; .length; .size; .busy
//
// Guarantees: a message is delivered to at most one consumer at a time and acked at most once;
// a nack or a dead consumer (release, abort, unsubscribe, throw in process/ackOnSuccess) returns
// ALL that consumer's unacked leases to the head, and the queue is always in send (id) order, so
// a receive always gets the oldest message that is neither acked nor leased.
export { Mailbox, type MailboxConfig, type SendOptions } from './Mailbox.js';
export { MailboxReceiver, type ReceiveOptions, type ReceiverConfig } from './MailboxReceiver.js';
export { Lease, type LeaseState } from './Lease.js';
export { MailboxError, MailboxClosedError, type MailboxErrorCode } from './MailboxError.js';
export type { MailboxBacking, MailboxEntry } from './MailboxBacking.js';
export { MemoryMailboxBacking } from './MemoryMailboxBacking.js';
export { ackOnSuccess, type AckOnSuccessConfig } from './ackOnSuccess.js';
export { WorkQueue, type WorkQueueConfig, type WorkResult } from './WorkQueue.js';
