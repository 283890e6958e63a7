// The page around the SDK's ImClient: what only this demo has. The client holds the IM state and
// components read it through @stage/sdk/react's hooks; this session keeps the open topic (and
// remembers it across reloads), toasts, the browser's own online/offline signal, sends the hub
// refused, the polls of the example extension, and the page's background work (connection, read
// marking, history loading, the title) as a supervised tree the inspector draws. Its commands turn
// a refusal into a toast.
import { BehaviorSubject, filter, Subscription, take, type Observable } from 'rxjs';
import type { ImClient, LogVerification } from '@stage/sdk/im';
import type { GroupInfo, Message, StreamInfo, TopicInfo, UserRef } from '@stage/sdk/im';
import { administersStream, topicKey } from '@stage/sdk/im';
import type { InspectionEvent } from '@stage/sdk';
import { startClientSystem, type ClientSystem } from './clientSystem.js';
import { PollStore } from './PollStore.js';

/** A message the hub refused: shown under the topic's messages until discarded. */
export interface FailedSend {
  traceId: string;
  stream: string;
  topic: string;
  content: string;
  reason: string;
}

export interface Toast {
  id: number;
  text: string;
  tone: 'info' | 'error';
}

export class ChatSession {
  /** The open topic (survives a reload). */
  readonly selected$ = new BehaviorSubject<{ stream: string; topic: string } | undefined>(undefined);
  readonly toasts$ = new BehaviorSubject<Toast[]>([]);
  /** The first sync finished (the lists were loaded or failed to). */
  readonly ready$ = new BehaviorSubject(false);
  readonly browserOnline$ = new BehaviorSubject(typeof navigator === 'undefined' ? true : navigator.onLine);
  readonly failedSends$ = new BehaviorSubject<readonly FailedSend[]>([]);
  readonly inspect$: Observable<InspectionEvent>;
  /** The polls of the hub's example extension (`/poll` in the composer). */
  readonly polls: PollStore;

  private readonly subscription = new Subscription();
  private readonly system: ClientSystem;
  private toastId = 0;

  constructor(
    readonly client: ImClient,
    readonly me: UserRef,
  ) {
    // The open topic survives a reload (offline too: its last messages come from the client's snapshot).
    const opened = openTopicStore(me.userId);
    this.selected$.next(opened.load());
    this.subscription.add(this.selected$.subscribe((selected) => opened.save(selected)));
    this.subscription.add(client.failures$.subscribe((error) => this.toast(`A queued ${error.traceId ? 'command' : 'request'} failed: ${error.message}`, 'error')));
    this.polls = new PollStore(client, (text) => this.toast(text, 'error'));
    this.subscription.add(() => this.polls.dispose());

    this.system = startClientSystem(this);
    this.inspect$ = this.system.inspect$;
    this.watchBrowserConnectivity();
  }

