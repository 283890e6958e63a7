// An extension's contract, shared by the hub module that implements it and the clients that call it: its name, its
// commands (each a write — sent as `Ext`, executed once — or a query — sent as `ExtQuery`, a read) with zod schemas
// for the payload and the result, and the events it pushes with a schema for each. The hub side
// (`defineHubExtension` in @stage/node-server/extensions) adds the handlers; the client side
// (`client.extension(def)`) turns it into typed functions and a typed event stream. One definition, imported by
// both, so the two can never disagree on a shape. Schemas must not transform: the hub checks the payload as sent.
// Schemas may be written with classic `zod` or with `zod/mini` (both are zod v4 `$ZodType`s); they are parsed with the
// functional `z.safeParse(schema, value)` of zod/mini, which needs no method of either flavour.
import type * as z from 'zod/mini';
import { extensionMemberNameSchema, extensionNameSchema } from '../protocol/extension.js';

/** A schema an extension declares: any zod v4 schema, classic (`zod`) or mini (`zod/mini`). */
export type ExtensionSchema = z.core.$ZodType;

/** One command of an extension. */
export interface ExtensionCommandDef<P extends ExtensionSchema = ExtensionSchema, R extends ExtensionSchema = ExtensionSchema> {
  /** `write`: changes state, executed once per trace id (resends answered from the record); `query`: a read. */
  readonly kind: 'write' | 'query';
  readonly payload: P;
  readonly result: R;
}

export type ExtensionCommandDefs = Readonly<Record<string, ExtensionCommandDef>>;
export type ExtensionEventDefs = Readonly<Record<string, ExtensionSchema>>;

export interface ExtensionDef<N extends string = string, C extends ExtensionCommandDefs = ExtensionCommandDefs, E extends ExtensionEventDefs = ExtensionEventDefs> {
  readonly name: N;
  readonly commands: C;
  readonly events: E;
}

/** The payload a caller passes to command `K` (the schema's input). */
export type ExtensionPayload<C extends ExtensionCommandDefs, K extends keyof C> = z.input<C[K]['payload']>;
/** The result command `K` resolves with (the schema's output). */
export type ExtensionResult<C extends ExtensionCommandDefs, K extends keyof C> = z.output<C[K]['result']>;
/** One pushed event of an extension, discriminated by `event`. */
export type ExtensionEvent<E extends ExtensionEventDefs> = {
  [K in keyof E & string]: { readonly outcomeId: number; readonly event: K; readonly data: z.output<E[K]> };
}[keyof E & string];

/**
 * Declares an extension. Names are checked here (a lower-case extension name; command and event names of letters,
 * digits, _ and -), so a typo fails at import, not on the first command.
 */
export function defineExtension<const N extends string, C extends ExtensionCommandDefs, E extends ExtensionEventDefs = Record<never, never>>(def: {
  name: N;
  commands: C;
  events?: E;
}): ExtensionDef<N, C, E> {
  const name = extensionNameSchema.safeParse(def.name);
  if (!name.success) throw new TypeError(`defineExtension: name "${def.name}": ${name.error.issues[0]?.message ?? 'invalid'}`);
  for (const [member, command] of Object.entries(def.commands)) {
    const checked = extensionMemberNameSchema.safeParse(member);
    if (!checked.success) throw new TypeError(`defineExtension ${def.name}: command "${member}": ${checked.error.issues[0]?.message ?? 'invalid'}`);
    if (command.kind !== 'write' && command.kind !== 'query') throw new TypeError(`defineExtension ${def.name}: command "${member}": kind must be "write" or "query"`);
  }
  for (const event of Object.keys(def.events ?? {})) {
    const checked = extensionMemberNameSchema.safeParse(event);
    if (!checked.success) throw new TypeError(`defineExtension ${def.name}: event "${event}": ${checked.error.issues[0]?.message ?? 'invalid'}`);
  }
  return Object.freeze({ name: def.name, commands: def.commands, events: (def.events ?? {}) as E });
}
