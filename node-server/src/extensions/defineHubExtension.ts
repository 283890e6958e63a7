// The hub side of an extension: its shared definition (defineExtension from @stage/sdk/im: name, commands with payload
// and result schemas, events) plus one handler per command. The hub checks the payload against the command's schema
// before the handler runs (Err bad_schema otherwise) and the handler's result against the result schema after it (a
// mismatch is a bug in the extension: the command fails, nothing is kept).
import type { z } from 'zod';
import type { ExtensionCommandDefs, ExtensionDef, ExtensionEventDefs } from '@stage/sdk/im';
import type { ExtensionContext } from './ExtensionContext.js';

export type ExtensionHandler<C extends ExtensionCommandDefs, K extends keyof C, E extends ExtensionEventDefs> = (
  payload: z.output<C[K]['payload']>,
  ctx: ExtensionContext<E>,
) => Promise<z.input<C[K]['result']>>;

export type ExtensionHandlers<D extends ExtensionDef> =
  D extends ExtensionDef<string, infer C, infer E> ? { readonly [K in keyof C]: ExtensionHandler<C, K, E> } : never;

/** Marks a module's export as a hub extension (checked structurally: a module may bundle its own copy of this file). */
export const HUB_EXTENSION = 'stage-hub-extension';

export interface HubExtension<D extends ExtensionDef = ExtensionDef> {
  readonly kind: typeof HUB_EXTENSION;
  readonly def: D;
  readonly handlers: ExtensionHandlers<D>;
}

/**
 * Declares the hub side of an extension. Export the result as the module's default export to load it with
 * `stage-hub --extension <module>` (or pass it to `startHub({ extensions: [...] })`).
 */
export function defineHubExtension<D extends ExtensionDef>(def: D, handlers: ExtensionHandlers<D>): HubExtension<D> {
  for (const name of Object.keys(def.commands)) {
    if (typeof (handlers as Record<string, unknown>)[name] !== 'function') throw new TypeError(`defineHubExtension ${def.name}: no handler for command "${name}"`);
  }
  for (const name of Object.keys(handlers)) {
    if (!Object.hasOwn(def.commands, name)) throw new TypeError(`defineHubExtension ${def.name}: handler "${name}" is not a command of the definition`);
  }
  return Object.freeze({ kind: HUB_EXTENSION, def, handlers });
}
