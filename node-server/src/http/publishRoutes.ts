// The publish API, for backends and bots: `POST /api/v1/messages` {stream, topic, body} and
// `POST /api/v1/extensions/:ext/:name` {payload}, authenticated by `Authorization: Bearer stg_…` (an API key made
// by `stage-hub admin apikey create`). Each request becomes a SendMessage or Ext command of the key's user, with
// the Idempotency-Key as its traceId, and goes through the hub's CommandRunner like a device's command: the same
// visibility checks, the same (user, traceId) reply record (a retry answers the recorded reply, applied once),
// and the same pushes to every recipient's devices.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import {
  contentSchema,
  deviceSession,
  extensionMemberNameSchema,
  extensionNameSchema,
  idSchema,
  streamNameSchema,
  topicNameSchema,
  traceIdSchema,
  type Command,
  type ErrorCode,
  MAX_LIST_LENGTH,
} from '@stage/sdk/im';
import { apiKeyHash, API_KEY_PREFIX } from '../auth/apiKey.js';
import type { CommandRunner } from '../hub/CommandRunner.js';
import { TokenBucket } from '../hub/TokenBucket.js';
import type { ExtensionRegistry } from '../extensions/ExtensionRegistry.js';
import type { Store } from '../store/Store.js';
import { HttpError, sendJson } from './HttpError.js';
import { readJsonBody } from './readJsonBody.js';

const PUBLISH_MAX_BODY_BYTES = 64 * 1024;

export interface PublishDeps {
  store: Store;
  runner: Pick<CommandRunner, 'run'>;
  extensions: ExtensionRegistry;
  /** Per key: requests per second and burst (429 with Retry-After beyond). */
  perSecond: number;
  burst: number;
}

const idempotencyKey = { idempotencyKey: z.optional(traceIdSchema) };
const messageBodySchema = z.strictObject({
  stream: streamNameSchema,
  topic: topicNameSchema,
  body: contentSchema,
  /** Narrows the stream's audience, as SendMessage's recipients do. */
  recipients: z.array(idSchema).max(MAX_LIST_LENGTH).optional(),
  ...idempotencyKey,
});
const extensionBodySchema = z.strictObject({ payload: z.unknown(), ...idempotencyKey });

/** HTTP status of a command's Err code. */
const statusOf: Record<ErrorCode, number> = {
  bad_frame: 400,
  bad_schema: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  broken_chain: 400,
  unknown_session: 400,
  failed: 500,
  internal: 500,
  unavailable: 503,
  timeout: 504,
};

export class PublishApi {
  /** One bucket per key that authenticated (so their number is bounded by the keys the operator made). */
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(private readonly deps: PublishDeps) {}

