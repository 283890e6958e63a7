// What an extension's handler gets: who is asking, the store (the command's transaction for a write, the store itself
// for a query), the extension's own records, and `emit` to push an event to an audience. Events are appended to each
// recipient's outcome log in the same transaction as the command's reply and published after the commit, exactly as
// the built-in commands' outcomes: a handler never talks to sockets.
import type { z } from 'zod';
import type { ErrorCode, ExtensionEventDefs } from '@stage/sdk/im';
import type { DomainStore, StreamRecord } from '../store/Store.js';
import type { ExtensionRecords } from './ExtensionRecords.js';

/**
 * Who receives an event: the users who can see a stream (members of its groups, at the time of the command), or
 * named users. A recipient must be allowed to know what the event says: `{ stream }` is the usual choice for
 * anything that happens in a stream, `{ users: [ctx.userId] }` for something private to the caller.
 */
export type Audience = { readonly stream: string } | { readonly users: readonly string[] };

export interface ExtensionContext<E extends ExtensionEventDefs = ExtensionEventDefs> {
  /** The user the command runs as (a bot user for the publish API). */
  readonly userId: string;
  /** The device it came from (`api` for the publish API). */
  readonly deviceId: string;
  /** The command's time (ms since the epoch): use it rather than Date.now() so one command sees one time. */
  readonly now: number;
  /** A fresh random id. */
  newId(): string;
  /** The hub's domain (not its outcome or reply logs): inside a write command's transaction (everything commits with the reply or not at all). */
  readonly tx: DomainStore;
  /** This extension's records (the extension_records table, keyed by this extension's name). */
  readonly records: ExtensionRecords;
  /**
   * Pushes an event (checked by its schema in the definition) to the audience, in the command's transaction.
   * Only write commands may emit: a query changes nothing.
   */
  emit<K extends keyof E & string>(event: K, data: z.input<E[K]>, to: Audience): Promise<void>;
  /** The stream when the caller can see it; otherwise the command is refused not_found (as a missing stream). */
  requireVisibleStream(stream: string, path?: Array<string | number>): Promise<StreamRecord>;
  /** Refuses the command with a typed error (nothing it wrote is kept). */
  fail(code: ErrorCode, message: string, path?: Array<string | number>): never;
}
