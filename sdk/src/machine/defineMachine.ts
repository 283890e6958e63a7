// A machine definition: named states, each with optional `enter` / `leave` and handlers keyed by
// event tag. The types tie it together: a handler for a tag the machine does not declare, a
// `goto` to a state it does not have, or an `initial` state that is not listed fails to compile.
import type { MessageMap } from './EventTag.js';
import type { AnyMachineRef } from './MachineRef.js';
import type { Machine } from './Machine.js';
import { MachineError } from './MachineError.js';

/** Handles one tag in one state. `from` is the sending machine, or null for an event source (OS). */
export type Handler<M extends MessageMap<M>, D, S extends string, K extends keyof M> = (
  me: Machine<M, D, S>,
  payload: M[K],
  from: AnyMachineRef | null,
) => void;

/** One state: `enter` and `leave` plus a handler per tag it accepts (any subset of the map). */
export type StateSpec<M extends MessageMap<M>, D, S extends string> = {
  readonly enter?: (me: Machine<M, D, S>) => void;
  readonly leave?: (me: Machine<M, D, S>) => void;
} & { readonly [K in keyof M]?: Handler<M, D, S, K> };

export interface MachineSpec<M extends MessageMap<M>, D, S extends string> {
  /** The kind, used for instance names: `RX` gives `RX-1`, `RX-2`, ... */
  readonly kind: string;
  readonly initial: NoInfer<S>;
  readonly states: { readonly [K in S]: StateSpec<M, D, S> };
}

export interface MachineDefinition<M extends MessageMap<M>, D, S extends string> extends MachineSpec<M, D, S> {
  /** Type-level only: the machine's data type. Never set. */
  readonly '~data'?: D;
}

/**
 * Defines a machine kind. Curried so the message map and data type are given explicitly while
 * the state names are inferred from `states`:
 *
 * ```ts
 * const rx = defineMachine<{ M0: void; D0: void }, RxData>()({ kind: 'RX', initial: 'INIT', states: { ... } });
 * ```
 */
export function defineMachine<M extends MessageMap<M>, D = undefined>() {
  return <S extends string>(spec: MachineSpec<M, D, S>): MachineDefinition<M, D, S> => {
    if (typeof spec.kind !== 'string' || spec.kind.length === 0) {
      throw new MachineError('BAD_DEFINITION', 'defineMachine: `kind` must be a non-empty string such as "RX".');
    }
    if (!Object.hasOwn(spec.states, spec.initial)) {
      throw new MachineError(
        'BAD_DEFINITION',
        `defineMachine(${spec.kind}): initial state '${spec.initial}' is not in states; add it or fix \`initial\`.`,
      );
    }
    return spec;
  };
}
