// Whole-number schemas the protocol files share. zod/mini has no `.int().nonnegative()` chain; these are the same
// checks (the same JSON Schema: integer, safe range) written once. Internal: not exported from @stage/sdk/im.
import * as z from 'zod/mini';

/** A whole number >= 0 (counts, sequence numbers, timestamps, outcome ids). */
export function nonNegativeIntSchema() {
  return z.number().check(z.int(), z.nonnegative());
}

/** A whole number >= 1. */
export function positiveIntSchema() {
  return z.number().check(z.int(), z.positive());
}
