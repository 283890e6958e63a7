// Copies the SQLite store's write-ahead log into the database file on a worker thread, so the hub's event loop
// never stands still in a checkpoint (issue #12).
//
// With SQLite's automatic checkpoint, the COMMIT that takes the WAL past `wal_autocheckpoint` pages copies every
// page of the WAL into the database and fsyncs it, on the event loop: with the default 10,000 pages that COMMIT
// took 50–130 ms in `bench/runnerCost.ts` (5-member streams), every few seconds under load, and every message
// pushed meanwhile waited for it (the `streams` p99 at 500 msg/s sat at ~50 ms).
//
// Here a worker thread with its own connection to the file does the copying with PASSIVE checkpoints, which never
// wait for (nor block) the store's connection: the store keeps committing while the worker copies. A PASSIVE
// checkpoint copies only the frames committed before it began, so under steady load the WAL would never be fully
// copied and never start over. So once the worker has nearly caught up (a few hundred frames left), the store
// holds its next transactions back (`finalPass`: its job queue waits, the event loop does not) while the worker
// copies the rest and fsyncs; at the store's next write SQLite then starts the WAL over. Copying at most a few
// hundred pages and one fsync, that wait is a few tens of milliseconds for the commands arriving meanwhile (doing
// it on the store's own connection instead stalled the event loop for as long). The store's own automatic
// checkpoint stays on at four times the worker's threshold, as a bound on the WAL should the worker fall behind,
// fail or never start.
//
// Durability is unchanged: a checkpoint on either connection fsyncs the WAL before copying it and the database
// before the WAL may be reused; an interrupted checkpoint is redone by SQLite.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** What the store does for the checkpointer. */
export interface CheckpointHost {
  /** Runs `pass` between two transactions, holding every later one back until it settles. */
  betweenTransactions(pass: () => Promise<void>): Promise<void>;
}

export interface WalCheckpointerConfig {
  file: string;
  /** WAL pages that start a checkpoint on the worker. Default 10,000 (~40 MB with 4 KB pages). */
  pages?: number;
  /** How often the worker looks at the WAL's size. Default 100 ms. */
  pollMs?: number;
}

/** Messages from the worker. */
type FromWorker = { type: 'caughtUp' | 'copied'; log: number; checkpointed: number } | { type: 'error'; message: string };

// The worker runs as an inline script: the hub runs from TypeScript sources (tests, tsx) and from its compiled
// `dist/`, and a worker file would need a loader in the first case. It is plain SQLite pragmas, written to run as
// CommonJS or as a module alike (a loader the process was started with may treat it as either).
const workerSource = `
const { parentPort, workerData } = process.getBuiltinModule('node:worker_threads');
const load = process.getBuiltinModule('node:module').createRequire(workerData.sqlite);
const Database = load(workerData.sqlite);
const db = new Database(workerData.file);
// PASSIVE checkpoints never invoke the busy handler; a short timeout covers opening the file.
db.pragma('busy_timeout = 100');
db.pragma('wal_autocheckpoint = 0');
let paused = false;
let timer;
function frames(mode) {
  const [r] = db.pragma('wal_checkpoint(' + mode + ')');
  return r;
}
function poll() {
  timer = undefined;
  if (paused) return;
  try {
    let r = frames('NOOP');
    if (r.log - r.checkpointed >= workerData.pages) {
      // Copy, then copy again what was committed meanwhile, until little is left for the final pass.
      for (let pass = 0; pass < 4; pass++) {
        r = frames('PASSIVE');
        if (r.busy || r.log - r.checkpointed <= workerData.tail) break;
      }
      paused = true;
      parentPort.postMessage({ type: 'caughtUp', log: r.log, checkpointed: r.checkpointed });
      return;
    }
  } catch (e) {
    parentPort.postMessage({ type: 'error', message: String(e && e.message || e) });
    return;
  }
  timer = setTimeout(poll, workerData.pollMs);
}
parentPort.on('message', (m) => {
  if (m === 'final') {
    try {
      const r = frames('PASSIVE');
      parentPort.postMessage({ type: 'copied', log: r.log, checkpointed: r.checkpointed });
    } catch (e) {
      parentPort.postMessage({ type: 'error', message: String(e && e.message || e) });
    }
  }
  else if (m === 'resume') { paused = false; if (!timer) timer = setTimeout(poll, workerData.pollMs); }
  else if (m === 'close') { clearTimeout(timer); db.close(); parentPort.close(); }
});
timer = setTimeout(poll, workerData.pollMs);
`;

export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private closed = false;
  /** Answers the final pass under way. */
  private copied: { resolve(): void; reject(error: Error): void } | undefined;
  /** Checkpoint rounds finished (the worker's passes and the final one). */
  rounds = 0;
  /** Rounds whose final pass copied the whole WAL (SQLite then starts it over at the next write). */
  restarts = 0;
  /** Set when the worker failed: the store's automatic checkpoint carries on alone. */
  failure: string | undefined;

  constructor(
    config: WalCheckpointerConfig,
    private readonly host: CheckpointHost,
  ) {
    const pages = config.pages ?? 10_000;
    this.worker = new Worker(workerSource, {
      eval: true,
      workerData: {
        sqlite: createRequire(import.meta.url).resolve('better-sqlite3'),
        file: config.file,
        pages,
        tail: Math.max(16, Math.floor(pages / 50)),
        pollMs: config.pollMs ?? 100,
      },
      // No loader or flags of the hub's (it needs none); a small heap: it only runs pragmas.
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: 32 },
    });
    // The store must not keep a process alive.
    this.worker.unref();
    this.worker.on('message', (message: FromWorker) => this.onMessage(message));
    this.worker.on('error', (error) => this.fail(error.message));
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', () => {
        this.fail('the checkpoint worker exited');
        resolve();
      }),
    );
  }

  private onMessage(message: FromWorker): void {
    if (message.type === 'error') return this.fail(message.message);
    if (message.type === 'copied') {
      if (message.log === message.checkpointed) this.restarts++;
      this.copied?.resolve();
      this.copied = undefined;
      return;
    }
    if (this.closed) return;
    this.host.betweenTransactions(() => this.finalPass()).then(
      () => {
        this.rounds++;
        if (!this.closed) this.worker.postMessage('resume');
      },
      () => undefined, // the store closed or failed: nothing left to copy for
    );
  }

  /** The worker copies what is left while the store commits nothing. */
  private finalPass(): Promise<void> {
    if (this.closed || this.failure !== undefined) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.copied = { resolve, reject };
      this.worker.postMessage('final');
    });
  }

  private fail(message: string): void {
    if (!this.closed) this.failure ??= message;
    this.copied?.reject(new Error(message));
    this.copied = undefined;
  }

  /** Stops the worker and closes its connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.copied?.resolve();
    this.copied = undefined;
    this.worker.postMessage('close');
    await this.exited;
  }
}
