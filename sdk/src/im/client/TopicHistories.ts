// What paging through each topic's history found so far (ImClient.loadHistory, topicHistory$): whether a page is
// loading, and whether older messages exist on the hub than the oldest loaded.
import { BehaviorSubject, distinctUntilChanged, map, type Observable } from 'rxjs';

/** What paging through one topic's history found so far (ImClient.topicHistory$). */
export interface TopicHistory {
  /** A page of the topic is being loaded. */
  readonly loading: boolean;
  /** Whether older messages exist on the hub than the oldest loaded; undefined until a page was loaded. */
  readonly hasOlder: boolean | undefined;
}

const notLoaded: TopicHistory = { loading: false, hasOlder: undefined };

export class TopicHistories {
  readonly #history$ = new BehaviorSubject<ReadonlyMap<string, TopicHistory>>(new Map());
  /** Pages loading, by topic key. */
  readonly #loads = new Map<string, number>();
  readonly #closed: () => boolean;

  constructor(closed: () => boolean) {
    this.#closed = closed;
  }

  get(key: string): TopicHistory | undefined {
    return this.#history$.value.get(key);
  }

  /** A page started (+1) or ended (−1) loading, and what it said of older messages. */
  note(key: string, change: { loading: 1 | -1; hasOlder?: boolean }): void {
    if (this.#closed()) return;
    const before = this.get(key) ?? notLoaded;
    const loadingPages = (this.#loads.get(key) ?? 0) + change.loading;
    this.#loads.set(key, loadingPages);
    const next: TopicHistory = { loading: loadingPages > 0, hasOlder: change.hasOlder ?? before.hasOlder };
    if (next.loading === before.loading && next.hasOlder === before.hasOlder) return;
    this.#history$.next(new Map(this.#history$.value).set(key, next));
  }

  of$(key: string): Observable<TopicHistory> {
    return this.#history$.pipe(
      map((all) => all.get(key) ?? notLoaded),
      distinctUntilChanged(),
    );
  }
}
