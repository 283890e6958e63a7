// The page's background work as a supervision tree from @stage/sdk, drawn live by the inspector:
//
//   web-client (system)
//   └─ client (supervisor, one_for_one)
//      ├─ connection   keeps the ImClient connected while the tree runs
//      ├─ sync         first sign-in: load streams, reopen the topic open before a reload; after a reconnect: reload it
//      ├─ read-marker  marks the open topic read as messages arrive in it
//      ├─ history      2 workers serving a Mailbox of "load this topic's history" requests
//      └─ title        an actor keeping the unread total in the tab title
import { auditTime, combineLatest, filter, map, distinctUntilChanged, pairwise, startWith, tap, type Observable } from 'rxjs';
import { createSystem, defineActor, Mailbox, serveMailbox, type InspectionEvent, type Supervisor } from '@stage/sdk';
import type { ChatSession } from './ChatSession.js';

export interface ClientSystem {
  readonly inspect$: Observable<InspectionEvent>;
  loadHistory(stream: string, topic: string): Promise<void>;
  shutdown(): Promise<void>;
}

interface HistoryRequest {
  stream: string;
  topic: string;
  done: () => void;
}

const titleActor = defineActor<number, { total: number }>({
  name: 'title',
  initial: 0,
  handle: (_previous, { total }) => {
    document.title = total > 0 ? `(${total}) Stage` : 'Stage';
    return total;
  },
});

export function startClientSystem(chat: ChatSession): ClientSystem {
  const { client } = chat;
  const system = createSystem({ name: 'web-client' });
  const history = new Mailbox<HistoryRequest>({ capacity: 64, name: 'history-requests' });

  const supervisor: Supervisor = system.supervisor({
    name: 'client',
    strategy: 'one_for_one',
    intensity: { maxRestarts: 10, withinMs: 10_000 },
    children: [
      {
        id: 'connection',
        task: ({ signal }) =>
          new Promise<void>((resolve) => {
            client.connect();
            signal.addEventListener('abort', () => {
              client.disconnect();
              resolve();
            });
          }),
      },
      {
        id: 'sync',
        task: () =>
          combineLatest([client.connectionState$, chat.browserOnline$]).pipe(
            map(([state, browserOnline]) => browserOnline && state === 'online'),
            distinctUntilChanged(),
            startWith(false),
            pairwise(),
            filter(([before, now]) => !before && now),
            tap(() => {
              if (!chat.ready$.value) void firstSync(chat);
              else {
                const open = chat.selected$.value;
                if (open) void chat.open(open.stream, open.topic);
              }
            }),
          ),
      },
      {
        id: 'read-marker',
        // One MarkRead per quarter second at most, however busy the topic: each is a command in the outbox.
        task: () =>
          client.outcomes$.pipe(
            filter(({ outcome }) => outcome.type === 'NewMessage' && outcome.message.senderId !== chat.me.userId && chat.isOpen(outcome.message.stream, outcome.message.topic)),
            auditTime(250),
            tap(() => {
              const open = chat.selected$.value;
              if (open && document.visibilityState === 'visible') void chat.markRead(open.stream, open.topic);
            }),
          ),
      },
      {
        id: 'history',
        // The client records what each page says (topicHistory$: loading, older pages exist), which useTopicHistory shows.
        group: serveMailbox(history, async (request) => {
          try {
            await client.loadHistory(request.stream, request.topic);
          } catch {
            // A topic without messages yet has no history; other errors show as the topic staying empty.
          } finally {
            request.done();
          }
        }),
        config: { size: 2 },
      },
      { id: 'title', actor: titleActor },
    ],
  });

  const title = supervisor.actor('title', titleActor);
  const unreadWatch = client.totalUnread$.subscribe((total) => {
    if (!title.stopped) title.tell({ total });
  });

  return {
    inspect$: system.inspect$,
    loadHistory: (stream, topic) => new Promise<void>((done) => void history.send({ stream, topic, done }).catch(() => done())),
    async shutdown() {
      unreadWatch.unsubscribe();
      history.close();
      await system.shutdown();
    },
  };
}

/**
 * After the first welcome: wait for the lists (and the user's read state), then reopen the topic that was open
 * before the reload. Nothing else is opened: opening marks a topic read, and only the user decides what was read.
 */
async function firstSync(chat: ChatSession): Promise<void> {
  try {
    await chat.client.refresh();
  } catch (error) {
    chat.toast(`Could not load your streams: ${error instanceof Error ? error.message : String(error)}`, 'error');
  }
  chat.ready$.next(true);
  const open = chat.selected$.value;
  if (open) await chat.open(open.stream, open.topic);
}
