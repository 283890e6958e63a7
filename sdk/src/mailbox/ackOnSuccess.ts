// The RxJS face of "ack when done": an operator over a lease stream that runs the work for each
// lease, acks it when the work completes and nacks it when the work errors.
import { type ObservableInput, type OperatorFunction, defer, mergeMap, tap } from 'rxjs';
import type { Lease } from './Lease.js';

export interface AckOnSuccessConfig {
  /** Leases worked on at once. Default 1 (in order, one at a time). */
  readonly concurrency?: number | undefined;
}

/**
 * `receiver.leases().pipe(ackOnSuccess((msg) => handle(msg)))` emits what `work` emits. When
 * `work` completes the lease is acked; when it errors the lease is nacked (it and the consumer's
 * other unacked leases go back to the head) and the error travels on, ending the subscription
 * — so a `retry()` after this operator resubscribes as a fresh consumer that gets them again.
 * Leases already taken back (the subscription died mid-work) are neither acked nor nacked.
 */
export function ackOnSuccess<T, R>(
  work: (value: T, lease: Lease<T>) => ObservableInput<R>,
  config: AckOnSuccessConfig = {},
): OperatorFunction<Lease<T>, R> {
  const concurrency = config.concurrency ?? 1;
  return (source) =>
    source.pipe(
      mergeMap(
        (lease) =>
          // defer: a work that throws before returning fails inside the pipe, so the tap below nacks its lease.
          defer(() => work(lease.value, lease)).pipe(
            tap({
              complete: () => {
                if (lease.held) lease.ack();
              },
              error: () => {
                if (lease.held) lease.nack();
              },
            }),
          ),
        concurrency,
      ),
    );
}
