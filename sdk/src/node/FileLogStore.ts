// A sealed log in one append-only file (Node): one JSON record per line,
//   {"seq":0,"seal":"<64 hex>","body":<JSON>}\n
// Each append is one write of whole lines followed by fdatasync (durability 'strict'), so an
// acknowledged entry survives a crash. A crash mid-write can leave a torn last record: on reopen
// it is detected (no final newline, or a last line that is not a valid record), cut off, and
// reported in `recovered`, never silently accepted. Damage before the last record is corruption
// and refused with LogStoreError('corrupt'). One writer per file.
import { open, type FileHandle } from 'node:fs/promises';
import { assertAppendable } from '../seal/assertAppendable.js';
import { LogStoreError } from '../seal/LogStoreError.js';
import { parseSealedEntry, type SealedEntry } from '../seal/SealedEntry.js';
import type { SealedLogStore } from '../seal/SealedLogStore.js';

export interface FileLogStoreConfig {
  /** The log file; created if missing. */
  readonly path: string;
  /** 'strict' (default): fdatasync after every append. 'relaxed': leave flushing to the OS (faster, may lose the last appends on power loss). */
  readonly durability?: 'strict' | 'relaxed' | undefined;
}

/** What reopening found and cut off: the bytes of a torn last record. */
export interface TornTail {
  readonly droppedBytes: number;
  readonly reason: string;
}

const newline = 0x0a;

export class FileLogStore<B = unknown> implements SealedLogStore<B> {
  readonly path: string;
  /** Set when opening cut off a torn last record. */
  readonly recovered: TornTail | undefined;
  readonly #handle: FileHandle;
  readonly #strict: boolean;
  /** Byte offset of each record; offsets[length] is the end of the file. */
  readonly #offsets: number[];
  #last: SealedEntry<B> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  static async open<B = unknown>(config: FileLogStoreConfig): Promise<FileLogStore<B>> {
    const handle = await open(config.path, 'a+');
    try {
      const bytes = await handle.readFile();
      const { offsets, last, torn } = scan<B>(bytes, config.path);
      if (torn !== undefined) {
        await handle.truncate(offsets[offsets.length - 1]!);
        await handle.datasync();
      }
      return new FileLogStore<B>(config, handle, offsets, last, torn);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  private constructor(config: FileLogStoreConfig, handle: FileHandle, offsets: number[], last: SealedEntry<B> | undefined, torn: TornTail | undefined) {
    this.path = config.path;
    this.#handle = handle;
    this.#strict = (config.durability ?? 'strict') === 'strict';
    this.#offsets = offsets;
    this.#last = last;
    this.recovered = torn;
  }

  append(entries: readonly SealedEntry<B>[]): Promise<void> {
    return this.#serially(async () => {
      assertAppendable(this.#offsets.length - 1, entries, `FileLogStore ${this.path}`);
      if (entries.length === 0) return;
      const lines = entries.map(recordLine).join('');
      const bytes = Buffer.from(lines, 'utf8');
      const start = this.#offsets[this.#offsets.length - 1]!;
      // Offsets of the new records, computed before writing so a failed write leaves them unchanged.
      const added: number[] = [];
      for (let i = 0, from = 0; i < entries.length; i++) {
        const end = bytes.indexOf(newline, from);
        added.push(start + end + 1);
        from = end + 1;
      }
      try {
        await writeAll(this.#handle, bytes);
        if (this.#strict) await this.#handle.datasync();
      } catch (error) {
        // Cut back whatever part of the batch reached the file: the batch is all or nothing.
        await this.#handle.truncate(start).catch(() => undefined);
        throw error;
      }
      this.#offsets.push(...added);
      this.#last = entries[entries.length - 1];
    });
  }

  read(fromSeq: number, limit: number): Promise<SealedEntry<B>[]> {
    return this.#serially(async () => {
      const length = this.#offsets.length - 1;
      const from = Math.max(0, fromSeq);
      const to = Math.min(length, from + Math.max(0, limit));
      if (from >= to) return [];
      const start = this.#offsets[from]!;
      const buffer = Buffer.allocUnsafe(this.#offsets[to]! - start);
      const { bytesRead } = await this.#handle.read(buffer, 0, buffer.length, start);
      if (bytesRead !== buffer.length) throw new LogStoreError('corrupt', `FileLogStore ${this.path}: the file is shorter than its index; was it changed by another process?`);
      const lines = buffer.toString('utf8').split('\n');
      const out: SealedEntry<B>[] = new Array(to - from);
      for (let i = 0; i < out.length; i++) out[i] = parseRecord<B>(lines[i]!, from + i, this.path);
      return out;
    });
  }

  async length(): Promise<number> {
    this.#assertOpen();
    return this.#offsets.length - 1;
  }

  async last(): Promise<SealedEntry<B> | undefined> {
    this.#assertOpen();
    return this.#last;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue.catch(() => undefined);
    await this.#handle.close();
  }

  #serially<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(closedError(this.path));
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError(this.path);
  }
}

