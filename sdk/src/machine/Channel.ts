// A channel: one event source (an Observable) enabled by its owner machine. Each emission becomes
// a delivery tagged `tag`, traced `from OS`. Disabling unsubscribes the source and drops any of
// its deliveries still queued, so a stopped timer never fires late (the seed's RX leaving WORK).
import type { Subscription } from 'rxjs';

export interface ChannelConfig {
  /**
   * When the engine disables the channel by itself: `'leave'` (default) when the owner leaves the
   * state it was enabled in, `'stop'` only when the engine stops.
   */
  readonly until?: 'leave' | 'stop';
}

export class Channel {
  private isActive = true;
  /** @internal set by the owner right after subscribing */
  subscription: Subscription | null = null;

  constructor(
    /** The tag deliveries from this channel carry. */
    readonly tag: string,
  ) {}

  /** False once disabled: queued deliveries from this channel are dropped. */
  get active(): boolean {
    return this.isActive;
  }

  /** Stops the source (unsubscribes). Idempotent. */
  disable(): void {
    if (!this.isActive) return;
    this.isActive = false;
    const subscription = this.subscription;
    this.subscription = null;
    subscription?.unsubscribe();
  }
}
