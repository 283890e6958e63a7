// Typed extensions (docs/PROTOCOL.md "Extensions"; guide in sdk/docs/im-client.md "Extensions").
export {
  defineExtension,
  type ExtensionCommandDef,
  type ExtensionCommandDefs,
  type ExtensionDef,
  type ExtensionEvent,
  type ExtensionEventDefs,
  type ExtensionPayload,
  type ExtensionResult,
  type ExtensionSchema,
} from './defineExtension.js';
export type { ExtensionClient } from './ExtensionClient.js';
