// @stage/node-server/extensions: write a hub extension (docs/HUB.md "Extending the hub").
//   defineExtension (re-exported from @stage/sdk/im)  the contract shared with clients: name, commands, events
//   defineHubExtension(def, handlers)                  the hub side: one handler per command over the store
//   ExtensionContext / Audience / ExtensionRecords     what a handler gets: tx, records, emit(event, data, to)
//   ExtensionRegistry / loadExtensions                 what startHub({ extensions }) and --extension use
export { defineExtension } from '@stage/sdk/im';
export { CommandError as ExtensionError } from '../commands/CommandError.js';
export { defineHubExtension, HUB_EXTENSION, type ExtensionHandler, type ExtensionHandlers, type HubExtension } from './defineHubExtension.js';
export type { Audience, ExtensionContext } from './ExtensionContext.js';
export { MAX_EXTENSION_RECORD_BYTES, MAX_EXTENSION_RECORDS_PAGE, type ExtensionRecords } from './ExtensionRecords.js';
export { ExtensionRegistry } from './ExtensionRegistry.js';
export { ExtensionLoadError, loadExtensions } from './loadExtensions.js';
