// Messages sent and not answered yet, as a message list shows them below the sent ones: the
// SendMessage commands among the client's pending commands (ImClient.pendingMessages$).
import { distinctUntilChanged, map, type Observable } from 'rxjs';
import type { PendingCommand } from './ImClient.js';

export interface PendingMessage {
  readonly traceId: string;
  readonly stream: string;
  readonly topic: string;
  readonly content: string;
  /** queued: in the outbox, not on the wire; sent: waiting for its reply. */
  readonly status: PendingCommand['status'];
  readonly issuedAt: number;
}

/** The pending SendMessages of `pending$` (of one stream, or one topic, when given); emits only when they change. */
export function pendingMessagesOf(pending$: Observable<readonly PendingCommand[]>, stream?: string, topic?: string): Observable<readonly PendingMessage[]> {
  return pending$.pipe(
    map((pending) =>
      pending.flatMap((item): PendingMessage[] => {
        const command = item.command;
        if (command.type !== 'SendMessage' || (stream !== undefined && command.stream !== stream) || (topic !== undefined && command.topic !== topic)) return [];
        return [{ traceId: item.traceId, stream: command.stream, topic: command.topic, content: command.content, status: item.status, issuedAt: item.issuedAt }];
      }),
    ),
    distinctUntilChanged(samePendingMessages),
  );
}

function samePendingMessages(a: readonly PendingMessage[], b: readonly PendingMessage[]): boolean {
  return a.length === b.length && a.every((item, i) => item.traceId === b[i]!.traceId && item.status === b[i]!.status);
}
