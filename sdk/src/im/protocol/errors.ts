// Typed error codes of the IM protocol. The same codes appear in Err replies, in HTTP error bodies and in
// ImError (the client's rejection of a command promise), so a caller switches on one enum everywhere.
import * as z from 'zod/mini';
import { nonNegativeIntSchema } from './wholeNumberSchemas.js';

export const errorCodes = [
  /** The frame is not JSON, not an object, or has no readable `kind`. */
  'bad_frame',
  /** The frame or command does not match its schema; `path` names the failing field. */
  'bad_schema',
  /** No or invalid credentials / token (HTTP 401). */
  'unauthorized',
  /** Authenticated, but not allowed: not a member, not a reviewer, not the owner, stream not visible. */
  'forbidden',
  /** The named stream, topic, group, user or message does not exist (or is not visible to you). */
  'not_found',
  /** The change conflicts with current state: name taken, already a member, topic not under review... */
  'conflict',
  /** Too many commands; `retryAfterMs` says when to try again. Transient. */
  'rate_limited',
  /** The frame or a field is larger than the limit. */
  'payload_too_large',
  /** The sealed chain does not verify (bad seal, gap, fork, wrong key, missing entries). Transient. */
  'broken_chain',
  /** The command's sessionId is not the one this connection was welcomed with. */
  'unknown_session',
  /** The hub gave up on the command within its deadline; nothing changed. Transient. */
  'timeout',
  /** The hub is shutting down or a dependency is down; nothing changed. Transient. */
  'unavailable',
  /** A bug or crash in the hub; nothing changed. Transient. */
  'internal',
  /**
   * The hub failed on this command every time it ran it (a bug this command triggers); nothing changed. Not
   * transient: the same command fails the same way, so a client does not resend it (a resend runs it again).
   */
  'failed',
] as const;

export const errorCodeSchema = z.enum(errorCodes);
export type ErrorCode = z.infer<typeof errorCodeSchema>;

/**
 * Codes whose Err is NOT recorded against the trace id: the command changed nothing and a resend with the
 * same trace id is executed afresh. Every other Err is recorded and a resend returns it again.
 */
export const transientErrorCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'rate_limited',
  'broken_chain',
  'unknown_session',
  'timeout',
  'unavailable',
  'internal',
]);

export function isTransientErrorCode(code: ErrorCode): boolean {
  return transientErrorCodes.has(code);
}

/** A path into a frame, as zod reports it: `["command", "content"]`. */
export const errorPathSchema = z.array(z.union([z.string(), z.number()]));

/** The error body of an Err reply and of HTTP error responses (`{ error: ErrorBody }`). */
export const errorBodySchema = z.object({
  code: errorCodeSchema,
  message: z.string(),
  /** For bad_schema: the failing field. */
  path: z.optional(errorPathSchema),
  /** For rate_limited: wait at least this long before resending. */
  retryAfterMs: z.optional(nonNegativeIntSchema()),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** A failed command or request, as the client's promises reject with it. */
export class ImError extends Error {
  readonly code: ErrorCode;
  readonly path: Array<string | number> | undefined;
  readonly retryAfterMs: number | undefined;
  /** The trace id of the failed command, when there is one. */
  readonly traceId: string | undefined;

  constructor(body: ErrorBody, traceId?: string) {
    super(body.message);
    this.name = 'ImError';
    this.code = body.code;
    this.path = body.path;
    this.retryAfterMs = body.retryAfterMs;
    this.traceId = traceId;
  }

  get transient(): boolean {
    return isTransientErrorCode(this.code);
  }

  toBody(): ErrorBody {
    return {
      code: this.code,
      message: this.message,
      ...(this.path ? { path: this.path } : {}),
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
    };
  }
}
