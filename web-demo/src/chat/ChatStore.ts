// The chat's client-side state: streams, topics, messages, unread counts, mutes, groups, reviews and
// messages still pending. It applies the hub's replies and pushed outcomes to RxJS subjects that the
// React components read with useObservable. The hub stays the source of truth: every change goes
// through a command, and a reconnect refreshes what is on screen.
import { BehaviorSubject, Subscription } from 'rxjs';
import type { GroupInfo, Message, Outcome, StreamInfo, TopicInfo, UserRef, VoteMap } from '@stage/sdk/im';
import type { ChatTransport } from './ChatTransport.js';
import { topicKey } from './topicKey.js';

export interface PendingMessage {
  traceId: string;
  stream: string;
  topic: string;
  content: string;
  createdAt: number;
  failed?: string;
}

export interface ReviewResult {
  result: 'complete' | 'reject';
  votes: VoteMap;
}

export interface Toast {
  id: number;
  text: string;
  tone: 'info' | 'error';
}

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

export class ChatStore {
  readonly streams$ = new BehaviorSubject<StreamInfo[]>([]);
  readonly topics$ = new BehaviorSubject<ReadonlyMap<string, TopicInfo>>(new Map());
  readonly unread$ = new BehaviorSubject<ReadonlyMap<string, number>>(new Map());
  readonly muted$ = new BehaviorSubject<ReadonlySet<string>>(new Set());
  readonly groups$ = new BehaviorSubject<GroupInfo[]>([]);
  readonly members$ = new BehaviorSubject<ReadonlyMap<string, UserRef[]>>(new Map());
  readonly pending$ = new BehaviorSubject<PendingMessage[]>([]);
  readonly reviewResults$ = new BehaviorSubject<ReadonlyMap<string, ReviewResult>>(new Map());
  readonly users$ = new BehaviorSubject<ReadonlyMap<string, string>>(new Map());
  readonly selected$ = new BehaviorSubject<{ stream: string; topic: string } | undefined>(undefined);
  readonly toasts$ = new BehaviorSubject<Toast[]>([]);
  readonly ready$ = new BehaviorSubject(false);

  private readonly messages = new Map<string, BehaviorSubject<Message[]>>();
  private readonly subscription = new Subscription();
  private toastId = 0;

  constructor(
    readonly transport: ChatTransport,
    readonly me: UserRef,
  ) {
    this.rememberUser(me);
    this.subscription.add(transport.outcomes$.subscribe((outcome) => this.apply(outcome)));
    // Each time the connection comes (back) online, refresh the lists and the open topic: pushes
    // missed while offline are replayed by the hub too, and dedupe by message id keeps one copy.
    let wasOnline = false;
    this.subscription.add(
      transport.connection$.subscribe((state) => {
        const online = state === 'online';
        if (online && !wasOnline) void this.refresh();
        wasOnline = online;
      }),
    );
  }

  dispose(): void {
    this.subscription.unsubscribe();
    this.transport.close();
  }

  // ---------------------------------------------------------------- reading

  messages$(stream: string, topic: string): BehaviorSubject<Message[]> {
    const key = topicKey(stream, topic);
    let subject = this.messages.get(key);
    if (!subject) {
      subject = new BehaviorSubject<Message[]>([]);
      this.messages.set(key, subject);
    }
    return subject;
  }

  topicsOf(stream: string): TopicInfo[] {
    return [...this.topics$.value.values()].filter((topic) => topic.stream === stream).sort((a, b) => b.lastSeq - a.lastSeq || a.topic.localeCompare(b.topic));
  }

  userName(userId: string): string {
    return this.users$.value.get(userId) ?? `${userId.slice(0, 8)}…`;
  }

  // ---------------------------------------------------------------- refreshing

  async refresh(): Promise<void> {
    try {
      const [streams, groups, session] = await Promise.all([
        this.transport.request('GetStreams', {}),
        this.transport.request('GetGroups', {}),
        this.transport.request('GetSessionState', {}),
      ]);
      this.streams$.next([...streams.streams].sort(byName));
      this.topics$.next(new Map(streams.topics.map((topic) => [topicKey(topic.stream, topic.topic), topic])));
      this.groups$.next([...groups.groups].sort(byName));
      this.muted$.next(new Set(session.muted.map((ref) => topicKey(ref.stream, ref.topic))));
      this.unread$.next(new Map(session.unread.map((entry) => [topicKey(entry.stream, entry.topic), entry.count])));
      this.ready$.next(true);
      const selected = this.selected$.value;
      if (selected) await this.open(selected.stream, selected.topic);
      else {
        const first = this.streams$.value[0];
        const firstTopic = first && this.topicsOf(first.name)[0];
        if (first && firstTopic) await this.open(first.name, firstTopic.topic);
      }
    } catch (error) {
      this.toast(`Could not load your streams: ${describe(error)}`, 'error');
    }
  }

