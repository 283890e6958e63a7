// What the chat UI reads and does, on top of the SDK's ImClient. The client owns the IM state
// (streams, topics, messages, unread counts, mutes, reviews), the outbox and the sealed log; this
// store adds what only a UI needs — the open topic, notices, the browser's own online/offline
// signal, pending messages as the composer shows them — and runs the page's background work
// (connection, read marking, history loading, the title) as a supervised tree the inspector draws.
import { BehaviorSubject, combineLatest, distinctUntilChanged, filter, map, Subscription, take, type Observable } from 'rxjs';
import type { ConnectionInfo, ConnectionState, ImClient, LogVerification, SealedLogInfo } from '@stage/sdk/im';
import type { GroupInfo, Message, OutcomeOf, StreamInfo, TopicInfo, UserRef } from '@stage/sdk/im';
import { administersStream, topicKey } from '@stage/sdk/im';
import type { InspectionEvent } from '@stage/sdk';
import { startClientSystem, type ClientSystem } from './clientSystem.js';
import { PollStore } from './PollStore.js';

export type UiConnectionState = ConnectionState;

export interface PendingMessage {
  traceId: string;
  stream: string;
  topic: string;
  content: string;
  failed?: string;
}

export interface Toast {
  id: number;
  text: string;
  tone: 'info' | 'error';
}

/** Keeps the latest value of `source` for synchronous reads (and never-undefined hooks). */
function hold<T>(source: Observable<T>, initial: T, subscription: Subscription): BehaviorSubject<T> {
  const subject = new BehaviorSubject<T>(initial);
  subscription.add(source.subscribe((value) => subject.next(value)));
  return subject;
}

export class ChatStore {
  readonly selected$ = new BehaviorSubject<{ stream: string; topic: string } | undefined>(undefined);
  readonly toasts$ = new BehaviorSubject<Toast[]>([]);
  readonly ready$ = new BehaviorSubject(false);
  readonly browserOnline$ = new BehaviorSubject(typeof navigator === 'undefined' ? true : navigator.onLine);
  /** topicKey → true while older messages exist on the hub than the ones loaded. */
  readonly olderAvailable$ = new BehaviorSubject<ReadonlyMap<string, boolean>>(new Map());

  readonly streams$: BehaviorSubject<readonly StreamInfo[]>;
  readonly topics$: BehaviorSubject<ReadonlyMap<string, TopicInfo>>;
  readonly unread$: BehaviorSubject<ReadonlyMap<string, number>>;
  readonly muted$: BehaviorSubject<ReadonlySet<string>>;
  /** stream → unread over its unmuted topics (the user's, on every device). */
  readonly streamUnread$: BehaviorSubject<ReadonlyMap<string, number>>;
  readonly groups$: BehaviorSubject<readonly GroupInfo[]>;
  readonly members$: BehaviorSubject<ReadonlyMap<string, readonly UserRef[]>>;
  readonly conclusions$: BehaviorSubject<ReadonlyMap<string, OutcomeOf<'ReviewConcluded'>>>;
  readonly users$: BehaviorSubject<ReadonlyMap<string, string>>;
  readonly pending$: BehaviorSubject<readonly PendingMessage[]>;
  readonly connection$: BehaviorSubject<UiConnectionState>;
  readonly problem$: BehaviorSubject<string | undefined>;
  readonly log$: BehaviorSubject<SealedLogInfo | undefined>;
  readonly inspect$: Observable<InspectionEvent>;
  /** The polls of the hub's example extension (`/poll` in the composer). */
  readonly polls: PollStore;

  private readonly failed$ = new BehaviorSubject<readonly PendingMessage[]>([]);
  private readonly subscription = new Subscription();
  private readonly system: ClientSystem;
  private toastId = 0;
  private readonly membersRequested = new Set<string>();
  private readonly messageSubjects = new Map<string, Observable<readonly Message[]>>();

