// The bound of a queue (a Mailbox, an actor's inbox, a WorkQueue) follows one rule everywhere, so a
// capacity one queue accepts another does not refuse. Each caller throws its own error type.

/** What is wrong with `capacity` (a whole number >= 1, or Infinity for no bound), or undefined when nothing is. */
export function capacityProblem(capacity: number): string | undefined {
  return !(capacity >= 1) || (Number.isFinite(capacity) && !Number.isInteger(capacity))
    ? `capacity must be a whole number >= 1 or Infinity, got ${String(capacity)}`
    : undefined;
}
