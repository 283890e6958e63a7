// Event tags, the seed's notation for what a machine can receive: M (internal messages between
// machines), S (signals), T (timers), D0/D1/D2 (I/O: can read, can write, error/hang-up) and
// F (file system). A machine's message map is keyed by these tags.

export type EventTag = `M${number}` | `S${number}` | `T${number}` | 'D0' | 'D1' | 'D2' | `F${number}`;

/**
 * Constraint for a machine's message map: every key must be an event tag, so `{ X0: string }` or
 * `{ D3: void }` is a compile error. Values are the payload types.
 */
export type MessageMap<M> = { [K in keyof M]: K extends EventTag ? unknown : never };

/** The tags of `M` whose payload may be omitted (void or undefined payloads). */
export type BareTags<M> = { [K in keyof M]: undefined extends M[K] ? K : never }[keyof M] & string;

/** Rest arguments for a payload: optional when the payload type admits `undefined`. */
export type PayloadArgs<P> = undefined extends P ? [payload?: P] : [payload: P];
