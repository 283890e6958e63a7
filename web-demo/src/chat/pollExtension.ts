// The hub's example poll extension, as the web demo binds it: the very contract the hub module loads
// (node-server/extensions/poll/definition.ts), not a copy, so the demo and the hub cannot drift apart. That file
// imports only zod and @stage/sdk/im, so it is safe in the browser bundle (nothing from the hub's Node side).
export { MAX_POLL_OPTIONS, parsePollCommand, pollExtension, type Poll } from '../../../node-server/extensions/poll/definition.js';
