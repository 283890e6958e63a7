// The engine's trace stream: one entry per delivery, in the seed's format
// (`WORKER-4 @ RECV got 'M1' from RX-4`), plus notes machines print and errors.
import type { MachineError } from './MachineError.js';

/** One message delivered to a machine; `line` is the seed's trace line. */
export interface DeliveryTrace {
  readonly kind: 'delivery';
  readonly machine: string;
  readonly state: string;
  readonly tag: string;
  /** `SELF`, `OS` (an event source or the outside world) or the sender's name. */
  readonly from: string;
  readonly line: string;
}

/** A line a machine printed with `me.note()` / `me.print()`. */
export interface NoteTrace {
  readonly kind: 'note';
  readonly machine: string;
  readonly line: string;
}

/** A typed error: an unknown message (the machine stayed put) or a failure that stopped the engine. */
export interface ErrorTrace {
  readonly kind: 'error';
  readonly error: MachineError;
  readonly line: string;
}

export type TraceEntry = DeliveryTrace | NoteTrace | ErrorTrace;

/** Formats a delivery exactly as the seed prints it. */
export function deliveryLine(machine: string, state: string, tag: string, from: string): string {
  return `${machine} @ ${state} got '${tag}' from ${from}`;
}
