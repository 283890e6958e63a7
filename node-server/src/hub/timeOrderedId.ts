// Ids for the rows commands create (messages, groups, streams): UUID version 7 (RFC 9562 §5.7), 48 bits of Unix
// milliseconds, then a counter and random bits. Why not randomUUID (v4): every id is also a key of a unique index
// (`messages.id`), and random keys land on a random B-tree page each. A group commit of 17 messages to 17 streams
// then dirtied 17 index pages, each written whole to the WAL at COMMIT (and on PostgreSQL each a full-page image
// after a checkpoint). Time-ordered ids append to the index's last page. They stay UUIDs (same text form, same
// columns), unique across hubs (62 random bits besides the time and the counter), and reveal only the creation time every message
// already carries (`createdAt`). Within one process they are strictly increasing: the 12-bit field after the
// version counts ids of the same millisecond (RFC 9562 method 1), and a clock that steps back reuses the last time.
import { randomFillSync } from 'node:crypto';

/** Random bytes fetched 4 KiB at a time: one getrandom call per 512 ids instead of one per id. */
const pool = Buffer.allocUnsafe(4096);
let poolAt = pool.length;

let lastMs = -1;
let counter = 0;

const hex: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function timeOrderedId(): string {
  let ms = Date.now();
  if (ms <= lastMs) {
    ms = lastMs;
    if (++counter > 0xfff) {
      // 4,096 ids in one millisecond: borrow the next one (still increasing; the clock catches up).
      ms = ++lastMs;
      counter = 0;
    }
  } else {
    lastMs = ms;
    counter = 0;
  }
  if (poolAt + 8 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const r = poolAt;
  poolAt += 8;
  const high = Math.floor(ms / 0x1000000); // top 24 of the 48 bits
  const low = ms % 0x1000000;
  return (
    hex[(high >>> 16) & 0xff]! +
    hex[(high >>> 8) & 0xff]! +
    hex[high & 0xff]! +
    hex[(low >>> 16) & 0xff]! +
    '-' +
    hex[(low >>> 8) & 0xff]! +
    hex[low & 0xff]! +
    '-' +
    hex[0x70 | (counter >>> 8)]! +
    hex[counter & 0xff]! +
    '-' +
    hex[0x80 | (pool[r]! & 0x3f)]! +
    hex[pool[r + 1]!]! +
    '-' +
    hex[pool[r + 2]!]! +
    hex[pool[r + 3]!]! +
    hex[pool[r + 4]!]! +
    hex[pool[r + 5]!]! +
    hex[pool[r + 6]!]! +
    hex[pool[r + 7]!]!
  );
}
