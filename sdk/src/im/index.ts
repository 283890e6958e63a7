// @stage/sdk/im: the IM protocol (zod schemas shared by hub and client, see docs/PROTOCOL.md) and, once it
// lands, the ImClient. Public API:
//   commandSchema / Command / CommandType / commandSchemas     client → hub commands (each with traceId)
//   replyDataSchemas / ReplyData<T> / replyFrameSchema          one reply per command (ok data | Err)
//   outcomeSchema / Outcome / OutcomeType                       pushed state changes
//   clientFrameSchema, hubFrameSchema, decodeClientFrame, decodeHubFrame, encodePushFrame, serializeOutcome
//   errorCodes / ImError / transientErrorCodes, CloseCode, limits, http paths, deviceSession (per-device state)
export * from './protocol/index.js';
