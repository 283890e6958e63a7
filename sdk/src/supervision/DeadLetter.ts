// A message nobody could process: it failed `maxDeliveries` times, or was sent to (or left in the
// inbox of) an actor that stopped. Akka drops these and OTP loses them; Stage keeps them, with the cause.

export interface DeadLetter<M = unknown> {
  /** The actor (or worker group) that could not process it. */
  readonly recipient: string;
  readonly message: M;
  /** How many times it was delivered (and failed) before it was given up on. 0 if never delivered. */
  readonly deliveries: number;
  /** The last failure, or a StoppedError when its recipient had stopped. */
  readonly cause: unknown;
  readonly at: number;
}
