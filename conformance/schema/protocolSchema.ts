// The IM protocol as one JSON Schema document (draft 2020-12), generated from the zod schemas in
// sdk/src/im/protocol so the published contract cannot drift from the code: every client and hub frame, every
// command, the exact reply frame of each command type, every pushed outcome, the HTTP bodies, plus the
// protocol's constants (limits, error codes, close codes) under "x-stage". A client in any language can
// validate what it sends and receives against it. Written to docs/protocol/schema.json by write.ts.
import { z } from 'zod';
import {
  CloseCode,
  COMMAND_FRAME_HEADROOM,
  DEFAULT_HISTORY_LIMIT,
  DEFAULT_LIMITS,
  MAX_CHAIN_PAGE_ENTRIES,
  MAX_COMMAND_FRAME_BYTES,
  MAX_CONTENT_LENGTH,
  MAX_DESCRIPTION_LENGTH,
  MAX_FRAME_BYTES,
  MAX_HISTORY_LIMIT,
  MAX_ID_LENGTH,
  MAX_LIST_LENGTH,
  MAX_NAME_LENGTH,
  MAX_TOPIC_LENGTH,
  MAX_TRACE_ID_LENGTH,
  PROTOCOL_VERSION,
  ackFrameSchema,
  chainFrameSchema,
  chainSeqSchema,
  checkpointFrameSchema,
  checkpointSchema,
  commandFrameSchema,
  commandSchema,
  commandSchemas,
  commandTypes,
  credentialsSchema,
  descriptionSchema,
  deviceIdSchema,
  domainCommandTypes,
  errReplyFrameSchema,
  errorBodySchema,
  errorCodeSchema,
  errorCodes,
  groupInfoSchema,
  groupNameSchema,
  helloFrameSchema,
  hex32Schema,
  httpErrorSchema,
  idSchema,
  limitsSchema,
  messageSchema,
  messageSeqSchema,
  outcomeIdSchema,
  outcomeSchema,
  pingFrameSchema,
  pongFrameSchema,
  pushFrameSchema,
  readCommandTypes,
  readCursorSchema,
  recallFrameSchema,
  replyDataSchemas,
  resyncFrameSchema,
  sealedCommandSchema,
  sessionIdSchema,
  sessionStateSchema,
  sessionTokenSchema,
  sessionUpdateTypes,
  streamInfoSchema,
  streamNameSchema,
  terminalCloseCodes,
  timestampSchema,
  topicInfoSchema,
  topicNameSchema,
  topicRefSchema,
  topicStatusCodes,
  topicStatusSchema,
  traceIdSchema,
  transientErrorCodes,
  unreadCountSchema,
  userRefSchema,
  usernameSchema,
  voteCodes,
  voteMapSchema,
  voteSchema,
  welcomeFrameSchema,
  type CommandType,
} from '@stage/sdk/im';

/** The reply frame that answers a command of type `type` with `ok: true`: its `data` is that type's shape. */
function okReplyFrameOf<T extends CommandType>(type: T) {
  return z.object({
    kind: z.literal('reply'),
    traceId: traceIdSchema,
    ok: z.literal(true),
    type: z.literal(type),
    data: replyDataSchemas[type],
  });
}

const outcomeOptions = outcomeSchema.def.options;

/** Schemas named in the document (`#/$defs/<name>`), in the order they are listed. */
function namedSchemas(): Array<[string, z.core.$ZodType]> {
  const named: Array<[string, z.core.$ZodType]> = [
    // values
    ['Id', idSchema],
    ['TraceId', traceIdSchema],
    ['DeviceId', deviceIdSchema],
    ['Username', usernameSchema],
    ['StreamName', streamNameSchema],
    ['TopicName', topicNameSchema],
    ['GroupName', groupNameSchema],
    ['Description', descriptionSchema],
    ['Timestamp', timestampSchema],
    ['MessageSeq', messageSeqSchema],
    ['ChainSeq', chainSeqSchema],
    ['OutcomeId', outcomeIdSchema],
    ['SessionId', sessionIdSchema],
    ['Hex32', hex32Schema],
    ['TopicStatus', topicStatusSchema],
    ['Vote', voteSchema],
    ['VoteMap', voteMapSchema],
    ['UserRef', userRefSchema],
    ['GroupInfo', groupInfoSchema],
    ['StreamInfo', streamInfoSchema],
    ['TopicRef', topicRefSchema],
    ['TopicInfo', topicInfoSchema],
    ['Message', messageSchema],
    ['UnreadCount', unreadCountSchema],
    ['ReadCursor', readCursorSchema],
    ['SessionState', sessionStateSchema],
    ['ErrorCode', errorCodeSchema],
    ['ErrorBody', errorBodySchema],
    ['Limits', limitsSchema],
    // HTTP
    ['Credentials', credentialsSchema],
    ['SessionToken', sessionTokenSchema],
    ['HttpError', httpErrorSchema],
    // commands (the `command` of a command frame)
    ['Command', commandSchema],
    ...commandTypes.map((type): [string, z.core.$ZodType] => [`Command.${type}`, commandSchemas[type]]),
    // reply data and reply frames, per command type
    ...commandTypes.map((type): [string, z.core.$ZodType] => [`ReplyData.${type}`, replyDataSchemas[type]]),
    ...commandTypes.map((type): [string, z.core.$ZodType] => [`Reply.${type}`, okReplyFrameOf(type)]),
    ['Reply.Err', errReplyFrameSchema],
    // outcomes (the `outcome` of a push frame)
    ['Outcome', outcomeSchema],
    ...outcomeOptions.map((schema): [string, z.core.$ZodType] => [`Outcome.${String(schema.shape.type.def.values[0])}`, schema]),
    // frames
    ['SealedCommand', sealedCommandSchema],
    ['Frame.hello', helloFrameSchema],
    ['Frame.command', commandFrameSchema],
    ['Frame.ack', ackFrameSchema],
    ['Frame.chain', chainFrameSchema],
    ['Frame.ping', pingFrameSchema],
    ['Frame.welcome', welcomeFrameSchema],
    ['Frame.push', pushFrameSchema],
    ['Frame.recall', recallFrameSchema],
    ['Frame.resync', resyncFrameSchema],
    ['Frame.pong', pongFrameSchema],
    ['Checkpoint', checkpointSchema],
    ['Frame.checkpoint', checkpointFrameSchema],
  ];
  return named;
}

