// Store reads the registry starts and does not wait for. The registry handles one message at a time; when it awaited
// a store read (a device's replay page, its outcome bounds on join), every other delivery of the hub waited with it,
// on PostgreSQL behind the commands queued for a pooled connection. Replay pages now run here, a few lanes at a time
// (one user's reads stay in order on one lane), and their answers come back to the registry as messages. (Joining
// devices' bounds are read many users at a time: JoinBounds.)
import { WorkQueue } from '@stage/sdk';

/** Lanes: reads of different users run side by side up to this many (a PostgreSQL pool serves several at once). */
const lanes = 4;

export class BackgroundReads {
  private readonly queues: Array<WorkQueue<() => Promise<void>>> = [];

  constructor(onError: (error: unknown) => void) {
    for (let i = 0; i < lanes; i++) {
      this.queues.push(new WorkQueue<() => Promise<void>>((read) => read(), { onError: (error) => onError(error) }));
    }
  }

  /**
   * Runs `read` on the user's lane. The registry starts at most one read per device at a time, so what waits here
   * is bounded by the devices connected.
   */
  run(userId: string, read: () => Promise<void>): void {
    let hash = 0;
    for (let i = 0; i < userId.length; i++) hash = (hash * 31 + userId.charCodeAt(i)) | 0;
    this.queues[Math.abs(hash) % lanes]!.offer(read);
  }

  close(): void {
    for (const q of this.queues) q.close();
  }
}