  /** Handles a request under /api/v1/. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const extensionRoute = /^\/api\/v1\/extensions\/([^/]+)\/([^/]+)$/.exec(path);
    if (path !== '/api/v1/messages' && !extensionRoute) throw new HttpError(404, 'not_found', `no API route ${req.method} ${path}`);
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      throw new HttpError(405, 'bad_frame', `${path} takes POST only`);
    }
    const key = await this.#authenticate(req);
    const wait = this.#bucket(key.id).take();
    if (wait > 0) {
      res.setHeader('retry-after', String(Math.ceil(wait / 1000)));
      throw new HttpError(429, 'rate_limited', `over this key's limit of ${this.deps.perSecond} requests per second; retry in ${Math.ceil(wait)} ms`);
    }
    let command: Command;
    if (extensionRoute) {
      const ext = decode(extensionRoute[1]!);
      const name = decode(extensionRoute[2]!);
      const kind = extensionNameSchema.safeParse(ext).success && extensionMemberNameSchema.safeParse(name).success ? this.deps.extensions.kindOf(ext, name) : undefined;
      if (kind === undefined) throw new HttpError(404, 'not_found', `no extension command ${ext}.${name} on this hub (extensions: ${this.deps.extensions.names.join(', ') || 'none'})`);
      if (kind !== 'write') throw new HttpError(404, 'not_found', `${ext}.${name} is a query: the publish API runs write commands only`);
      const body = parseBody(extensionBodySchema, await readJsonBody(req, PUBLISH_MAX_BODY_BYTES));
      command = { type: 'Ext', traceId: traceIdOf(req, body.idempotencyKey), ext, name, payload: body.payload };
    } else {
      const body = parseBody(messageBodySchema, await readJsonBody(req, PUBLISH_MAX_BODY_BYTES));
      command = {
        type: 'SendMessage',
        traceId: traceIdOf(req, body.idempotencyKey),
        stream: body.stream,
        topic: body.topic,
        content: body.body,
        ...(body.recipients ? { recipients: body.recipients } : {}),
      };
    }
    // The device id names the key in the hub's logs; the session is a fresh one (nothing sealed: not a device).
    const reply = await this.deps.runner.run({ userId: key.userId, deviceId: `apikey-${key.id}`, session: deviceSession.initial(), command });
    if (reply.ok) return sendJson(res, 200, { traceId: reply.traceId, type: reply.type, data: reply.data });
    const { code, message, path: errorPath, retryAfterMs } = reply.error;
    if (retryAfterMs !== undefined) res.setHeader('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
    // The command's paths name its fields (command.content); the request's are the body's (body, payload.x).
    const bodyPath = errorPath?.[0] === 'command' ? errorPath.slice(1).map((p) => (p === 'content' && command.type === 'SendMessage' ? 'body' : p)) : errorPath;
    sendJson(res, statusOf[code], { traceId: reply.traceId, error: { code, message, ...(bodyPath ? { path: bodyPath } : {}), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) } });
  }

  async #authenticate(req: IncomingMessage): Promise<{ id: string; userId: string }> {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer (\S+)$/.exec(header);
    if (!match || !match[1]!.startsWith(API_KEY_PREFIX)) throw new HttpError(401, 'unauthorized', 'the publish API needs Authorization: Bearer stg_… (stage-hub admin apikey create)');
    const key = await this.deps.store.apiKeyByHash(apiKeyHash(match[1]!));
    // Unknown and revoked answer alike: a caller learns nothing about which keys once existed.
    if (!key || key.revokedAt !== null) throw new HttpError(401, 'unauthorized', 'unknown or revoked API key');
    const user = await this.deps.store.userById(key.userId);
    if (!user || user.deactivatedAt != null) throw new HttpError(403, 'forbidden', "this API key's user is deactivated: ask the hub's operator");
    return key;
  }

  #bucket(keyId: string): TokenBucket {
    let bucket = this.#buckets.get(keyId);
    if (!bucket) this.#buckets.set(keyId, (bucket = new TokenBucket(this.deps.perSecond, this.deps.burst)));
    return bucket;
  }
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(404, 'not_found', 'a path segment is not valid percent-encoding');
  }
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue?.path.map((p) => (typeof p === 'number' ? p : String(p))) ?? [];
  throw new HttpError(400, 'bad_schema', issue ? `${path.join('.') || 'body'}: ${issue.message}` : 'bad body', path);
}

/** The command's traceId: the Idempotency-Key header, else the body's idempotencyKey; one of them is required. */
function traceIdOf(req: IncomingMessage, fromBody: string | undefined): string {
  const header = req.headers['idempotency-key'];
  const value = typeof header === 'string' ? header : fromBody;
  if (value === undefined) throw new HttpError(400, 'bad_schema', 'an Idempotency-Key header (or idempotencyKey field) is required: a retry with the same key is applied once', ['idempotencyKey']);
  const checked = traceIdSchema.safeParse(value);
  if (!checked.success) throw new HttpError(400, 'bad_schema', `Idempotency-Key: ${checked.error.issues[0]?.message ?? 'invalid'}`, ['idempotencyKey']);
  if (typeof header === 'string' && fromBody !== undefined && fromBody !== header) throw new HttpError(400, 'bad_schema', 'the Idempotency-Key header and the idempotencyKey field differ', ['idempotencyKey']);
  return checked.data;
}
