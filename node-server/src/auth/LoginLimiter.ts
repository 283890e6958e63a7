// Slows password guessing two ways: a token bucket per client address (register and login both cost an scrypt
// hash), and a lock per username that grows with each failure past a threshold, so guessing one account's password
// from many addresses is as slow as from one. Both maps are bounded LRUs.
import { TokenBucket } from '../hub/TokenBucket.js';
import { LruMap } from './LruMap.js';

export interface LoginLimiterConfig {
  perSecond: number;
  burst: number;
  failuresBeforeLock: number;
  lockMs: number;
  maxLockMs: number;
  entries: number;
  now?: () => number;
}

interface Failures {
  count: number;
  lockedUntil: number;
}

export class LoginLimiter {
  private readonly addresses: LruMap<string, TokenBucket>;
  private readonly usernames: LruMap<string, Failures>;
  private readonly now: () => number;

  constructor(private readonly config: LoginLimiterConfig) {
    this.addresses = new LruMap(config.entries);
    this.usernames = new LruMap(config.entries);
    this.now = config.now ?? Date.now;
  }

  /** Takes an attempt for this address: 0 when allowed, else the ms to wait. */
  address(address: string): number {
    let bucket = this.addresses.get(address);
    if (!bucket) this.addresses.set(address, (bucket = new TokenBucket(this.config.perSecond, this.config.burst, this.now)));
    return bucket.take();
  }

  /** Ms until this username may try again (0: now). */
  lockedFor(username: string): number {
    const failures = this.usernames.get(username);
    return failures ? Math.max(0, failures.lockedUntil - this.now()) : 0;
  }

  failed(username: string): void {
    const failures = this.usernames.get(username) ?? { count: 0, lockedUntil: 0 };
    failures.count++;
    const over = failures.count - this.config.failuresBeforeLock;
    if (over >= 0) failures.lockedUntil = this.now() + Math.min(this.config.maxLockMs, this.config.lockMs * 2 ** Math.min(over, 30));
    this.usernames.set(username, failures);
  }

  succeeded(username: string): void {
    this.usernames.delete(username);
  }
}
