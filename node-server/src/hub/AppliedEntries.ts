// Which sealed entries each live session has applied recently (seq → seal), shared by all connections of a
// device: a client that reconnects resends its unanswered entries, and those the hub already applied on the old
// connection must be recognised as duplicates (answered from the reply record, not applied again). A seq and
// seal say nothing about the body that came with them: a duplicate is accepted only if its body, sealed after the
// previous entry's seal, gives that same seal again, so the hub never runs a body that was not sealed.
import { canonicalJson, fromHex, GENESIS_SEAL, type SealFunction, type SealedEntry, type Sealing } from '@stage/sdk';

/** What an entry is to the applied ones: one of them, unknown here, or a known seq and seal around another body. */
export type AppliedMatch = 'applied' | 'unknown' | 'body_mismatch';

export class AppliedEntries {
  private readonly sessions = new Map<string, Map<number, string>>();

  /** `keyOf`: the session's key (derived again, never stored), to check a duplicate's body against its seal. */
  constructor(
    private readonly sealing: Sealing,
    private readonly keyOf: (sessionId: string) => Uint8Array,
    private readonly perSession = 1024,
  ) {}

  record(sessionId: string, seq: number, seal: string): void {
    let entries = this.sessions.get(sessionId);
    if (!entries) this.sessions.set(sessionId, (entries = new Map()));
    entries.set(seq, seal);
    if (entries.size > this.perSession) entries.delete(entries.keys().next().value as number);
  }

  /**
   * 'applied' when `entry.seq` was applied in this session with exactly this seal and its body seals to it;
   * 'body_mismatch' when seq and seal match but the body does not; 'unknown' otherwise (including an entry too
   * old to check: its predecessor's seal is no longer remembered).
   */
  match(sessionId: string, entry: SealedEntry<unknown>): AppliedMatch {
    const entries = this.sessions.get(sessionId);
    if (entries?.get(entry.seq) !== entry.seal) return 'unknown';
    const prevSeal = entry.seq === 0 ? GENESIS_SEAL : entries.get(entry.seq - 1);
    if (prevSeal === undefined) return 'unknown';
    let canonical: string;
    try {
      canonical = canonicalJson(entry.body);
    } catch {
      return 'body_mismatch';
    }
    const seal: SealFunction = this.sealing.sealer(this.keyOf(sessionId));
    return this.sealing.toHex(seal(fromHex(prevSeal), entry.seq, canonical)) === entry.seal ? 'applied' : 'body_mismatch';
  }

  /** The session left memory (evicted or deleted): it will be recalled, and its entries re-recorded. */
  forget(sessionId: string): void {
    this.sessions.delete(sessionId);
  }
}
