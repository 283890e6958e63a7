// What one user may hold across all its devices: open WebSocket connections (capped) and a command token bucket
// shared by them (twenty devices do not get twenty times the command rate). An entry lives while the user has a
// connection.
import type { HubLimits } from './HubLimits.js';
import { TokenBucket } from './TokenBucket.js';

interface UserQuota {
  connections: number;
  commands: TokenBucket;
}

export class UserQuotas {
  private readonly users = new Map<string, UserQuota>();

  constructor(private readonly limits: Pick<HubLimits, 'maxConnectionsPerUser' | 'userCommandsPerSecond' | 'userCommandBurst'>) {}

  /** Takes a connection slot for the user; false when it already holds maxConnectionsPerUser. */
  open(userId: string): boolean {
    let quota = this.users.get(userId);
    if (!quota) this.users.set(userId, (quota = { connections: 0, commands: new TokenBucket(this.limits.userCommandsPerSecond, this.limits.userCommandBurst) }));
    if (quota.connections >= this.limits.maxConnectionsPerUser) return false;
    quota.connections++;
    return true;
  }

  close(userId: string): void {
    const quota = this.users.get(userId);
    if (quota && --quota.connections <= 0) this.users.delete(userId);
  }

  /** The user's shared command bucket (a throwaway one if the user has no open connection). */
  commands(userId: string): TokenBucket {
    return this.users.get(userId)?.commands ?? new TokenBucket(this.limits.userCommandsPerSecond, this.limits.userCommandBurst);
  }
}