function closedError(path: string): LogStoreError {
  return new LogStoreError('closed', `FileLogStore ${path} is closed; open it again with FileLogStore.open`);
}

function recordLine(entry: SealedEntry<unknown>): string {
  return `{"seq":${entry.seq},"seal":"${entry.seal}","body":${JSON.stringify(entry.body)}}\n`;
}

function parseRecord<B>(line: string, seq: number, path: string): SealedEntry<B> {
  let entry: SealedEntry<B>;
  try {
    entry = parseSealedEntry<B>(JSON.parse(line));
  } catch (error) {
    throw new LogStoreError('corrupt', `FileLogStore ${path}: record ${seq} is damaged (${(error as Error).message}); the file was altered`, { cause: error });
  }
  if (entry.seq !== seq) throw new LogStoreError('corrupt', `FileLogStore ${path}: record ${seq} claims seq ${entry.seq}; the file was altered`);
  return entry;
}

/**
 * Indexes the records of a log file. Every record must start with its own seq (a cheap check
 * that catches shifted or spliced files); the last record is parsed in full. A bad last record
 * is a torn write; a bad record before it is corruption.
 */
function scan<B>(bytes: Buffer, path: string): { offsets: number[]; last: SealedEntry<B> | undefined; torn: TornTail | undefined } {
  const offsets = [0];
  let from = 0;
  for (;;) {
    const end = bytes.indexOf(newline, from);
    if (end === -1) break;
    offsets.push(end + 1);
    from = end + 1;
  }
  let torn: TornTail | undefined;
  const complete = offsets[offsets.length - 1]!;
  if (complete < bytes.length) torn = { droppedBytes: bytes.length - complete, reason: 'the last record has no final newline (a write cut short)' };
  for (let seq = 0; seq < offsets.length - 1; seq++) {
    const prefix = `{"seq":${seq},"seal":"`;
    if (bytes.toString('utf8', offsets[seq]!, offsets[seq]! + prefix.length) === prefix) continue;
    if (seq === offsets.length - 2) break; // the last record: parsed below
    throw new LogStoreError('corrupt', `FileLogStore ${path}: record ${seq} (byte ${offsets[seq]}) is damaged; refusing to open a log with a hole`);
  }
  let last: SealedEntry<B> | undefined;
  while (offsets.length > 1) {
    const seq = offsets.length - 2;
    try {
      last = parseRecord<B>(bytes.toString('utf8', offsets[seq]!, offsets[seq + 1]! - 1), seq, path);
      break;
    } catch {
      const dropped = bytes.length - offsets[seq]!;
      torn = { droppedBytes: dropped, reason: `the last record (seq ${seq}) is not a valid record (a write cut short)` };
      offsets.pop();
      // Only one record can be torn by one crash; anything before it must be whole.
      if (offsets.length > 1) last = parseRecord<B>(bytes.toString('utf8', offsets[seq - 1]!, offsets[seq]! - 1), seq - 1, path);
      break;
    }
  }
  return { offsets, last, torn };
}

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.length - written);
    written += bytesWritten;
  }
}
