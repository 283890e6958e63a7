// What this device's sealed session lacks of its user's read state, and the SyncReadState commands that fold it in.
// Read state is the user's (read on the laptop, read on the phone), but each device keeps its own in its sealed
// session (recalled from its chain, as the seed does). The hub tells every device of the user when the user's state
// changes (TopicRead, TopicMuteChanged) and, on GetReadState, what the device's session lacks; this fold tracks the
// device's session as far as this client has shaped it (its own MarkRead, MuteTopic, UnmuteTopic, SyncReadState) and
// turns each change the session does not have yet into entries of the next SyncReadState. A push this device caused
// itself comes back too and folds nothing. Pure: no I/O, no timers; ImClient decides when to send.
import type { Command, CommandArgs, MuteChange } from '../protocol/commands.js';
import { parseTopicKey, topicKey } from '../protocol/deviceSession.js';
import { MAX_SYNC_ENTRIES } from '../protocol/limits.js';
import type { Outcome } from '../protocol/outcomes.js';
import type { ReplyData } from '../protocol/replies.js';

export class ReadStateFold {
  /** The device session's cursors and mutes as far as this client knows (after what it sent). */
  readonly #cursors = new Map<string, number>();
  readonly #muted = new Set<string>();
  /** Entries of the next SyncReadState, by topic key. */
  readonly #cursorsDue = new Map<string, number>();
  readonly #mutesDue = new Map<string, boolean>();

  /** Entries waiting for the next SyncReadState. */
  get due(): number {
    return this.#cursorsDue.size + this.#mutesDue.size;
  }

  /**
   * A GetReadState reply: the session is the shown state minus `fold`, which is what is due now (anything due
   * before is covered by it: the reply is the hub's state after every push this device got before it).
   */
  reset(reply: ReplyData<'GetReadState'>): void {
    this.#cursors.clear();
    this.#muted.clear();
    this.#cursorsDue.clear();
    this.#mutesDue.clear();
    for (const c of reply.cursors) this.#cursors.set(topicKey(c.stream, c.topic), c.upTo);
    for (const m of reply.muted) this.#muted.add(topicKey(m.stream, m.topic));
    for (const c of reply.fold.cursors) this.#cursorsDue.set(topicKey(c.stream, c.topic), c.upTo);
    for (const m of reply.fold.mutes) this.#mutesDue.set(topicKey(m.stream, m.topic), m.muted);
    // The shown mutes are the user's; the session gets there once `fold.mutes` is sent.
  }

  /** A command this client issued: the session will have what it says. */
  issued(command: Command): void {
    switch (command.type) {
      case 'MarkRead':
        this.#raise(topicKey(command.stream, command.topic), command.upTo);
        return;
      case 'MuteTopic':
      case 'UnmuteTopic': {
        const key = topicKey(command.stream, command.topic);
        if (command.type === 'MuteTopic') this.#muted.add(key);
        else this.#muted.delete(key);
        this.#mutesDue.delete(key);
        return;
      }
      case 'SyncReadState':
        for (const c of command.cursors) this.#raise(topicKey(c.stream, c.topic), c.upTo);
        for (const m of command.mutes) {
          const key = topicKey(m.stream, m.topic);
          if (m.muted) this.#muted.add(key);
          else this.#muted.delete(key);
          if (this.#mutesDue.get(key) === m.muted) this.#mutesDue.delete(key);
        }
        return;
      default:
        return;
    }
  }

  /** A pushed outcome; true when it made something due. */
  fold(outcome: Outcome): boolean {
    if (outcome.type === 'TopicRead') {
      const key = topicKey(outcome.stream, outcome.topic);
      if ((this.#cursors.get(key) ?? -1) >= outcome.upTo || (this.#cursorsDue.get(key) ?? -1) >= outcome.upTo) return false;
      this.#cursorsDue.set(key, outcome.upTo);
      return true;
    }
    if (outcome.type === 'TopicMuteChanged') {
      const key = topicKey(outcome.stream, outcome.topic);
      // Pushes come in the hub's order: the latest one for a topic is what the session must end with.
      if (this.#muted.has(key) === outcome.muted) {
        const had = this.#mutesDue.delete(key);
        return had;
      }
      this.#mutesDue.set(key, outcome.muted);
      return true;
    }
    return false;
  }

  /** The SyncReadState commands for everything due (each within MAX_SYNC_ENTRIES per list), and nothing is due after. */
  take(): Array<CommandArgs<'SyncReadState'>> {
    const cursors = [...this.#cursorsDue].map(([key, upTo]) => ({ ...parseTopicKey(key), upTo }));
    const mutes: MuteChange[] = [...this.#mutesDue].map(([key, muted]) => ({ ...parseTopicKey(key), muted }));
    this.#cursorsDue.clear();
    this.#mutesDue.clear();
    const batches: Array<CommandArgs<'SyncReadState'>> = [];
    for (let at = 0; at < Math.max(cursors.length, mutes.length); at += MAX_SYNC_ENTRIES) {
      batches.push({ cursors: cursors.slice(at, at + MAX_SYNC_ENTRIES), mutes: mutes.slice(at, at + MAX_SYNC_ENTRIES) });
    }
    return batches;
  }

  #raise(key: string, upTo: number): void {
    if ((this.#cursors.get(key) ?? -1) < upTo) this.#cursors.set(key, upTo);
    if ((this.#cursorsDue.get(key) ?? Infinity) <= upTo) this.#cursorsDue.delete(key);
  }
}
