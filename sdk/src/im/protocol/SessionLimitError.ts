// A session update the device session refuses because it would pass a documented limit (MAX_SESSION_TOPICS). It
// is thrown by deviceSession.apply before anything changed: the entry stays part of the sealed chain (the client
// sealed and kept it), the state is unchanged, and the hub answers the command with `code`.
import type { ErrorCode } from './errors.js';

export class SessionLimitError extends Error {
  readonly code: ErrorCode = 'payload_too_large';

  constructor(message: string) {
    super(message);
    this.name = 'SessionLimitError';
  }
}
