// The read-state pushes (TopicRead, TopicMuteChanged) this client took most recently, by outcome id. A GetReadState
// reply is a snapshot the hub read after the command arrived: it has every push the client had taken when it sent
// the command, but a push taken after that may be newer than the snapshot (another device read a topic while the
// hub was reading; the push overtook the reply). The client applies the reply, then these pushes again on top.
import type { Outcome } from '../protocol/outcomes.js';

export type ReadStatePush = Extract<Outcome, { type: 'TopicRead' | 'TopicMuteChanged' }>;

/** Pushes kept: a reply older than this many read-state pushes is followed by a fresh GetReadState instead. */
const kept = 256;

export class ReadStatePushes {
  readonly #pushes: Array<{ readonly outcomeId: number; readonly outcome: ReadStatePush }> = [];
  /** The newest outcome id no longer kept (0: none dropped). */
  #droppedUpTo = 0;

  /** Keeps a pushed outcome if it is a read-state one. */
  took(outcomeId: number, outcome: Outcome): void {
    if (outcome.type !== 'TopicRead' && outcome.type !== 'TopicMuteChanged') return;
    this.#pushes.push({ outcomeId, outcome });
    if (this.#pushes.length > kept) this.#droppedUpTo = this.#pushes.shift()!.outcomeId;
  }

  /**
   * The pushes a reply to a command sent after outcome `sentAfter` may lack, oldest first; undefined when some of
   * them are no longer kept (ask again).
   */
  after(sentAfter: number): readonly ReadStatePush[] | undefined {
    if (this.#droppedUpTo > sentAfter) return undefined;
    return this.#pushes.filter((p) => p.outcomeId > sentAfter).map((p) => p.outcome);
  }

  /** A resync: outcome ids start again from the hub's count; what was kept says nothing about the new ids. */
  clear(): void {
    this.#pushes.length = 0;
    this.#droppedUpTo = 0;
  }
}
