// The client's local state (ImState) and its state$: replies and welcomes replace it at once, pushed outcomes are
// applied as they come and emitted together once per batch (`batchMs`), and the state is written as a snapshot
// (ImClientStorage.snapshot) at most once a second while it changes, so a reload shows it before the hub answers.
import { BehaviorSubject, type Observable } from 'rxjs';
import type { Outcome } from '../protocol/outcomes.js';
import type { ImClientStorage } from './ImClientStorage.js';
import { applyOutcomeInBatch, emptyImState, type ImState, type Unpublished } from './ImState.js';
import { snapshotOf } from './stateSnapshot.js';

/** The one entry of storage.snapshot. */
export const SNAPSHOT_ENTRY = 1;
/** How often at most the state is written as a snapshot while it changes. */
const SNAPSHOT_EVERY_MS = 1_000;

interface LocalStateConfig {
  readonly storage: ImClientStorage;
  /** Pushed outcomes within this many ms are emitted together. */
  readonly batchMs: number;
  /** The client is closed: nothing is emitted or scheduled any more. */
  closed(): boolean;
}

export class LocalState {
  readonly #config: LocalStateConfig;
  readonly #state$ = new BehaviorSubject<ImState>(emptyImState);
  readonly state$: Observable<ImState> = this.#state$.asObservable();
  /** The state as of the last applied outcome; state$ lags it by at most one batch. */
  #current: ImState = emptyImState;
  /** Message arrays made since the last emission (grown in place until emitted). */
  #unpublished: Unpublished | undefined;
  #emitTimer: ReturnType<typeof setTimeout> | undefined;
  /** A snapshot is due; written at most every SNAPSHOT_EVERY_MS. */
  #snapshotTimer: ReturnType<typeof setTimeout> | undefined;
  #snapshotSaved: ImState | undefined;

  constructor(config: LocalStateConfig) {
    this.#config = config;
  }

  get current(): ImState {
    return this.#current;
  }

  /** Shows a state restored from the snapshot (which need not be written again). */
  restore(state: ImState): void {
    this.#snapshotSaved = state;
    this.set(state);
  }

  /** Replaces the state and emits it at once (with whatever a pending batch of pushes had applied). */
  set(next: ImState): void {
    this.#current = next;
    this.emit();
  }

  /** Applies a pushed outcome now and emits it with the rest of its batch. */
  applyPushed(outcome: Outcome): void {
    this.#unpublished ??= new WeakSet();
    this.#current = applyOutcomeInBatch(this.#current, outcome, this.#unpublished);
    this.#emitTimer ??= setTimeout(() => this.emit(), this.#config.batchMs);
  }

  /** Hands the current state to observers; from now on its arrays are theirs and are never changed in place. */
  emit(): void {
    if (this.#emitTimer !== undefined) clearTimeout(this.#emitTimer);
    this.#emitTimer = undefined;
    this.#unpublished = undefined;
    const closed = this.#config.closed();
    if (!closed && this.#state$.value !== this.#current) this.#state$.next(this.#current);
    if (this.#config.storage.snapshot && !closed && this.#snapshotTimer === undefined && this.#current !== this.#snapshotSaved) {
      this.#snapshotTimer = setTimeout(() => void this.saveSnapshot(), SNAPSHOT_EVERY_MS);
      (this.#snapshotTimer as { unref?: () => void }).unref?.();
    }
  }

  /** Writes the current state as the snapshot (best effort: a failed write only means an older one is shown). */
  async saveSnapshot(): Promise<void> {
    clearTimeout(this.#snapshotTimer);
    this.#snapshotTimer = undefined;
    const state = this.#current;
    const storage = this.#config.storage;
    if (!storage.snapshot || state === this.#snapshotSaved) return;
    const snapshot = snapshotOf(state, Date.now());
    if (!snapshot) return;
    this.#snapshotSaved = state;
    await storage.snapshot.put({ id: SNAPSHOT_ENTRY, value: snapshot, deliveries: 0 }).catch(() => undefined);
  }

  complete(): void {
    this.#state$.complete();
  }
}
