// Frames: the JSON text messages on the WebSocket. Client → hub: hello, command (a sealed Command), ack,
// chain (an answer to a recall), ping. Hub → client: welcome, reply, push (an Outcome with its outcome id),
// recall, resync, pong, checkpoint (only to a client whose hello asked for them). Every frame is an object with a string `kind`.
import * as z from 'zod/mini';
import { commandSchema } from './commands.js';
import type { ErrorBody } from './errors.js';
import { DEFAULT_LIMITS, MAX_CHAIN_PAGE_ENTRIES, MAX_FRAME_BYTES, PROTOCOL_VERSION } from './limits.js';
import { deviceIdSchema, idSchema, traceIdSchema, usernameSchema } from './model.js';
import { outcomeSchema, type Outcome } from './outcomes.js';
import { replyFrameSchema } from './replies.js';
import { nonNegativeIntSchema, positiveIntSchema } from './wholeNumberSchemas.js';

/** A sealed session id, chosen by the hub. */
export const sessionIdSchema = z.string().check(z.minLength(1), z.maxLength(200));
/** 32 bytes as 64 lower-case hex digits (seals and session keys). */
export const hex32Schema = z.string().check(z.regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits'));
/** Position in a device's sealed chain, from 0. */
export const chainSeqSchema = nonNegativeIntSchema();
/** A per-user outcome id: 1, 2, 3, ... (0 means "none yet"). */
export const outcomeIdSchema = nonNegativeIntSchema();

// ---------------------------------------------------------------- client → hub

/** First frame on every connection. */
export const helloFrameSchema = z.strictObject({
  kind: z.literal('hello'),
  protocol: z.literal(PROTOCOL_VERSION),
  /** The session this device's chain belongs to; absent for a fresh chain. The hub refuses ids not issued to this user and device. */
  sessionId: z.optional(sessionIdSchema),
  /** Number of entries in the device's chain (next seq). Informative; lets the hub log and pre-check. */
  chainLength: z.optional(chainSeqSchema),
  /** The highest outcome id this device has processed and acked (0 when none): replay starts after it. */
  lastOutcomeId: outcomeIdSchema,
  /**
   * True when the device keeps sealed checkpoints (PROTOCOL.md §5 "Checkpoints"): the hub then sends `checkpoint`
   * frames, and the device may answer a recall with one. Absent: no checkpoint frame is ever sent to it.
   */
  checkpoints: z.optional(z.boolean()),
});

/** A command, sealed as entry `seq` of the device's chain: seal = HMAC-SHA-256(key, prevSeal ‖ seq ‖ canonicalJson(command)). */
export const commandFrameSchema = z.strictObject({
  kind: z.literal('command'),
  sessionId: sessionIdSchema,
  seq: chainSeqSchema,
  seal: hex32Schema,
  command: commandSchema,
});

/** Cumulative acknowledgement: every outcome with id <= outcomeId is processed by this device. */
export const ackFrameSchema = z.strictObject({ kind: z.literal('ack'), outcomeId: outcomeIdSchema });

/** One sealed entry of a device's chain: a command with its position and seal. */
export const sealedCommandSchema = z.strictObject({ seq: chainSeqSchema, body: commandSchema, seal: hex32Schema });
/**
 * A sealed entry as it may appear in a `chain` page: any JSON body. An entry whose body the hub refused
 * (bad_schema) is still part of the chain (PROTOCOL.md §5), so a recall must carry it; the hub verifies its seal
 * and replays it as a no-op. Seals are checked by the session handler, not here.
 */
export const chainEntrySchema = z.strictObject({ seq: chainSeqSchema, body: z.unknown(), seal: hex32Schema });

/**
 * A sealed checkpoint: the device session's state after entries 0..seq-1 (deviceSession.snapshot's JSON), bound to
 * the seal of entry seq-1 and sealed by the hub:
 *   seal = HMAC-SHA-256(key, utf8("stage/checkpoint/v1" ‖ 0x00) ‖ u64be(seq) ‖ prevSeal ‖ utf8(canonicalJson(state)))
 */
export const checkpointSchema = z.strictObject({ seq: chainSeqSchema.check(z.gte(1)), state: z.unknown(), prevSeal: hex32Schema, seal: hex32Schema });

/** One page of the answer to a `recall`. Pages come in seq order; the last one has done: true. */
export const chainFrameSchema = z.strictObject({
  kind: z.literal('chain'),
  recallId: z.string().check(z.minLength(1), z.maxLength(64)),
  sessionId: sessionIdSchema,
  entries: z.array(chainEntrySchema).check(z.maxLength(MAX_CHAIN_PAGE_ENTRIES)),
  done: z.boolean(),
  /** Set (with done: true) when the device no longer has the requested entries: the hub answers broken_chain. */
  missing: z.optional(z.boolean()),
  /**
   * First page only, from a device that keeps a checkpoint: the hub verifies it and starts from its state; the
   * entries then start at checkpoint.seq instead of the recall's fromSeq.
   */
  checkpoint: z.optional(checkpointSchema),
});

/** Application-level heartbeat (browsers cannot send WebSocket pings). The hub answers with pong. */
export const pingFrameSchema = z.strictObject({ kind: z.literal('ping'), t: z.optional(z.number()) });

export const clientFrameSchema = z.discriminatedUnion('kind', [
  helloFrameSchema,
  commandFrameSchema,
  ackFrameSchema,
  chainFrameSchema,
  pingFrameSchema,
]);

export type HelloFrame = z.infer<typeof helloFrameSchema>;
export type CommandFrame = z.infer<typeof commandFrameSchema>;
export type AckFrame = z.infer<typeof ackFrameSchema>;
export type SealedCommand = z.infer<typeof sealedCommandSchema>;
export type ChainEntry = z.infer<typeof chainEntrySchema>;
export type ChainFrame = z.infer<typeof chainFrameSchema>;
export type Checkpoint = z.infer<typeof checkpointSchema>;
export type PingFrame = z.infer<typeof pingFrameSchema>;
export type ClientFrame = z.infer<typeof clientFrameSchema>;

// ---------------------------------------------------------------- hub → client

export const limitsSchema = z.object({
  maxFrameBytes: positiveIntSchema(),
  ackWindow: positiveIntSchema(),
  retransmitAfterMs: positiveIntSchema(),
  heartbeatMs: positiveIntSchema(),
  idleTimeoutMs: positiveIntSchema(),
  commandsPerSecond: z.number().check(z.positive()),
  commandBurst: positiveIntSchema(),
  retainOutcomes: positiveIntSchema(),
  /** The hub seals a checkpoint every this many entries of a device's chain (to devices that asked for them). */
  checkpointEvery: z.optional(positiveIntSchema()),
});
export type Limits = z.infer<typeof limitsSchema>;
export const defaultLimits: Limits = { ...DEFAULT_LIMITS };

/** Answer to hello. Replayed pushes (outcome id > hello.lastOutcomeId) follow it. */
export const welcomeFrameSchema = z.object({
  kind: z.literal('welcome'),
  protocol: z.literal(PROTOCOL_VERSION),
  userId: idSchema,
  username: usernameSchema,
  deviceId: deviceIdSchema,
  /** The session the device's commands are sealed in: hello.sessionId when the hub accepted it, else a new one. */
  sessionId: sessionIdSchema,
  /** The session key (hex), derived by the hub from its secret and sessionId: the HMAC key of the seals. */
  key: hex32Schema,
  /** True when hello.sessionId was accepted (keep the chain); false when this is a new session (start a new chain at seq 0). */
  resumed: z.boolean(),
  /** The newest outcome id of the user at the time of welcome. */
  latestOutcomeId: outcomeIdSchema,
  limits: limitsSchema,
});

/** A pushed outcome. Ids are per user, gap-free, increasing; a connection carries them in increasing order. */
export const pushFrameSchema = z.object({ kind: z.literal('push'), outcomeId: outcomeIdSchema.check(z.gte(1)), outcome: outcomeSchema });

/** The hub needs the device's chain entries fromSeq <= seq < toSeq (it lost the session, or got a gap). */
export const recallFrameSchema = z.object({
  kind: z.literal('recall'),
  recallId: z.string().check(z.minLength(1), z.maxLength(64)),
  sessionId: sessionIdSchema,
  fromSeq: chainSeqSchema,
  toSeq: chainSeqSchema,
});

/**
 * The hub cannot replay every outcome after hello.lastOutcomeId (beyond its retention window, or its log is
 * behind the device's cursor). The device must refetch its state (GetStreams, GetGroups, GetHistory,
 * GetSessionState), set its cursor to `lastOutcomeId` and ack it; pushes continue after it.
 */
export const resyncFrameSchema = z.object({
  kind: z.literal('resync'),
  reason: z.enum(['beyond_retention', 'ahead_of_hub']),
  lastOutcomeId: outcomeIdSchema,
});

export const pongFrameSchema = z.object({ kind: z.literal('pong'), t: z.optional(z.number()) });

/**
 * A sealed checkpoint of the device's session, sent (only after hello.checkpoints) once the reply of entry
 * checkpoint.seq-1 was sent. The device verifies its seal and that prevSeal is its own entry seq-1's seal, then
 * may keep it and drop its entries before seq; a checkpoint that does not verify is ignored.
 */
export const checkpointFrameSchema = z.object({ kind: z.literal('checkpoint'), sessionId: sessionIdSchema, checkpoint: checkpointSchema });

export const hubFrameSchema = z.discriminatedUnion('kind', [
  welcomeFrameSchema,
  replyFrameSchema,
  pushFrameSchema,
  recallFrameSchema,
  resyncFrameSchema,
  pongFrameSchema,
  checkpointFrameSchema,
]);

export type WelcomeFrame = z.infer<typeof welcomeFrameSchema>;
export type PushFrame = z.infer<typeof pushFrameSchema>;
export type RecallFrame = z.infer<typeof recallFrameSchema>;
export type ResyncFrame = z.infer<typeof resyncFrameSchema>;
export type PongFrame = z.infer<typeof pongFrameSchema>;
export type CheckpointFrame = z.infer<typeof checkpointFrameSchema>;
export type HubFrame = z.infer<typeof hubFrameSchema>;

// ---------------------------------------------------------------- encoding and decoding

const utf8 = new TextEncoder();
export function utf8ByteLength(text: string): number {
  return utf8.encode(text).byteLength;
}

/** The JSON of an outcome, built once and spliced into every recipient's push frame. */
export function serializeOutcome(outcome: Outcome): string {
  return JSON.stringify(outcome);
}

/** A push frame from an outcome already serialized by serializeOutcome: no re-serialization per recipient. */
export function encodePushFrame(outcomeId: number, outcomeJson: string): string {
  return `{"kind":"push","outcomeId":${outcomeId},"outcome":${outcomeJson}}`;
}

export type DecodeResult<F> =
  | { ok: true; frame: F }
  /**
   * The frame is refused. With `traceId` the sender answers `{ kind: 'reply', traceId, ok: false, error }` and
   * keeps the connection; without one it closes with `closeCode` (1009 or 1007) and error.message as reason.
   */
  | { ok: false; error: ErrorBody; traceId?: string; closeCode?: number; entry?: RefusedEntry };

/**
 * A command frame whose envelope (sessionId, seq, seal) is well formed but whose command fails its schema. It is
 * still an entry of the device's chain (PROTOCOL.md §5): the hub checks its seal over the command as sent, keeps
 * the chain moving, never executes it, and answers `error`.
 */
export interface RefusedEntry {
  sessionId: string;
  seq: number;
  seal: string;
  body: unknown;
}

const commandEnvelopeSchema = z.strictObject({
  kind: z.literal('command'),
  sessionId: sessionIdSchema,
  seq: chainSeqSchema,
  seal: hex32Schema,
  command: z.unknown(),
});

function issuePath(path: ReadonlyArray<PropertyKey>): Array<string | number> {
  return path.map((part) => (typeof part === 'number' ? part : String(part)));
}

function describeIssue(issue: z.core.$ZodIssue): { message: string; path: Array<string | number> } {
  const path = issuePath(issue.path);
  return { path, message: `${path.length ? path.join('.') : 'frame'}: ${issue.message}` };
}

function readObject(text: string, maxBytes: number): DecodeResult<Record<string, unknown>> {
  if (text.length > maxBytes || utf8ByteLength(text) > maxBytes) {
    return { ok: false, closeCode: 1009, error: { code: 'payload_too_large', message: `frame larger than ${maxBytes} bytes` } };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, closeCode: 1007, error: { code: 'bad_frame', message: 'frame is not valid JSON' } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { kind?: unknown }).kind !== 'string') {
    return { ok: false, closeCode: 1007, error: { code: 'bad_frame', message: 'frame must be a JSON object with a string "kind"' } };
  }
  return { ok: true, frame: value as Record<string, unknown> };
}

