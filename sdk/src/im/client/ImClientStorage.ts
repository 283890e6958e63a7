// Where an ImClient keeps what must survive a reload or restart: the outbox (commands not yet answered), the
// device record (session id and key, last processed outcome id) and the sealed log of each session. The web app
// passes IndexedDB-backed ones, Node passes file-backed ones, tests use memoryStorage().
// Storage belongs to one user: what one user queued, sealed or read must never be sent or shown as another's, so
// the persistent storages are keyed by user and an ImClient refuses a token of any other user (see ImClient).
import type { MailboxBacking } from '../../mailbox/MailboxBacking.js';
import { MemoryMailboxBacking } from '../../mailbox/MemoryMailboxBacking.js';
import { MemoryLogStore } from '../../seal/MemoryLogStore.js';
import type { SealedLogStore } from '../../seal/SealedLogStore.js';
import type { Command } from '../protocol/commands.js';
import type { ImStateSnapshot } from './stateSnapshot.js';

/** One queued command. */
export interface OutboxItem {
  readonly command: Command;
  /** ms since epoch when it was issued. */
  readonly issuedAt: number;
}

/** What the device remembers between runs. */
export interface DeviceRecord {
  readonly userId: string;
  readonly sessionId: string;
  /** Session key, hex. */
  readonly key: string;
  /** Highest outcome id processed (and acked). */
  readonly lastOutcomeId: number;
}

export interface ImClientStorage {
  /** The user whose data this is (set by the user-keyed storages); an ImClient over it refuses any other user. */
  readonly userId?: string;
  /** Backing of the outbox mailbox. */
  readonly outbox: MailboxBacking<OutboxItem>;
  /** A one-entry store for the device record (entry id 1); any MailboxBacking works. */
  readonly device: MailboxBacking<DeviceRecord>;
  /** The log of one session; called with a new id when the hub starts a new session. */
  openLog(sessionId: string): SealedLogStore<Command> | Promise<SealedLogStore<Command>>;
  /** Forget the log of a session that will not be used again (optional). */
  dropLog?(sessionId: string): void | Promise<void>;
  /**
   * Optional: a one-entry store (entry id 1) for the last local state, so a reload without the hub still shows it
   * (see stateSnapshot.ts). Without it a reload starts empty until the hub answers.
   */
  readonly snapshot?: MailboxBacking<ImStateSnapshot>;
  /** Release files / database connections; ImClient.close() calls it after closing the outbox and the log. */
  close?(): void | Promise<void>;
  /** Deletes everything this storage holds (outbox, device record, every log); called after close() on sign-out. */
  wipe?(): Promise<void>;
}

/** Everything in memory: survives reconnects, not a reload. `userId` marks whose data it is (optional). */
export function memoryStorage(userId?: string): ImClientStorage {
  const logs = new Map<string, SealedLogStore<Command>>();
  const outbox = new MemoryMailboxBacking<OutboxItem>();
  const device = new MemoryMailboxBacking<DeviceRecord>();
  const snapshot = new MemoryMailboxBacking<ImStateSnapshot>();
  return {
    ...(userId !== undefined ? { userId } : {}),
    outbox,
    device,
    snapshot,
    openLog(sessionId) {
      let log = logs.get(sessionId);
      if (!log) {
        const inner = new MemoryLogStore<Command>();
        // Closing is a no-op so a second client over the same storage (a modelled restart) finds the chain.
        log = {
          append: (entries) => inner.append(entries),
          read: (fromSeq, limit) => inner.read(fromSeq, limit),
          length: () => inner.length(),
          last: () => inner.last(),
          checkpoint: () => inner.checkpoint(),
          compact: (checkpoint) => inner.compact(checkpoint),
          close: async () => {},
        };
        logs.set(sessionId, log);
      }
      return log;
    },
    dropLog(sessionId) {
      logs.delete(sessionId);
    },
    async wipe() {
      logs.clear();
      outbox.entries.clear();
      device.entries.clear();
      snapshot.entries.clear();
    },
  };
}
