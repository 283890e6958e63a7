// A command refused with a protocol error code (not_found, forbidden, conflict, ...). Thrown by command handlers
// BEFORE they write anything, so the enclosing transaction rolls back nothing of substance; the hub turns it into
// an Err reply (and records it against the trace id unless the code is transient).
import type { ErrorCode } from '@stage/sdk/im';

export class CommandError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly path?: Array<string | number>,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}
