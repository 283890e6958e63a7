// The polls of the hub's example extension (node-server/extensions/poll) as the web demo shows them: the polls of
// each topic, kept live by the extension's `pollUpdated` events and loaded with its `list` query when a topic is
// opened (after a reload or a reconnect, the events the page missed are in that list).
import { BehaviorSubject, distinctUntilChanged, map, Subscription, type Observable } from 'rxjs';
import { ImError, topicKey, type ExtensionClient, type ImClient } from '@stage/sdk/im';
import { pollExtension, type Poll } from './pollExtension.js';

const noPolls: readonly Poll[] = [];

export class PollStore {
  /** topicKey → the topic's polls, oldest first. */
  readonly polls$ = new BehaviorSubject<ReadonlyMap<string, readonly Poll[]>>(new Map());

  private readonly polls: ExtensionClient<typeof pollExtension>;
  private readonly subscription = new Subscription();
  /** Counts the pushed updates; `pushedAt` has the count at each poll's latest one. */
  private pushes = 0;
  private readonly pushedAt = new Map<string, number>();

  /**
   * Binds the extension to `client` (before the page issues any poll command: the client refuses commands of an
   * extension it does not know). `report` tells the user about a command that failed.
   */
  constructor(
    client: ImClient,
    private readonly report: (text: string) => void,
  ) {
    this.polls = client.extension(pollExtension);
    this.subscription.add(
      this.polls.events$.subscribe(({ data }) => {
        this.pushedAt.set(data.poll.pollId, ++this.pushes);
        this.put(data.poll);
      }),
    );
  }

  dispose(): void {
    this.subscription.unsubscribe();
  }

  /** The polls of one topic, oldest first; emits only when they change. */
  pollsOf$(stream: string, topic: string): Observable<readonly Poll[]> {
    const key = topicKey(stream, topic);
    return this.polls$.pipe(
      map((all) => all.get(key) ?? noPolls),
      distinctUntilChanged(),
    );
  }

  /**
   * Loads a topic's polls from the hub (the `list` query); a failure is reported and keeps what is shown. A hub
   * started without the extension has no polls to show: that is not worth a notice on every topic opened.
   */
  async load(stream: string, topic: string): Promise<void> {
    await this.request(
      'load the polls',
      async (fresh) => {
        const { polls } = await this.polls.list({ stream, topic });
        for (const poll of polls) fresh(poll);
      },
      hubLacksExtension,
    );
  }

  /** Creates a poll in a topic; resolves false when the hub refused it (reported). */
  async create(stream: string, topic: string, question: string, options: string[]): Promise<boolean> {
    return this.request('create the poll', async (fresh) => fresh((await this.polls.create({ stream, topic, question, options })).poll));
  }

  /** My vote on `poll` (an option index); voting again changes it. */
  async vote(poll: Poll, option: number): Promise<boolean> {
    return this.request('vote', async (fresh) => fresh((await this.polls.vote({ stream: poll.stream, topic: poll.topic, pollId: poll.pollId, option })).poll));
  }

  /**
   * Runs a command or query whose answer carries polls. A reply can be older than an event pushed while it was on
   * its way (someone voted in between), so `fresh` keeps a poll only if no event updated it since the request left.
   */
  private async request(what: string, work: (fresh: (poll: Poll) => void) => Promise<void>, quiet: (error: unknown) => boolean = () => false): Promise<boolean> {
    const sentAt = this.pushes;
    try {
      await work((poll) => {
        if ((this.pushedAt.get(poll.pollId) ?? 0) <= sentAt) this.put(poll);
      });
      return true;
    } catch (error) {
      if (!quiet(error)) this.report(`Could not ${what}: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  }

  /** Puts a poll in (or replaces it in) its topic's list, keeping the list oldest first. */
  private put(poll: Poll): void {
    const key = topicKey(poll.stream, poll.topic);
    const current = this.polls$.value.get(key) ?? noPolls;
    const others = current.filter((known) => known.pollId !== poll.pollId);
    const next = new Map(this.polls$.value);
    next.set(key, [...others, poll].sort((a, b) => a.createdAt - b.createdAt || (a.pollId < b.pollId ? -1 : 1)));
    this.polls$.next(next);
  }
}

/** The hub's refusal of a command naming an extension it does not run (started without `--extension`). */
function hubLacksExtension(error: unknown): boolean {
  return error instanceof ImError && error.code === 'not_found' && error.path?.[1] === 'ext';
}