  /** Opens a topic: loads its history and marks it read on this device. */
  async open(stream: string, topic: string): Promise<void> {
    this.selected$.next({ stream, topic });
    try {
      const history = await this.transport.request('GetHistory', { stream, topic, limit: 100 });
      this.mergeMessages(stream, topic, history.messages);
    } catch (error) {
      // A brand-new topic has no history yet: that is not an error worth showing.
      if (codeOf(error) !== 'not_found') this.toast(`Could not load ${stream} › ${topic}: ${describe(error)}`, 'error');
    }
    await this.markRead(stream, topic);
  }

  async loadMembers(groupId: string): Promise<void> {
    const reply = await this.transport.request('GetGroupMembers', { groupId });
    reply.members.forEach((member) => this.rememberUser(member));
    this.setMembers(groupId, reply.members);
  }

  // ---------------------------------------------------------------- commands

  /** Sends a message. It shows as pending until the hub replies, across reconnects. */
  async send(stream: string, topic: string, content: string): Promise<void> {
    const traceId = `msg-${crypto.randomUUID()}`;
    this.pending$.next([...this.pending$.value, { traceId, stream, topic, content, createdAt: Date.now() }]);
    this.ensureTopic(stream, topic);
    try {
      const reply = await this.transport.request('SendMessage', { stream, topic, content }, traceId);
      this.mergeMessages(stream, topic, [reply.message]);
      this.pending$.next(this.pending$.value.filter((pending) => pending.traceId !== traceId));
      const selected = this.selected$.value;
      if (selected && selected.stream === stream && selected.topic === topic) void this.markRead(stream, topic);
    } catch (error) {
      this.pending$.next(this.pending$.value.map((pending) => (pending.traceId === traceId ? { ...pending, failed: describe(error) } : pending)));
    }
  }

  discardPending(traceId: string): void {
    this.pending$.next(this.pending$.value.filter((pending) => pending.traceId !== traceId));
  }

  async edit(message: Message, content: string): Promise<void> {
    await this.run('edit the message', async () => {
      const reply = await this.transport.request('EditMessage', { messageId: message.messageId, content });
      this.mergeMessages(reply.message.stream, reply.message.topic, [reply.message]);
    });
  }

  async remove(message: Message): Promise<void> {
    await this.run('delete the message', async () => {
      const reply = await this.transport.request('DeleteMessage', { messageId: message.messageId });
      this.mergeMessages(reply.message.stream, reply.message.topic, [reply.message]);
    });
  }

  async markRead(stream: string, topic: string): Promise<void> {
    const messages = this.messages$(stream, topic).value;
    const known = this.topics$.value.get(topicKey(stream, topic))?.lastSeq ?? 0;
    const upTo = Math.max(known, messages.at(-1)?.seq ?? 0);
    this.setUnread(stream, topic, 0);
    if (upTo === 0) return;
    try {
      const reply = await this.transport.request('MarkRead', { stream, topic, upTo });
      this.setUnread(stream, topic, reply.unread);
    } catch {
      // Read cursors are best effort; the next open marks it again.
    }
  }

  async toggleMute(stream: string, topic: string): Promise<void> {
    const muted = this.muted$.value.has(topicKey(stream, topic));
    await this.run(muted ? 'unmute the topic' : 'mute the topic', async () => {
      const reply = muted ? await this.transport.request('UnmuteTopic', { stream, topic }) : await this.transport.request('MuteTopic', { stream, topic });
      this.muted$.next(new Set(reply.muted.map((ref) => topicKey(ref.stream, ref.topic))));
    });
  }

  async createGroup(name: string, description: string): Promise<GroupInfo | undefined> {
    return this.run('create the group', async () => {
      const reply = await this.transport.request('CreateGroup', { name, description });
      this.upsertGroup(reply.group);
      return reply.group;
    });
  }

  async addMember(groupId: string, username: string): Promise<void> {
    await this.run(`add ${username}`, async () => {
      const found = await this.transport.request('FindUser', { username });
      this.rememberUser(found.user);
      const reply = await this.transport.request('AddGroupMember', { groupId, userId: found.user.userId });
      this.addMemberLocally(groupId, reply.member);
    });
  }

  async dismissMember(groupId: string, userId: string): Promise<void> {
    await this.run('remove the member', async () => {
      await this.transport.request('DismissMember', { groupId, userId });
      this.removeMemberLocally(groupId, userId);
    });
  }

  async dissolveGroup(groupId: string): Promise<void> {
    await this.run('dissolve the group', async () => {
      await this.transport.request('DismissGroup', { groupId });
      this.dropGroup(groupId);
    });
  }