  private disposed: Promise<void> | undefined;

  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      this.subscription.unsubscribe();
      await this.system.shutdown();
      await this.client.close();
    })();
    return this.disposed;
  }

  /** Commands the hub has not answered yet: what sign-out has to send or drop. */
  unsentCount(): number {
    return this.client.unsent.length;
  }

  /**
   * Signs out: sends (waiting while the connection runs) or discards what is unsent, then wipes this
   * user's data from the browser (outbox, device record, sealed logs) and stops the page's work.
   */
  async signOut(unsent: 'send' | 'discard', signal?: AbortSignal): Promise<void> {
    // Sending needs the page's connection task, so wait for the outbox to drain first; then stop the
    // page's work before the client closes, so no supervised task restarts against a closed client.
    if (unsent === 'send') await drained(this.client, signal);
    this.subscription.unsubscribe();
    await this.system.shutdown();
    await this.client.signOut({ unsent: 'discard' });
    openTopicStore(this.me.userId).save(undefined);
    await this.dispose();
  }

  /** Whether I administer the stream (its creator or a named admin): the SDK's rule, the one the hub enforces. */
  administers(stream: StreamInfo | undefined): boolean {
    return stream !== undefined && administersStream(this.me.userId, stream);
  }

  isOpen(stream: string, topic: string): boolean {
    const selected = this.selected$.value;
    return selected?.stream === stream && selected.topic === topic;
  }

  // ---------------------------------------------------------------- commands

  /** Opens a topic: its newest page is loaded by the history workers, then it is marked read. Its polls load beside. */
  async open(stream: string, topic: string): Promise<void> {
    this.selected$.next({ stream, topic });
    void this.polls.load(stream, topic);
    await this.system.loadHistory(stream, topic);
    await this.markRead(stream, topic);
  }

  async markRead(stream: string, topic: string): Promise<void> {
    const key = topicKey(stream, topic);
    const known = this.client.state.topics.get(key)?.lastSeq ?? 0;
    if (known === 0 && !this.client.state.unread.get(key)) return;
    await this.client.markTopicRead(stream, topic).catch(() => undefined); // best effort: the next open marks it again
  }

  /** Sends a message; it shows as pending (usePendingMessages) until the hub answers, across reconnects and reloads. */
  async send(stream: string, topic: string, content: string): Promise<void> {
    try {
      await this.client.sendMessage({ stream, topic, content });
      if (this.isOpen(stream, topic)) void this.markRead(stream, topic);
    } catch (error) {
      const traceId = (error as { traceId?: string }).traceId ?? `failed-${++this.toastId}`;
      this.failedSends$.next([...this.failedSends$.value, { traceId, stream, topic, content, reason: describe(error) }]);
    }
  }

  discardFailedSend(traceId: string): void {
    this.failedSends$.next(this.failedSends$.value.filter((item) => item.traceId !== traceId));
  }

  /** Runs `work`; a failure becomes a toast ("Could not …: why") and resolves to undefined. */
  async attempt<R>(what: string, work: () => Promise<R>): Promise<R | undefined> {
    try {
      return await work();
    } catch (error) {
      this.toast(`Could not ${what}: ${describe(error)}`, 'error');
      return undefined;
    }
  }

  edit(message: Message, content: string) {
    return this.attempt('edit the message', () => this.client.editMessage({ messageId: message.messageId, content }));
  }

  remove(message: Message) {
    return this.attempt('delete the message', () => this.client.deleteMessage({ messageId: message.messageId }));
  }

  toggleMute(stream: string, topic: string) {
    const muted = this.client.state.muted.has(topicKey(stream, topic));
    return this.attempt(muted ? 'unmute the topic' : 'mute the topic', () => (muted ? this.client.unmuteTopic({ stream, topic }) : this.client.muteTopic({ stream, topic })));
  }

  async createGroup(name: string, description: string): Promise<GroupInfo | undefined> {
    return (await this.attempt('create the group', () => this.client.createGroup({ name, description })))?.group;
  }

  addMember(groupId: string, username: string) {
    return this.attempt(`add ${username}`, async () => {
      const found = await this.client.findUser({ username });
      return this.client.addGroupMember({ groupId, userId: found.user.userId });
    });
  }

  /** People whose username starts with `prefix` (the hub's SearchUsers), for suggestions; none when it fails. */
  async searchUsers(prefix: string): Promise<readonly UserRef[]> {
    return (await this.client.searchUsers({ prefix: prefix.replace(/[^a-z0-9_.-]/g, '').slice(0, 32) })).users;
  }

  dismissMember(groupId: string, userId: string) {
    return this.attempt('remove the member', () => this.client.dismissMember({ groupId, userId }));
  }

  dissolveGroup(groupId: string) {
    return this.attempt('dissolve the group', () => this.client.dismissGroup({ groupId }));
  }

  async createStream(stream: string, description: string, groups: string[]): Promise<boolean> {
    return (await this.attempt('create the stream', () => this.client.createStream({ stream, description, groups }))) !== undefined;
  }

  setStreamGroups(stream: string, groups: string[]) {
    return this.attempt('change who can see the stream', () => this.client.setStreamGroups({ stream, groups }));
  }

  appointReviewer(stream: string, username: string) {
    return this.attempt(`appoint ${username}`, async () => {
      const found = await this.client.findUser({ username });
      return this.client.appointReviewer({ stream, reviewer: found.user.userId });
    });
  }

  dismissReviewer(stream: string, reviewer: string) {
    return this.attempt('dismiss the reviewer', () => this.client.dismissReviewer({ stream, reviewer }));
  }

  setTopicStatus(stream: string, topic: string, status: TopicInfo['status']) {
    return this.attempt('change the topic status', () => this.client.setTopicStatus({ stream, topic, status }));
  }

  vote(stream: string, topic: string, vote: 'yes' | 'no') {
    return this.attempt('vote', () => this.client.vote({ stream, topic, vote }));
  }

  verify(): Promise<LogVerification> {
    return this.client.verifyLog();
  }

  toast(text: string, tone: Toast['tone'] = 'info'): void {
    const id = ++this.toastId;
    this.toasts$.next([...this.toasts$.value, { id, text, tone }].slice(-4));
    setTimeout(() => this.toasts$.next(this.toasts$.value.filter((toast) => toast.id !== id)), tone === 'error' ? 8000 : 4000);
  }

  // ---------------------------------------------------------------- internals

  /**
   * The browser knows before the socket does: when it says offline, stop the connection (commands
   * keep queueing in the outbox and show as pending); when it is back, reconnect at once instead of
   * waiting out the backoff.
   */
  private watchBrowserConnectivity(): void {
    if (typeof window === 'undefined') return;
    const offline = () => {
      this.browserOnline$.next(false);
      this.client.disconnect();
    };
    const online = () => {
      this.browserOnline$.next(true);
      this.client.disconnect();
      this.client.connect();
    };
    window.addEventListener('offline', offline);
    window.addEventListener('online', online);
    this.subscription.add(() => {
      window.removeEventListener('offline', offline);
      window.removeEventListener('online', online);
    });
  }
}

/** Resolves when the client has no unanswered command; rejects with the signal's reason when aborted. */
function drained(client: ImClient, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const subscription = client.pending$.pipe(filter((pending) => pending.length === 0), take(1)).subscribe(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    function onAbort() {
      subscription.unsubscribe();
      reject(signal?.reason);
    }
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The open topic of this user on this browser, in localStorage (a reload reopens it; sign-out forgets it). */
function openTopicStore(userId: string) {
  const key = `stage:open-topic:${userId}`;
  return {
    load(): { stream: string; topic: string } | undefined {
      try {
        const value = JSON.parse(localStorage.getItem(key) ?? 'null') as unknown;
        if (typeof value === 'object' && value !== null && typeof (value as { stream?: unknown }).stream === 'string' && typeof (value as { topic?: unknown }).topic === 'string') {
          const { stream, topic } = value as { stream: string; topic: string };
          return { stream, topic };
        }
      } catch {
        // unreadable: nothing was open
      }
      return undefined;
    },
    save(selected: { stream: string; topic: string } | undefined): void {
      try {
        if (selected) localStorage.setItem(key, JSON.stringify({ stream: selected.stream, topic: selected.topic }));
        else localStorage.removeItem(key);
      } catch {
        // storage full or blocked: a reload then opens nothing, as before
      }
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
