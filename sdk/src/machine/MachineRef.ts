// What a machine looks like to other machines: a name to trace and the messages it accepts.
// `msgTo(target, tag, payload)` is type-checked against the target's message map.
import type { MessageMap } from './EventTag.js';

/** One message a machine with map `M` accepts, as a tagged union. */
export type Envelope<M> = { [K in keyof M]: { readonly tag: K; readonly payload: M[K] } }[keyof M];

/**
 * A reference to a machine accepting the messages of `M`. A machine accepting more tags can be
 * passed where a reference accepting fewer is expected (RX only needs a requester with M1/M2).
 */
export interface MachineRef<M extends MessageMap<M>> {
  readonly name: string;
  /** Type-level only: makes references contravariant in what they accept. Never set. */
  readonly '~accepts'?: (message: Envelope<M>) => void;
}

/** Any machine, for identity and tracing (the `from` of a delivery). */
export type AnyMachineRef = MachineRef<never>;
