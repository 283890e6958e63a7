// Who administers a stream: its creator and the administrators the creator named (SetStreamAdmins), as stored with
// the stream. Group membership or group ownership never confers it, and the answer comes from the stream's stored
// state, never from what a command asks for. Every command that changes a stream's groups or reviewers, or a topic's
// review state, asks here (PROTOCOL.md §3, "Authority"). Callers first check that the user sees the stream
// (requireVisibleStream), so an administrator who lost sight of it gets not_found like anyone else.
import type { StoreTx, StreamRecord } from '../store/Store.js';
import { CommandError } from './CommandError.js';

export async function isStreamAdmin(tx: StoreTx, userId: string, stream: StreamRecord): Promise<boolean> {
  return stream.creatorId === userId || (await tx.streamAdmins(stream.name)).includes(userId);
}

/** forbidden unless the user administers the stream; `what` says what they tried ("change its groups"). */
export async function requireStreamAdmin(tx: StoreTx, userId: string, stream: StreamRecord, what: string): Promise<void> {
  if (await isStreamAdmin(tx, userId, stream)) return;
  throw new CommandError('forbidden', `only an administrator of "${stream.name}" (its creator or an admin the creator named) may ${what}`);
}
