// Who administers a stream: its creator and the administrators the creator named (SetStreamAdmins), as stored with
// the stream. Group membership or group ownership never confers it, and the answer comes from the stream's stored
// state, never from what a command asks for. Every command that changes a stream's groups or reviewers, or a topic's
// review state, asks here (PROTOCOL.md §3, "Authority"). Callers first check that the user sees the stream
// (requireVisibleStream), so an administrator who lost sight of it gets not_found like anyone else.
// The rule itself lives in the SDK (administersStream, topicAuthority.ts), which clients use to show only what the
// hub allows.
import { administersStream } from '@stage/sdk/im';
import type { DomainStore, StreamRecord } from '../store/Store.js';
import { CommandError } from './CommandError.js';

export async function isStreamAdmin(tx: DomainStore, userId: string, stream: StreamRecord): Promise<boolean> {
  return administersStream(userId, { creatorId: stream.creatorId, admins: await tx.streamAdmins(stream.name) });
}

/** The forbidden error for someone who is not an administrator of `stream`; `what` says what they tried. */
export function notStreamAdmin(stream: StreamRecord, what: string): CommandError {
  return new CommandError('forbidden', `only an administrator of "${stream.name}" (its creator or an admin the creator named) may ${what}`);
}

/** forbidden unless the user administers the stream; `what` says what they tried ("change its groups"). */
export async function requireStreamAdmin(tx: DomainStore, userId: string, stream: StreamRecord, what: string): Promise<void> {
  if (await isStreamAdmin(tx, userId, stream)) return;
  throw notStreamAdmin(stream, what);
}