type JsonObject = { [key: string]: unknown };

/** Builds the document. Deterministic: same schemas, same JSON. */
export function buildProtocolSchema(): JsonObject {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of namedSchemas()) registry.add(schema, { id });
  const ref = (id: string) => ({ $ref: `#/$defs/${id}` });
  // Whole-union views, built from the named members so they are references, not copies.
  const defs: Record<string, unknown> = {};
  const generated = z.toJSONSchema(registry, { uri: (id) => `#/$defs/${id}`, io: 'input', unrepresentable: 'any' }) as { schemas: Record<string, JsonObject> };
  for (const [id, schema] of Object.entries(generated.schemas)) {
    const { $schema: _schema, $id: _id, ...rest } = schema;
    defs[id] = rest;
  }
  defs.ClientFrame = { oneOf: ['hello', 'command', 'ack', 'chain', 'ping'].map((k) => ref(`Frame.${k}`)) };
  defs.Reply = { oneOf: [...commandTypes.map((t) => ref(`Reply.${t}`)), ref('Reply.Err')] };
  defs.HubFrame = { oneOf: [ref('Frame.welcome'), ref('Reply'), ref('Frame.push'), ref('Frame.recall'), ref('Frame.resync'), ref('Frame.pong'), ref('Frame.checkpoint')] };

  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `https://stage.invalid/protocol/v${PROTOCOL_VERSION}/schema.json`,
    title: `Stage IM protocol, version ${PROTOCOL_VERSION}`,
    description:
      'GENERATED by `npm run protocol:schema` from sdk/src/im/protocol (zod); do not edit. A WebSocket text message is a ClientFrame ' +
      '(client → hub) or a HubFrame (hub → client). Client frames and commands are strict (additionalProperties: false); hub frames, ' +
      'replies and outcomes may gain fields, which clients ignore. Rules JSON Schema cannot express are in docs/PROTOCOL.md: stream, ' +
      'topic and group names must not start or end with white space and must be in Unicode NFC; every string must be well-formed UTF-16; sizes are UTF-8 bytes ' +
      'for frames and UTF-16 code units for string lengths.',
    oneOf: [ref('ClientFrame'), ref('HubFrame')],
    'x-stage': {
      protocol: PROTOCOL_VERSION,
      constants: {
        MAX_FRAME_BYTES,
        COMMAND_FRAME_HEADROOM,
        MAX_COMMAND_FRAME_BYTES,
        MAX_CONTENT_LENGTH,
        MAX_NAME_LENGTH,
        MAX_TOPIC_LENGTH,
        MAX_DESCRIPTION_LENGTH,
        MAX_TRACE_ID_LENGTH,
        MAX_ID_LENGTH,
        MAX_LIST_LENGTH,
        DEFAULT_HISTORY_LIMIT,
        MAX_HISTORY_LIMIT,
        MAX_CHAIN_PAGE_ENTRIES,
      },
      defaultLimits: DEFAULT_LIMITS,
      commandTypes: {
        domain: commandTypes.filter((t) => domainCommandTypes.has(t)),
        sessionUpdate: commandTypes.filter((t) => sessionUpdateTypes.has(t)),
        read: commandTypes.filter((t) => readCommandTypes.has(t)),
      },
      errorCodes: [...errorCodes],
      transientErrorCodes: errorCodes.filter((c) => transientErrorCodes.has(c)),
      closeCodes: CloseCode,
      terminalCloseCodes: [...terminalCloseCodes].sort((a, b) => a - b),
      topicStatusCodes,
      voteCodes,
    },
    $defs: defs,
  };
}
