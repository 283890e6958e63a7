// An extension's persistent state: JSON values under keys of its choosing, in the generic extension_records table
// (one table for every extension; the hub's schema never changes per extension). Writes go through the command's
// transaction, so they commit with its reply and its events or not at all, and a resent command never writes twice.
import type { ExtensionRecord, DomainStore } from '../store/Store.js';
import { CommandError } from '../commands/CommandError.js';

/** A record's JSON may not exceed this many bytes: an extension's state is for small documents, not files. */
export const MAX_EXTENSION_RECORD_BYTES = 64 * 1024;
/** Keys: 1–512 characters, no control characters (they sort and range-scan as text). */
const KEY = /^[^\u0000-\u001f\u007f]{1,512}$/u;
/** At most this many records per list call. */
export const MAX_EXTENSION_RECORDS_PAGE = 1000;

export interface ExtensionRecords {
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Inserts or replaces. Only in write commands. */
  put(key: string, value: unknown): Promise<void>;
  /** Deletes; true when the record existed. Only in write commands. */
  delete(key: string): Promise<boolean>;
  /** Records whose key starts with `prefix`, ascending by key; page on with `after` = the last key seen. */
  list(prefix: string, options?: { limit?: number; after?: string }): Promise<ExtensionRecord[]>;
}

export function extensionRecords(tx: DomainStore, extension: string, now: number, writable: boolean): ExtensionRecords {
  const checkKey = (key: string) => {
    if (!KEY.test(key)) throw new TypeError(`extension ${extension}: record key ${JSON.stringify(key).slice(0, 80)} must be 1-512 characters without control characters`);
  };
  const checkWritable = (what: string) => {
    if (!writable) throw new TypeError(`extension ${extension}: records.${what} in a query; only write commands change state`);
  };
  return {
    async get<T>(key: string): Promise<T | undefined> {
      checkKey(key);
      return (await tx.extensionRecord(extension, key))?.value as T | undefined;
    },
    async put(key, value) {
      checkKey(key);
      checkWritable('put');
      const json = JSON.stringify(value);
      if (json === undefined) throw new TypeError(`extension ${extension}: record "${key}" is not a JSON value`);
      if (Buffer.byteLength(json) > MAX_EXTENSION_RECORD_BYTES) {
        throw new CommandError('payload_too_large', `extension ${extension}: record "${key}" would be ${Buffer.byteLength(json)} bytes; the limit is ${MAX_EXTENSION_RECORD_BYTES}`);
      }
      await tx.putExtensionRecord(extension, key, JSON.parse(json) as unknown, now);
    },
    async delete(key) {
      checkKey(key);
      checkWritable('delete');
      return tx.deleteExtensionRecord(extension, key);
    },
    async list(prefix, options = {}) {
      if (prefix !== '') checkKey(prefix);
      const limit = Math.min(Math.max(1, Math.floor(options.limit ?? 100)), MAX_EXTENSION_RECORDS_PAGE);
      return tx.extensionRecords(extension, prefix, limit, options.after);
    },
  };
}