/** The command's trace id when it can be read from a (possibly invalid) command frame. */
function readableTraceId(frame: Record<string, unknown>): string | undefined {
  if (frame.kind !== 'command') return undefined;
  const command = frame.command;
  if (typeof command !== 'object' || command === null) return undefined;
  const traceId = (command as { traceId?: unknown }).traceId;
  return traceIdSchema.safeParse(traceId).success ? (traceId as string) : undefined;
}

/**
 * The hub's decoder: size check, JSON, kind, schema. A command frame that fails its schema but has a readable
 * trace id yields an Err to answer (bad_schema with the failing path); anything else unreadable yields a close code.
 */
/**
 * An ack exactly as clients write it (`JSON.stringify({ kind: 'ack', outcomeId })`): a hub reads one per device per
 * burst of pushes, so it is recognised without JSON.parse and the schema. Anything else takes the full path.
 */
const plainAck = /^\{"kind":"ack","outcomeId":(0|[1-9][0-9]{0,14})\}$/;
/** A ping as clients write it (`{ kind: 'ping', t: Date.now() }`): every idle device sends one per heartbeatMs. */
const plainPing = /^\{"kind":"ping"(?:,"t":(0|[1-9][0-9]{0,14}))?\}$/;

export function decodeClientFrame(text: string, maxBytes: number = MAX_FRAME_BYTES): DecodeResult<ClientFrame> {
  if (text.length <= 48) {
    const ack = plainAck.exec(text);
    if (ack) return { ok: true, frame: { kind: 'ack', outcomeId: Number(ack[1]) } };
    const ping = plainPing.exec(text);
    if (ping) return { ok: true, frame: ping[1] === undefined ? { kind: 'ping' } : { kind: 'ping', t: Number(ping[1]) } };
  }
  const read = readObject(text, maxBytes);
  if (!read.ok) return read;
  const parsed = clientFrameSchema.safeParse(read.frame);
  if (parsed.success) return { ok: true, frame: parsed.data };
  const first = parsed.error.issues[0];
  const { message, path } = first ? describeIssue(first) : { message: 'frame does not match the protocol', path: [] };
  const traceId = readableTraceId(read.frame);
  const known = ['hello', 'command', 'ack', 'chain', 'ping'].includes(read.frame.kind as string);
  const error: ErrorBody = { code: known ? 'bad_schema' : 'bad_frame', message, path };
  if (!traceId) return { ok: false, closeCode: 1007, error };
  const envelope = commandEnvelopeSchema.safeParse(read.frame);
  if (!envelope.success) return { ok: false, traceId, error };
  const { sessionId, seq, seal, command } = envelope.data;
  return { ok: false, traceId, error, entry: { sessionId, seq, seal, body: command } };
}

/** The client's decoder for hub frames (lenient about unknown fields; strict about the fields it uses). */
export function decodeHubFrame(text: string, maxBytes: number = MAX_FRAME_BYTES): DecodeResult<HubFrame> {
  const read = readObject(text, maxBytes);
  if (!read.ok) return read;
  const parsed = hubFrameSchema.safeParse(read.frame);
  if (parsed.success) return { ok: true, frame: parsed.data };
  const first = parsed.error.issues[0];
  const { message, path } = first ? describeIssue(first) : { message: 'frame does not match the protocol', path: [] };
  return { ok: false, closeCode: 1007, error: { code: 'bad_schema', message, path } };
}

export function encodeFrame(frame: ClientFrame | HubFrame): string {
  return JSON.stringify(frame);
}