  async createStream(stream: string, description: string, groups: string[]): Promise<boolean> {
    const created = await this.run('create the stream', async () => {
      const reply = await this.transport.request('CreateStream', { stream, description, groups });
      this.upsertStream(reply.stream);
      return true;
    });
    return created === true;
  }

  async setStreamGroups(stream: string, groups: string[]): Promise<void> {
    await this.run('change who can see the stream', async () => {
      const reply = await this.transport.request('SetStreamGroups', { stream, groups });
      this.upsertStream(reply.stream);
    });
  }

  async appointReviewer(stream: string, username: string): Promise<void> {
    await this.run(`appoint ${username}`, async () => {
      const found = await this.transport.request('FindUser', { username });
      this.rememberUser(found.user);
      const reply = await this.transport.request('AppointReviewer', { stream, reviewer: found.user.userId });
      this.setReviewers(stream, reply.reviewers);
    });
  }

  async dismissReviewer(stream: string, reviewer: string): Promise<void> {
    await this.run('dismiss the reviewer', async () => {
      const reply = await this.transport.request('DismissReviewer', { stream, reviewer });
      this.setReviewers(stream, reply.reviewers);
    });
  }

  async setTopicStatus(stream: string, topic: string, status: TopicInfo['status']): Promise<void> {
    await this.run('change the topic status', async () => {
      const reply = await this.transport.request('SetTopicStatus', { stream, topic, status });
      this.upsertTopic(reply.topic);
      if (status === 'under_review') this.dropReviewResult(stream, topic);
    });
  }

  async vote(stream: string, topic: string, vote: 'yes' | 'no'): Promise<void> {
    await this.run('vote', async () => {
      const reply = await this.transport.request('Vote', { stream, topic, vote });
      this.patchTopic(stream, topic, { votes: reply.votes });
    });
  }

  toast(text: string, tone: Toast['tone'] = 'info'): void {
    const id = ++this.toastId;
    this.toasts$.next([...this.toasts$.value, { id, text, tone }].slice(-4));
    setTimeout(() => this.toasts$.next(this.toasts$.value.filter((toast) => toast.id !== id)), tone === 'error' ? 8000 : 4000);
  }

  // ---------------------------------------------------------------- outcomes

  private apply(outcome: Outcome): void {
    switch (outcome.type) {
      case 'NewMessage': {
        const { message } = outcome;
        const isNew = !this.messages$(message.stream, message.topic).value.some((known) => known.messageId === message.messageId);
        this.mergeMessages(message.stream, message.topic, [message]);
        const selected = this.selected$.value;
        const open = selected?.stream === message.stream && selected.topic === message.topic && document.visibilityState === 'visible';
        if (message.senderId === this.me.userId) break;
        if (open) void this.markRead(message.stream, message.topic);
        else if (isNew) {
          const key = topicKey(message.stream, message.topic);
          this.setUnread(message.stream, message.topic, (this.unread$.value.get(key) ?? 0) + 1);
        }
        break;
      }
      case 'MessageEdited':
        this.mergeMessages(outcome.message.stream, outcome.message.topic, [outcome.message]);
        break;
      case 'MessageDeleted': {
        const subject = this.messages$(outcome.stream, outcome.topic);
        subject.next(subject.value.map((message) => (message.messageId === outcome.messageId ? { ...message, deleted: true, content: '' } : message)));
        break;
      }
      case 'StreamCreated':
      case 'StreamGroupsChanged':
      case 'StreamRevealed':
        this.upsertStream(outcome.stream);
        if (outcome.type === 'StreamRevealed') void this.refresh();
        break;
      case 'StreamHidden':
        this.streams$.next(this.streams$.value.filter((stream) => stream.name !== outcome.stream));
        if (this.selected$.value?.stream === outcome.stream) this.selected$.next(undefined);
        break;
      case 'TopicStatusChanged':
        this.patchTopic(outcome.stream, outcome.topic, outcome.status === 'under_review' ? { status: outcome.status, votes: {} } : { status: outcome.status });
        if (outcome.status === 'under_review') this.dropReviewResult(outcome.stream, outcome.topic);
        break;
      case 'NewReviewer':
      case 'ReviewerDismissed': {
        const stream = this.streams$.value.find((known) => known.name === outcome.stream);
        if (!stream) break;
        const reviewers = new Set(stream.reviewers);
        if (outcome.type === 'NewReviewer') reviewers.add(outcome.reviewer);
        else reviewers.delete(outcome.reviewer);
        this.setReviewers(outcome.stream, [...reviewers].sort());
        break;
      }
      case 'VoteUpdated':
        this.patchTopic(outcome.stream, outcome.topic, { votes: outcome.votes });
        break;
      case 'ReviewConcluded': {
        const results = new Map(this.reviewResults$.value);
        results.set(topicKey(outcome.stream, outcome.topic), { result: outcome.result, votes: outcome.votes });
        this.reviewResults$.next(results);
        this.patchTopic(outcome.stream, outcome.topic, { votes: outcome.votes, status: outcome.result });
        break;
      }
      case 'NewGroup':
        this.upsertGroup(outcome.group);
        break;
      case 'GroupDissolved':
        this.dropGroup(outcome.groupId);
        break;
      case 'NewMember':
        this.rememberUser(outcome.member);
        this.addMemberLocally(outcome.groupId, outcome.member);
        break;
      case 'MemberDismissed':
        if (outcome.userId === this.me.userId) this.dropGroup(outcome.groupId);
        else this.removeMemberLocally(outcome.groupId, outcome.userId);
        break;
      case 'TimeOut':
        this.toast(`The hub gave up on ${outcome.command} after ${outcome.afterMs} ms; nothing changed.`, 'error');
        break;
    }
  }

