// A MailboxBacking in one journal file (Node), so an outbox survives a process restart. Every
// put and delete is appended as a JSON line; ops issued in the same tick are written together and
// made durable with one fdatasync before any of them resolves. Reopening replays the journal; a
// torn last line (crash mid-write) is dropped. When most lines are dead the journal is compacted:
// the live entries are written to a new file, synced, and renamed over the old one (atomic).
import { open, rename, type FileHandle } from 'node:fs/promises';
import type { MailboxBacking, MailboxEntry } from '../mailbox/MailboxBacking.js';
import { LogStoreError } from '../seal/LogStoreError.js';

export interface FileMailboxBackingConfig {
  readonly path: string;
  /** 'strict' (default): fdatasync before an op resolves. 'relaxed': leave flushing to the OS. */
  readonly durability?: 'strict' | 'relaxed' | undefined;
  /** Compact when the journal has more than this many lines and more than twice the live entries. Default 1024. */
  readonly compactAfter?: number | undefined;
}

type Line<T> = { readonly put: MailboxEntry<T> } | { readonly delete: number };

export class FileMailboxBacking<T> implements MailboxBacking<T> {
  readonly path: string;
  /** Bytes of a torn last line dropped when opening, if any. */
  readonly droppedBytes: number;
  readonly #strict: boolean;
  readonly #compactAfter: number;
  readonly #live: Map<number, MailboxEntry<T>>;
  #handle: FileHandle;
  #lines: number;
  #size: number;
  #pending: { readonly lines: string[]; readonly applies: Array<() => void>; readonly done: Promise<void> } | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  static async open<T>(config: FileMailboxBackingConfig): Promise<FileMailboxBacking<T>> {
    const handle = await open(config.path, 'a+');
    try {
      const text = (await handle.readFile()).toString('utf8');
      const live = new Map<number, MailboxEntry<T>>();
      const lines = text.split('\n');
      const tail = lines.pop()!; // '' when the file ends with a newline
      let dropped = Buffer.byteLength(tail);
      let count = 0;
      for (let i = 0; i < lines.length; i++) {
        let line: Line<T>;
        try {
          line = JSON.parse(lines[i]!) as Line<T>;
          if (!('put' in line) && !('delete' in line)) throw new Error('neither put nor delete');
        } catch (error) {
          if (i === lines.length - 1) {
            dropped += Buffer.byteLength(lines[i]!) + 1;
            break;
          }
          throw new LogStoreError('corrupt', `FileMailboxBacking ${config.path}: line ${i + 1} is damaged; refusing to guess what the mailbox held`, { cause: error });
        }
        count++;
        if ('put' in line) live.set(line.put.id, line.put);
        else live.delete(line.delete);
      }
      const size = Buffer.byteLength(text) - dropped;
      if (dropped > 0) {
        await handle.truncate(size);
        await handle.datasync();
      }
      return new FileMailboxBacking<T>(config, handle, live, count, dropped, size);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  private constructor(config: FileMailboxBackingConfig, handle: FileHandle, live: Map<number, MailboxEntry<T>>, lines: number, dropped: number, size: number) {
    this.#size = size;
    this.path = config.path;
    this.#strict = (config.durability ?? 'strict') === 'strict';
    this.#compactAfter = config.compactAfter ?? 1024;
    this.#handle = handle;
    this.#live = live;
    this.#lines = lines;
    this.droppedBytes = dropped;
  }

  async load(): Promise<Array<MailboxEntry<T>>> {
    if (this.#closed) throw this.#closedError();
    await this.#queue;
    return [...this.#live.values()].map((e) => ({ ...e }));
  }

  put(entry: MailboxEntry<T>): Promise<void> {
    const copy = { id: entry.id, value: entry.value, deliveries: entry.deliveries };
    return this.#write(JSON.stringify({ put: copy }), () => this.#live.set(copy.id, copy));
  }

  delete(id: number): Promise<void> {
    return this.#write(JSON.stringify({ delete: id }), () => this.#live.delete(id));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.catch(() => undefined);
    await this.#handle.close();
  }

  #write(line: string, apply: () => void): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    if (this.#pending === undefined) {
      const lines: string[] = [];
      const applies: Array<() => void> = [];
      // Ops of this tick are written together once the previous write is done.
      const done = this.#queue.then(async () => {
        this.#pending = undefined;
        await this.#append(lines.join('\n') + '\n');
        for (const f of applies) f();
        this.#lines += lines.length;
        if (this.#lines > this.#compactAfter && this.#lines > 2 * this.#live.size) await this.#compact();
      });
      this.#queue = done.catch(() => undefined);
      this.#pending = { lines, applies, done };
    }
    this.#pending.lines.push(line);
    this.#pending.applies.push(apply);
    return this.#pending.done;
  }

  async #append(text: string): Promise<void> {
    const bytes = Buffer.from(text, 'utf8');
    try {
      let written = 0;
      while (written < bytes.length) written += (await this.#handle.write(bytes, written, bytes.length - written)).bytesWritten;
      if (this.#strict) await this.#handle.datasync();
    } catch (error) {
      // Cut off whatever part reached the file, so the journal never has a damaged line inside.
      await this.#handle.truncate(this.#size).catch(() => undefined);
      throw error;
    }
    this.#size += bytes.length;
  }

  async #compact(): Promise<void> {
    const temp = `${this.path}.compact`;
    const out = await open(temp, 'w');
    try {
      const text = [...this.#live.values()].map((e) => JSON.stringify({ put: e }) + '\n').join('');
      await out.writeFile(text);
      await out.datasync();
    } finally {
      await out.close();
    }
    await rename(temp, this.path);
    await this.#handle.close();
    this.#handle = await open(this.path, 'a+');
    this.#lines = this.#live.size;
    this.#size = (await this.#handle.stat()).size;
  }

  #closedError(): LogStoreError {
    return new LogStoreError('closed', `FileMailboxBacking ${this.path} is closed; open it again`);
  }
}
