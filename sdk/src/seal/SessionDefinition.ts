// What a session is, for the handler: an initial state and a pure update. The state is uniquely
// determined by the chain of bodies, which is what makes recall by replay possible.

export interface SessionDefinition<S, B> {
  /** The state of a session before its first entry. */
  initial(): S;
  /**
   * The state after `body`. Must be pure (it is replayed on recall): return a new state for an
   * update message, the same state for a request message. Throwing refuses the entry.
   */
  apply(state: S, body: B): S;
  /** The answer to `body` given the state after it (a request's projection). Default: no reply. */
  reply?(state: S, body: B): unknown;
  /**
   * The state as JSON, for a sealed checkpoint (optional, with `restore`): a session whose definition has both can
   * be recalled from a checkpoint and the entries after it instead of its whole chain. Must not share mutable parts
   * with `state` (a later apply may change it in place).
   */
  snapshot?(state: S): unknown;
  /** The state back from `snapshot`'s JSON (as it came out of a verified checkpoint). Throws on a bad shape. */
  restore?(snapshot: unknown): S;
}
