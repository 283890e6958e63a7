// @stage/sdk/im: the IM protocol (zod schemas shared by hub and client; spec in docs/PROTOCOL.md) and the
// isomorphic ImClient (guide in sdk/docs/im-client.md).
//
// Protocol
//   commandSchema / Command / CommandType / commandSchemas / CommandArgs<T>   client → hub commands (traceId each)
//   replyDataSchemas / ReplyData<T> / replyFrameSchema                        exactly one reply per command
//   outcomeSchema / Outcome / OutcomeType                                     pushed state changes
//   clientFrameSchema (hello, command, ack, chain, ping), hubFrameSchema (welcome, reply, push, recall, resync, pong)
//   decodeClientFrame / decodeHubFrame / encodePushFrame / serializeOutcome   (one serialization per outcome)
//   errorCodes / ImError / transientErrorCodes, CloseCode, limits, httpPaths / webSocketUrl, deviceSession
// Client
//   ImClient.open({ url, deviceId, token, WebSocket?, storage?, reconnect?, maxInFlight? }) → client.connect()
//   client.sendMessage(...) etc. / client.command(type, args): Promise<ReplyData<T>> (rejects ImError)
//   connectionState$, streams$, groups$, topics$(s), messages$(s, t), unread$, totalUnread$, muted$, reviews$,
//   members$(g), pending$, outcomes$, log$ + verifyLog(); login(url, creds) / register(url, creds)
//   administersStream / topicStatusRefusal / settableTopicStatuses: who may set a topic's status (hub and UI)
//   client.extension(defineExtension({ name, commands, events })) → typed command functions + events$
//   storage: memoryStorage() or { outbox: MailboxBacking, device: MailboxBacking, openLog(sessionId) }
export * from './protocol/index.js';
export * from './client/index.js';
export * from './topicAuthority.js';
export * from './extension/index.js';
