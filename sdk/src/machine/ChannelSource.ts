// An event source that is an ordinary RxJS Observable for everyone, with a fast path for the
// engine: a machine's channel watches it directly (no Subscriber, no teardown closure), which
// matters when a channel is enabled and disabled on every request (RX and TX do, four times a
// round trip). The byte channels' readable$/writable$/hangup$ are ChannelSources.
import { Observable } from 'rxjs';

/** What a ChannelSource emits to: a machine's Channel or an RxJS subscriber. */
export interface SourceWatcher<T> {
  next(value: T): void;
}

export interface ChannelSourceConfig<T> {
  /** True when a new watcher must hear about a level that already holds (bytes buffered, a hang-up that happened). */
  readonly level?: () => boolean;
  /** The value announced for that level. Default undefined (readiness sources emit nothing). */
  readonly value?: () => T;
  /** Deliver at most one value per watcher, then forget it (hang-ups). Default false. */
  readonly once?: boolean | undefined;
}

export class ChannelSource<T> extends Observable<T> {
  // An array, not a Set: a source almost always has zero or one watcher.
  private watchers: SourceWatcher<T>[] = [];
  private readonly level: (() => boolean) | null;
  private readonly value: (() => T) | null;
  private readonly once: boolean;

  constructor(config: ChannelSourceConfig<T> = {}) {
    super((subscriber) => {
      this.watch(subscriber);
      return () => this.unwatch(subscriber);
    });
    this.level = config.level ?? null;
    this.value = config.value ?? null;
    this.once = config.once ?? false;
  }

  /** Number of current watchers. */
  get watching(): number {
    return this.watchers.length;
  }

  /** Starts delivering to `watcher` (the engine's fast path; `subscribe` for everyone else). */
  watch(watcher: SourceWatcher<T>): void {
    if (this.level !== null && this.level()) {
      watcher.next((this.value === null ? undefined : this.value()) as T);
      if (this.once) return;
    }
    this.watchers.push(watcher);
  }

  unwatch(watcher: SourceWatcher<T>): void {
    const watchers = this.watchers;
    const at = watchers.indexOf(watcher);
    if (at < 0) return;
    if (watchers.length === 1) this.watchers = [];
    else {
      // Copy on write: an emit() iterating the old array is not disturbed.
      const rest = watchers.slice();
      rest.splice(at, 1);
      this.watchers = rest;
    }
  }

  /** Delivers `value` to every watcher (and forgets them all when `once`). */
  emit(value: T): void {
    const watchers = this.watchers;
    if (watchers.length === 0) return;
    if (this.once) this.watchers = [];
    // Watchers added while emitting wait for the next emission; removals copy the array.
    const count = watchers.length;
    for (let i = 0; i < count; i++) watchers[i]!.next(value);
  }
}
