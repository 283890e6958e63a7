// Which sealed entries each live session has applied recently (seq → seal), shared by all connections of a
// device: a client that reconnects resends its unanswered entries, and those the hub already applied on the old
// connection must be recognised as duplicates (answered from the reply record, not applied again).
export class AppliedEntries {
  private readonly sessions = new Map<string, Map<number, string>>();

  constructor(private readonly perSession = 1024) {}

  record(sessionId: string, seq: number, seal: string): void {
    let entries = this.sessions.get(sessionId);
    if (!entries) this.sessions.set(sessionId, (entries = new Map()));
    entries.set(seq, seal);
    if (entries.size > this.perSession) entries.delete(entries.keys().next().value as number);
  }

  /** True when `seq` was applied in this session with exactly this seal. */
  has(sessionId: string, seq: number, seal: string): boolean {
    return this.sessions.get(sessionId)?.get(seq) === seal;
  }

  /** The session left memory (evicted or deleted): it will be recalled, and its entries re-recorded. */
  forget(sessionId: string): void {
    this.sessions.delete(sessionId);
  }
}
