// The recall responder: a hub that lost the device's session (a restart) asks for its sealed chain; the device
// sends it as chain pages (the whole chain, or the part the hub lacks), or says it has no such session. A device
// that keeps a checkpoint past the first seq asked sends it with the first page instead of the entries before it.
import type { SessionClient } from '../../seal/SessionClient.js';
import type { Command } from '../protocol/commands.js';
import type { RecallFrame } from '../protocol/frames.js';
import { chainPages } from './chainPages.js';
import type { HubSocket } from './HubSocket.js';

/** Answers `frame` on `socket` from `session`; stops early when the connection ends. */
export async function answerRecall(socket: HubSocket, frame: RecallFrame, session: SessionClient<Command> | undefined): Promise<void> {
  if (!session || session.sessionId !== frame.sessionId) {
    socket.send({ kind: 'chain', recallId: frame.recallId, sessionId: frame.sessionId, entries: [], done: true, missing: true });
    return;
  }
  const { checkpoint, fromSeq, pages } = await session.recallAnswer(frame.fromSeq, frame.toSeq);
  const config = {
    recallId: frame.recallId,
    sessionId: frame.sessionId,
    fromSeq,
    toSeq: frame.toSeq,
    maxFrameBytes: socket.limits.maxFrameBytes,
    ...(checkpoint ? { checkpoint } : {}),
  };
  for await (const chain of chainPages(pages, config)) {
    if (!socket.send(chain)) return;
  }
}
