// A sealed log in one append-only file (Node): one JSON record per line,
//   {"seq":0,"seal":"<64 hex>","body":<JSON>}\n
// Each append is one write of whole lines followed by fdatasync (durability 'strict'), so an
// acknowledged entry survives a crash. A crash mid-write can leave a torn last record: on reopen
// it is detected (no final newline, or a last line that is not a valid record), cut off, and
// reported in `recovered`, never silently accepted. Damage before the last record is corruption
// and refused with LogStoreError('corrupt'). One writer per file.
// Compaction keeps a sealed checkpoint as the first line, {"checkpoint":{…}}\n, followed by the entries from its
// seq on: the new file is written beside the log, synced, and renamed over it (atomic: after a crash the log is
// either the old file or the new one), then the directory is synced.
import { open, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { assertAppendable } from '../seal/assertAppendable.js';
import { assertCompactable } from '../seal/assertCompactable.js';
import type { SealedCheckpoint } from '../seal/SealedCheckpoint.js';
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
  #handle: FileHandle;
  readonly #strict: boolean;
  /** Byte offset of each record (offsets[i] is the record of seq base + i); the last one is the end of the file. */
  #offsets: number[];
  /** The kept checkpoint: the first line of the file; its seq is the seq of the first record. */
  #checkpoint: SealedCheckpoint | undefined;
  #last: SealedEntry<B> | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  static async open<B = unknown>(config: FileLogStoreConfig): Promise<FileLogStore<B>> {
    const handle = await open(config.path, 'a+');
    try {
      const bytes = await handle.readFile();
      const { offsets, last, torn, checkpoint } = scan<B>(bytes, config.path);
      if (torn !== undefined) {
        await handle.truncate(offsets[offsets.length - 1]!);
        await handle.datasync();
      }
      return new FileLogStore<B>(config, handle, offsets, last, torn, checkpoint);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  private constructor(
    config: FileLogStoreConfig,
    handle: FileHandle,
    offsets: number[],
    last: SealedEntry<B> | undefined,
    torn: TornTail | undefined,
    checkpoint: SealedCheckpoint | undefined,
  ) {
    this.path = config.path;
    this.#handle = handle;
    this.#strict = (config.durability ?? 'strict') === 'strict';
    this.#offsets = offsets;
    this.#last = last;
    this.#checkpoint = checkpoint;
    this.recovered = torn;
  }

  /** Seq of the first record: the checkpoint's, 0 without one. */
  get #base(): number {
    return this.#checkpoint?.seq ?? 0;
  }

  append(entries: readonly SealedEntry<B>[]): Promise<void> {
    return this.#serially(async () => {
      assertAppendable(this.#base + this.#offsets.length - 1, entries, `FileLogStore ${this.path}`);
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
      const base = this.#base;
      const length = this.#offsets.length - 1;
      const from = Math.max(0, fromSeq - base);
      const to = Math.min(length, from + Math.max(0, limit));
      if (from >= to) return [];
      const start = this.#offsets[from]!;
      const buffer = Buffer.allocUnsafe(this.#offsets[to]! - start);
      const { bytesRead } = await this.#handle.read(buffer, 0, buffer.length, start);
      if (bytesRead !== buffer.length) throw new LogStoreError('corrupt', `FileLogStore ${this.path}: the file is shorter than its index; was it changed by another process?`);
      const lines = buffer.toString('utf8').split('\n');
      const out: SealedEntry<B>[] = new Array(to - from);
      for (let i = 0; i < out.length; i++) out[i] = parseRecord<B>(lines[i]!, base + from + i, this.path);
      return out;
    });
  }

  async length(): Promise<number> {
    this.#assertOpen();
    return this.#base + this.#offsets.length - 1;
  }

  async checkpoint(): Promise<SealedCheckpoint | undefined> {
    this.#assertOpen();
    return this.#checkpoint;
  }

  compact(checkpoint: SealedCheckpoint): Promise<void> {
    return this.#serially(async () => {
      const base = this.#base;
      assertCompactable(base + this.#offsets.length - 1, this.#checkpoint, checkpoint, `FileLogStore ${this.path}`);
      const keptFrom = this.#offsets[checkpoint.seq - base]!;
      const end = this.#offsets[this.#offsets.length - 1]!;
      const tail = Buffer.allocUnsafe(end - keptFrom);
      const { bytesRead } = await this.#handle.read(tail, 0, tail.length, keptFrom);
      if (bytesRead !== tail.length) throw new LogStoreError('corrupt', `FileLogStore ${this.path}: the file is shorter than its index; was it changed by another process?`);
      const head = Buffer.from(checkpointLine(checkpoint), 'utf8');
      const temp = `${this.path}.compact`;
      const out = await open(temp, 'w');
      try {
        await writeAll(out, Buffer.concat([head, tail]));
        await out.datasync();
      } finally {
        await out.close();
      }
      // The old handle is closed first: Windows cannot rename over an open file. If the rename fails, the old file
      // is opened again and nothing changed.
      await this.#handle.close().catch(() => undefined);
      try {
        await rename(temp, this.path);
      } finally {
        this.#handle = await open(this.path, 'a+');
      }
      await syncDirectory(dirname(this.path));
      this.#offsets = this.#offsets.slice(checkpoint.seq - base).map((offset) => offset - keptFrom + head.length);
      this.#checkpoint = checkpoint;
      if (this.#last !== undefined && this.#last.seq < checkpoint.seq) this.#last = undefined;
    });
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

function checkpointLine(checkpoint: SealedCheckpoint): string {
  return `{"checkpoint":${JSON.stringify(checkpoint)}}\n`;
}

/** Makes a rename in `dir` durable (a no-op where directories cannot be opened for sync). */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot fsync a directory; the rename is still atomic there.
  } finally {
    await handle?.close().catch(() => undefined);
  }
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
function scan<B>(bytes: Buffer, path: string): { offsets: number[]; last: SealedEntry<B> | undefined; torn: TornTail | undefined; checkpoint: SealedCheckpoint | undefined } {
  let from = 0;
  let checkpoint: SealedCheckpoint | undefined;
  const checkpointPrefix = '{"checkpoint":';
  if (bytes.toString('utf8', 0, checkpointPrefix.length) === checkpointPrefix) {
    // Written whole by a rename, never appended to: a bad checkpoint line is corruption, not a torn write.
    const end = bytes.indexOf(newline);
    checkpoint = parseCheckpointLine(end === -1 ? '' : bytes.toString('utf8', 0, end), path);
    from = end + 1;
  }
  const base = checkpoint?.seq ?? 0;
  const offsets = [from];
  for (;;) {
    const end = bytes.indexOf(newline, from);
    if (end === -1) break;
    offsets.push(end + 1);
    from = end + 1;
  }
  let torn: TornTail | undefined;
  const complete = offsets[offsets.length - 1]!;
  if (complete < bytes.length) torn = { droppedBytes: bytes.length - complete, reason: 'the last record has no final newline (a write cut short)' };
  for (let i = 0; i < offsets.length - 1; i++) {
    const prefix = `{"seq":${base + i},"seal":"`;
    if (bytes.toString('utf8', offsets[i]!, offsets[i]! + prefix.length) === prefix) continue;
    if (i === offsets.length - 2) break; // the last record: parsed below
    throw new LogStoreError('corrupt', `FileLogStore ${path}: record ${base + i} (byte ${offsets[i]}) is damaged; refusing to open a log with a hole`);
  }
  let last: SealedEntry<B> | undefined;
  while (offsets.length > 1) {
    const i = offsets.length - 2;
    try {
      last = parseRecord<B>(bytes.toString('utf8', offsets[i]!, offsets[i + 1]! - 1), base + i, path);
      break;
    } catch {
      const dropped = bytes.length - offsets[i]!;
      torn = { droppedBytes: dropped, reason: `the last record (seq ${base + i}) is not a valid record (a write cut short)` };
      offsets.pop();
      // Only one record can be torn by one crash; anything before it must be whole.
      if (offsets.length > 1) last = parseRecord<B>(bytes.toString('utf8', offsets[i - 1]!, offsets[i]! - 1), base + i - 1, path);
      break;
    }
  }
  return { offsets, last, torn, checkpoint };
}

function parseCheckpointLine(line: string, path: string): SealedCheckpoint {
  try {
    const checkpoint = (JSON.parse(line) as { checkpoint?: SealedCheckpoint }).checkpoint;
    if (typeof checkpoint?.seq === 'number' && Number.isSafeInteger(checkpoint.seq) && checkpoint.seq >= 1 && typeof checkpoint.seal === 'string' && typeof checkpoint.prevSeal === 'string') {
      return checkpoint;
    }
  } catch {
    // reported below
  }
  throw new LogStoreError('corrupt', `FileLogStore ${path}: its checkpoint line is damaged; the file was altered`);
}

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.length - written);
    written += bytesWritten;
  }
}
