// What `client.extension(def)` returns: one function per command of the extension, typed by its schemas, and the
// extension's pushed events as a typed stream.
import type { Observable } from 'rxjs';
import type { CommandOptions } from '../client/CommandWindow.js';
import type { ExtensionCommandDefs, ExtensionDef, ExtensionEvent, ExtensionEventDefs, ExtensionPayload, ExtensionResult } from './defineExtension.js';

export type ExtensionCommands<C extends ExtensionCommandDefs> = {
  readonly [K in keyof C]: (payload: ExtensionPayload<C, K>, options?: CommandOptions) => Promise<ExtensionResult<C, K>>;
};

export type ExtensionClient<D extends ExtensionDef> =
  D extends ExtensionDef<infer N, infer C, infer E>
    ? ExtensionCommands<C> & {
        readonly name: N;
        /**
         * The extension's pushed events (ExtEvent outcomes), each parsed with its event schema: every event after
         * the subscription, in outcome order. An event this client's definition does not know (a newer hub) or that
         * fails its schema is left out.
         */
        readonly events$: Observable<ExtensionEvent<E extends ExtensionEventDefs ? E : never>>;
      }
    : never;
