// A channel: one event source (an Observable, or a timer) enabled by its owner machine. Each
// emission becomes a delivery tagged `tag`, traced `from OS`. Disabling unsubscribes the source
// and drops any of its deliveries still queued, so a stopped timer never fires late (the seed's
// RX leaving WORK).
import type { Observer, Subscription } from 'rxjs';
import type { ChannelSource } from './ChannelSource.js';

export interface ChannelConfig {
  /**
   * When the engine disables the channel by itself: `'leave'` (default) when the owner leaves the
   * state it was enabled in, `'stop'` only when the engine stops.
   */
  readonly until?: 'leave' | 'stop' | undefined;
}

/** Where a channel's emissions go (the engine). */
export interface ChannelSink {
  enqueueEvent(target: unknown, channel: Channel, payload: unknown): void;
  channelFailed(machine: string, tag: string, error: unknown): void;
}

export class Channel implements Observer<unknown> {
  private isActive = true;
  private subscription: Subscription | null = null;
  private source: ChannelSource<unknown> | null = null;
  private timeout: ReturnType<typeof setTimeout> | undefined = undefined;

  /** @internal channels are made by `Machine.on` / `Machine.timer` */
  constructor(
    /** The tag deliveries from this channel carry. */
    readonly tag: string,
    private readonly owner: { readonly name: string },
    private readonly sink: ChannelSink,
  ) {}

  /** False once disabled: queued deliveries from this channel are dropped. */
  get active(): boolean {
    return this.isActive;
  }

  /** Stops the source (unsubscribes, or clears the timer). Idempotent. */
  disable(): void {
    if (!this.isActive) return;
    this.isActive = false;
    if (this.timeout !== undefined) {
      clearTimeout(this.timeout);
      this.timeout = undefined;
    }
    const source = this.source;
    if (source !== null) {
      this.source = null;
      source.unwatch(this);
    }
    const subscription = this.subscription;
    if (subscription !== null) {
      this.subscription = null;
      subscription.unsubscribe();
    }
  }

  /** @internal Observer face: the source emitted. */
  next(value: unknown): void {
    this.sink.enqueueEvent(this.owner, this, value);
  }

  /** @internal Observer face: a source error is a bug in the source; the engine stops. */
  error(error: unknown): void {
    this.sink.channelFailed(this.owner.name, this.tag, error);
  }

  /** @internal Observer face: a completed source (a one-shot timer) simply goes quiet. */
  complete(): void {}

  /** @internal */
  attach(subscription: Subscription): void {
    if (this.isActive) this.subscription = subscription;
    else subscription.unsubscribe();
  }

  /** @internal the fast path for ChannelSources: watch directly, no Subscriber */
  watch(source: ChannelSource<unknown>): void {
    source.watch(this);
    if (this.isActive) this.source = source;
    else source.unwatch(this);
  }

  /** @internal a one-shot timer without an Observable around it (the hot path of RX's T0). */
  startTimer(delayMs: number): void {
    this.timeout = setTimeout(fireTimer, delayMs, this);
  }

  /** @internal */
  timerFired(): void {
    this.timeout = undefined;
    this.next(undefined);
  }
}

// One shared callback for every timer channel: no closure per timer on the hot path.
function fireTimer(channel: Channel): void {
  channel.timerFired();
}