  // ---------------------------------------------------------------- local state

  private mergeMessages(stream: string, topic: string, incoming: Message[]): void {
    if (incoming.length === 0) return;
    const subject = this.messages$(stream, topic);
    const byId = new Map(subject.value.map((message) => [message.messageId, message]));
    for (const message of incoming) {
      byId.set(message.messageId, message);
      this.rememberUser({ userId: message.senderId, username: message.senderName });
    }
    subject.next([...byId.values()].sort((a, b) => a.seq - b.seq));
    const lastSeq = Math.max(...incoming.map((message) => message.seq));
    const known = this.topics$.value.get(topicKey(stream, topic));
    if (!known) this.upsertTopic({ stream, topic, status: 'discussion', votes: {}, lastSeq });
    else if (known.lastSeq < lastSeq) this.patchTopic(stream, topic, { lastSeq });
  }

  private ensureTopic(stream: string, topic: string): void {
    if (!this.topics$.value.has(topicKey(stream, topic))) this.upsertTopic({ stream, topic, status: 'discussion', votes: {}, lastSeq: 0 });
  }

  private upsertTopic(topic: TopicInfo): void {
    const topics = new Map(this.topics$.value);
    topics.set(topicKey(topic.stream, topic.topic), topic);
    this.topics$.next(topics);
  }

  private patchTopic(stream: string, topic: string, patch: Partial<TopicInfo>): void {
    const known = this.topics$.value.get(topicKey(stream, topic)) ?? { stream, topic, status: 'discussion' as const, votes: {}, lastSeq: 0 };
    this.upsertTopic({ ...known, ...patch });
  }

  private dropReviewResult(stream: string, topic: string): void {
    const results = new Map(this.reviewResults$.value);
    if (results.delete(topicKey(stream, topic))) this.reviewResults$.next(results);
  }

  private setUnread(stream: string, topic: string, count: number): void {
    const key = topicKey(stream, topic);
    if ((this.unread$.value.get(key) ?? 0) === count) return;
    const unread = new Map(this.unread$.value);
    if (count === 0) unread.delete(key);
    else unread.set(key, count);
    this.unread$.next(unread);
  }

  private upsertStream(stream: StreamInfo): void {
    this.streams$.next([...this.streams$.value.filter((known) => known.name !== stream.name), stream].sort(byName));
  }

  private setReviewers(streamName: string, reviewers: string[]): void {
    const stream = this.streams$.value.find((known) => known.name === streamName);
    if (stream) this.upsertStream({ ...stream, reviewers });
  }

  private upsertGroup(group: GroupInfo): void {
    this.groups$.next([...this.groups$.value.filter((known) => known.groupId !== group.groupId), group].sort(byName));
  }

  private dropGroup(groupId: string): void {
    this.groups$.next(this.groups$.value.filter((group) => group.groupId !== groupId));
    const members = new Map(this.members$.value);
    members.delete(groupId);
    this.members$.next(members);
  }

  private setMembers(groupId: string, list: UserRef[]): void {
    const members = new Map(this.members$.value);
    members.set(groupId, [...list].sort((a, b) => a.username.localeCompare(b.username)));
    this.members$.next(members);
  }

  private addMemberLocally(groupId: string, member: UserRef): void {
    const list = this.members$.value.get(groupId) ?? [];
    if (!list.some((known) => known.userId === member.userId)) this.setMembers(groupId, [...list, member]);
  }

  private removeMemberLocally(groupId: string, userId: string): void {
    const list = this.members$.value.get(groupId);
    if (list) this.setMembers(groupId, list.filter((member) => member.userId !== userId));
  }

  private rememberUser(user: UserRef): void {
    if (this.users$.value.get(user.userId) === user.username) return;
    const users = new Map(this.users$.value);
    users.set(user.userId, user.username);
    this.users$.next(users);
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

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