  constructor(
    readonly client: ImClient,
    readonly me: UserRef,
  ) {
    const state$ = client.state$;
    const part = <P>(pick: (state: typeof client.state) => P) => state$.pipe(map(pick), distinctUntilChanged());
    this.streams$ = hold(client.streams$, [], this.subscription);
    this.topics$ = hold(part((s) => s.topics), new Map(), this.subscription);
    this.unread$ = hold(part((s) => s.unread), new Map(), this.subscription);
    this.muted$ = hold(part((s) => s.muted), new Set(), this.subscription);
    this.streamUnread$ = hold(client.streamUnread$, new Map(), this.subscription);
    // The open topic survives a reload (offline too: its last messages come from the client's snapshot).
    const opened = openTopicStore(me.userId);
    this.selected$.next(opened.load());
    this.subscription.add(this.selected$.subscribe((selected) => opened.save(selected)));
    this.groups$ = hold(client.groups$, [], this.subscription);
    this.members$ = hold(part((s) => s.members), new Map(), this.subscription);
    this.conclusions$ = hold(part((s) => s.conclusions), new Map(), this.subscription);
    const names = knownUsers(me);
    this.users$ = hold(
      combineLatest([part((s) => s.members), part((s) => s.messages)]).pipe(
        map(([members, messages]) => names(members, messages)),
        distinctUntilChanged(),
      ),
      new Map([[me.userId, me.username]]),
      this.subscription,
    );
    this.pending$ = hold<readonly PendingMessage[]>(
      combineLatest([client.pending$, this.failed$]).pipe(
        map(([pending, failed]): PendingMessage[] => [
          ...pending.flatMap((item) =>
            item.command.type === 'SendMessage' ? [{ traceId: item.traceId, stream: item.command.stream, topic: item.command.topic, content: item.command.content }] : [],
          ),
          ...failed,
        ]),
      ),
      [],
      this.subscription,
    );
    this.connection$ = hold(
      combineLatest([client.connection$, this.browserOnline$]).pipe(
        map(([info, online]): UiConnectionState => (online ? info.state : 'offline')),
        distinctUntilChanged(),
      ),
      'connecting',
      this.subscription,
    );
    this.problem$ = hold(client.connection$.pipe(map(problemOf), distinctUntilChanged()), undefined, this.subscription);
    this.log$ = hold(client.log$, undefined, this.subscription);
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

  // ---------------------------------------------------------------- reading

  messages$(stream: string, topic: string): Observable<readonly Message[]> {
    const key = topicKey(stream, topic);
    let messages = this.messageSubjects.get(key);
    if (!messages) {
      messages = this.client.messages$(stream, topic);
      this.messageSubjects.set(key, messages);
    }
    return messages;
  }

  topicsOf(stream: string): TopicInfo[] {
    return [...this.topics$.value.values()].filter((topic) => topic.stream === stream).sort((a, b) => b.lastSeq - a.lastSeq || a.topic.localeCompare(b.topic));
  }

  userName(userId: string): string {
    return this.users$.value.get(userId) ?? `${userId.slice(0, 8)}…`;
  }

  /**
   * Makes the names of a stream's people known (reviewers are ids): loads the members of the
   * stream's groups that were not loaded yet, once per group.
   */
  resolveNames(streamName: string): void {
    const stream = this.streams$.value.find((known) => known.name === streamName);
    if (!stream) return;
    const mine = new Set(this.groups$.value.map((group) => group.groupId));
    for (const groupId of stream.groups) {
      if (!mine.has(groupId) || this.membersRequested.has(groupId) || this.members$.value.has(groupId)) continue;
      this.membersRequested.add(groupId);
      this.client.getGroupMembers({ groupId }).catch(() => this.membersRequested.delete(groupId));
    }
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

  /** Opens a topic: its history is loaded by the history workers, then it is marked read. Its polls load beside. */
  async open(stream: string, topic: string): Promise<void> {
    this.selected$.next({ stream, topic });
    void this.polls.load(stream, topic);
    await this.system.loadHistory(stream, topic);
    await this.markRead(stream, topic);
  }

  /** Records whether a history page said older messages exist (called by the history workers). */
  noteHistory(stream: string, topic: string, hasMore: boolean): void {
    const key = topicKey(stream, topic);
    if (this.olderAvailable$.value.get(key) === hasMore) return;
    const next = new Map(this.olderAvailable$.value);
    next.set(key, hasMore);
    this.olderAvailable$.next(next);
  }

  /** Loads the page of messages before the oldest one shown. */
  async loadOlder(stream: string, topic: string): Promise<void> {
    const [oldest] = this.client.state.messages.get(topicKey(stream, topic)) ?? [];
    if (!oldest) return;
    const page = await this.run('load earlier messages', () => this.client.loadHistory(stream, topic, oldest.seq));
    if (page) this.noteHistory(stream, topic, page.hasMore);
  }

  async markRead(stream: string, topic: string): Promise<void> {
    const key = topicKey(stream, topic);
    const known = this.topics$.value.get(key)?.lastSeq ?? 0;
    if (known === 0 && !this.unread$.value.get(key)) return;
    await this.client.markTopicRead(stream, topic).catch(() => undefined); // best effort: the next open marks it again
  }

  /** Sends a message; it shows as pending until the hub answers, across reconnects and reloads. */
  async send(stream: string, topic: string, content: string): Promise<void> {
    try {
      await this.client.sendMessage({ stream, topic, content });
      if (this.isOpen(stream, topic)) void this.markRead(stream, topic);
    } catch (error) {
      const traceId = (error as { traceId?: string }).traceId ?? `failed-${++this.toastId}`;
      this.failed$.next([...this.failed$.value, { traceId, stream, topic, content, failed: describe(error) }]);
    }
  }

  discardPending(traceId: string): void {
    this.failed$.next(this.failed$.value.filter((item) => item.traceId !== traceId));
  }

  edit(message: Message, content: string) {
    return this.run('edit the message', () => this.client.editMessage({ messageId: message.messageId, content }));
  }

  remove(message: Message) {
    return this.run('delete the message', () => this.client.deleteMessage({ messageId: message.messageId }));
  }

  toggleMute(stream: string, topic: string) {
    const muted = this.muted$.value.has(topicKey(stream, topic));
    return this.run(muted ? 'unmute the topic' : 'mute the topic', () => (muted ? this.client.unmuteTopic({ stream, topic }) : this.client.muteTopic({ stream, topic })));
  }

  async createGroup(name: string, description: string): Promise<GroupInfo | undefined> {
    return (await this.run('create the group', () => this.client.createGroup({ name, description })))?.group;
  }

  loadMembers(groupId: string) {
    return this.run('load the members', () => this.client.getGroupMembers({ groupId }));
  }

  addMember(groupId: string, username: string) {
    return this.run(`add ${username}`, async () => {
      const found = await this.client.findUser({ username });
      return this.client.addGroupMember({ groupId, userId: found.user.userId });
    });
  }

  /** People whose username starts with `prefix` (the hub's SearchUsers), for suggestions; none when it fails. */
  async searchUsers(prefix: string): Promise<readonly UserRef[]> {
    return (await this.client.searchUsers({ prefix: prefix.replace(/[^a-z0-9_.-]/g, '').slice(0, 32) })).users;
  }

  dismissMember(groupId: string, userId: string) {
    return this.run('remove the member', () => this.client.dismissMember({ groupId, userId }));
  }

  dissolveGroup(groupId: string) {
    return this.run('dissolve the group', () => this.client.dismissGroup({ groupId }));
  }

  async createStream(stream: string, description: string, groups: string[]): Promise<boolean> {
    return (await this.run('create the stream', () => this.client.createStream({ stream, description, groups }))) !== undefined;
  }

  setStreamGroups(stream: string, groups: string[]) {
    return this.run('change who can see the stream', () => this.client.setStreamGroups({ stream, groups }));
  }

  appointReviewer(stream: string, username: string) {
    return this.run(`appoint ${username}`, async () => {
      const found = await this.client.findUser({ username });
      return this.client.appointReviewer({ stream, reviewer: found.user.userId });
    });
  }

  dismissReviewer(stream: string, reviewer: string) {
    return this.run('dismiss the reviewer', () => this.client.dismissReviewer({ stream, reviewer }));
  }

  setTopicStatus(stream: string, topic: string, status: TopicInfo['status']) {
    return this.run('change the topic status', () => this.client.setTopicStatus({ stream, topic, status }));
  }

  vote(stream: string, topic: string, vote: 'yes' | 'no') {
    return this.run('vote', () => this.client.vote({ stream, topic, vote }));
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

  private async run<R>(what: string, work: () => Promise<R>): Promise<R | undefined> {
    try {
      return await work();
    } catch (error) {
      this.toast(`Could not ${what}: ${describe(error)}`, 'error');
      return undefined;
    }
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

/**
 * Names of the people in view (members, senders), kept incrementally: a busy topic's new messages are scanned
 * once each, not the whole topic per update. A page of older history (a new first message) rescans that topic.
 */
function knownUsers(me: UserRef): (members: ReadonlyMap<string, readonly UserRef[]>, messages: ReadonlyMap<string, readonly Message[]>) => ReadonlyMap<string, string> {
  const senders = new Map<string, string>();
  const scanned = new Map<string, { first: Message | undefined; length: number }>();
  let last: ReadonlyMap<string, string> = new Map();
  return (members, messages) => {
    for (const [key, list] of messages) {
      const seen = scanned.get(key);
      const from = seen && seen.first === list[0] && seen.length <= list.length ? seen.length : 0;
      for (let i = from; i < list.length; i++) senders.set(list[i]!.senderId, list[i]!.senderName);
      scanned.set(key, { first: list[0], length: list.length });
    }
    const users = new Map<string, string>(senders);
    users.set(me.userId, me.username);
    for (const list of members.values()) for (const member of list) users.set(member.userId, member.username);
    if (users.size === last.size && [...users].every(([id, name]) => last.get(id) === name)) return last;
    last = users;
    return users;
  };
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

/** A sentence for the user about why the connection is not simply online, or undefined. */
function problemOf(info: ConnectionInfo): string | undefined {
  if (info.stoppedBy === 4001) return 'Your sign-in expired. Sign out and sign in again.';
  if (info.stoppedBy === 4004) return 'This device connected again from another tab, so this tab stopped. Reload to take over.';
  if (info.stoppedBy === 4003) return 'This account may no longer connect.';
  if (info.lastClose?.code === 4005) {
    return `The hub could not verify this device's sealed session log: ${chainProblem(info.lastClose.reason)}. Nothing from that log was applied; this device started a fresh session and took its read positions and mutes from your account.`;
  }
  return undefined;
}

/** The hub's refusal (a close reason, cut to fit a close frame) in words: the ChainError code and entry. */
function chainProblem(reason: string): string {
  const detail = reason.replace(/^hub refused the chain: /, '');
  const [, code, entry] = /^([a-z_]+)(?::\s*entry (\d+))?/.exec(detail) ?? [];
  switch (code) {
    case 'broken_seal':
      return entry ? `entry ${entry} does not match its seal, so it was altered after it was sealed` : 'an entry does not match its seal';
    case 'wrong_key':
      return 'it was sealed with a key the hub never gave this session';
    case 'gap':
      return entry ? `entries are missing before entry ${entry}` : 'entries are missing';
    case 'fork':
      return entry ? `entry ${entry} differs from the one the hub already accepted` : 'it differs from what the hub already accepted';
    case 'truncated':
    case 'missing':
      return 'the device could not send the whole log';
    default:
      return detail || 'the hub refused it';
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
