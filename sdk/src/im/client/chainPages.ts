// Packs a session's sealed entries into `chain` frames that each fit the hub's frame limit, to answer a recall.
import type { SealedCheckpoint } from '../../seal/SealedCheckpoint.js';
import type { SealedEntry } from '../../seal/SealedEntry.js';
import type { Command } from '../protocol/commands.js';
import { utf8ByteLength, type ChainFrame } from '../protocol/frames.js';
import { MAX_CHAIN_PAGE_ENTRIES, MAX_FRAME_BYTES } from '../protocol/limits.js';

export interface ChainPagesConfig {
  readonly recallId: string;
  readonly sessionId: string;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly maxFrameBytes?: number;
  readonly maxEntries?: number;
  /** Sent with the first frame (`fromSeq` is then its seq). */
  readonly checkpoint?: SealedCheckpoint;
}

/**
 * The chain frames answering a recall, in order, the last with done: true. `pages` yields the entries from
 * `fromSeq` on (as the log store reads them). If the log has fewer entries than asked, the last frame says missing.
 */
export async function* chainPages(pages: AsyncIterable<readonly SealedEntry<Command>[]>, config: ChainPagesConfig): AsyncGenerator<ChainFrame> {
  const maxBytes = config.maxFrameBytes ?? MAX_FRAME_BYTES;
  const maxEntries = config.maxEntries ?? MAX_CHAIN_PAGE_ENTRIES;
  const envelope = utf8ByteLength(JSON.stringify({ kind: 'chain', recallId: config.recallId, sessionId: config.sessionId, entries: [], done: false, missing: false }));
  let page: SealedEntry<Command>[] = [];
  // The checkpoint rides with the first frame: its bytes count there (the hub only seals ones that fit a frame).
  let checkpoint = config.checkpoint;
  let bytes = envelope + (checkpoint === undefined ? 0 : utf8ByteLength(JSON.stringify(checkpoint)) + 14);
  let expected = config.fromSeq;
  const frame = (entries: SealedEntry<Command>[], done: boolean, missing = false): ChainFrame => {
    const first = checkpoint;
    checkpoint = undefined;
    return {
      kind: 'chain',
      recallId: config.recallId,
      sessionId: config.sessionId,
      entries,
      done,
      ...(missing ? { missing: true } : {}),
      ...(first !== undefined ? { checkpoint: first } : {}),
    };
  };
  for await (const read of pages) {
    for (const entry of read) {
      if (entry.seq >= config.toSeq) break;
      if (entry.seq !== expected) {
        yield frame([], true, true);
        return;
      }
      expected++;
      const size = utf8ByteLength(JSON.stringify(entry)) + 1;
      if ((page.length > 0 || checkpoint !== undefined) && (page.length >= maxEntries || bytes + size > maxBytes)) {
        yield frame(page, false);
        page = [];
        bytes = envelope;
      }
      page.push(entry);
      bytes += size;
    }
    if (expected >= config.toSeq) break;
  }
  if (expected < config.toSeq) {
    if (page.length > 0) yield frame(page, false);
    yield frame([], true, true);
    return;
  }
  yield frame(page, true);
}
