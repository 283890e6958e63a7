// Runs in Chromium (served by run.ts): sealed appends per second into IndexedDB through
// SessionClient + IdbLogStore, against raw IndexedDB puts of the same records in one readwrite
// transaction (relaxed durability) per batch. Both write the same record shape into the same
// schema, with seals of the same entropy (raw gets random hex made before timing: a constant
// seal would compress in LevelDB and flatter raw); Stage additionally seals every body
// (canonical JSON + HMAC on jsSealing, the browser default), checks contiguity and guards
// against overwriting. The result goes to window.__result for the runner.
import { SessionClient } from '../../src/seal/index.js';
import { IdbLogStore } from '../../src/idb/index.js';
import { STAGE_DB_VERSION } from '../../src/idb/openStageDb.js';

interface Result {
  readonly [name: string]: number;
}

const N = 20_000;
const ROUNDS = 3;
const key = 'c3'.repeat(32);
const body = (n: number) => ({ content: `message ${n}, a line of chat text`, streamId: n % 17, topic: 'general', traceId: `t-${n}`, type: 'SendMessage' });
let dbs = 0;
const dbName = (what: string) => `stage-bench-${what}-${Date.now()}-${++dbs}`;

function openRaw(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, STAGE_DB_VERSION);
    request.onupgradeneeded = () => {
      request.result.createObjectStore('sealedLog', { keyPath: ['log', 'seq'] });
      request.result.createObjectStore('mailbox', { keyPath: ['mailbox', 'id'] });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function deleteDb(name: string): Promise<void> {
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}

/** Random 64-hex strings, made before timing: raw stores seals as incompressible as real ones. */
function randomSeals(count: number): string[] {
  const bytes = new Uint8Array(32);
  return Array.from({ length: count }, () => {
    crypto.getRandomValues(bytes);
    let hex = '';
    for (const b of bytes) hex += b.toString(16).padStart(2, '0');
    return hex;
  });
}

/** Raw: precomputed (random) seal strings, one transaction per batch of `batch` puts. */
async function raw(batch: number): Promise<number> {
  const name = dbName('raw');
  const db = await openRaw(name);
  const seals = randomSeals(N);
  const t0 = performance.now();
  for (let start = 0; start < N; start += batch) {
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction('sealedLog', 'readwrite', { durability: 'relaxed' });
      const store = tx.objectStore('sealedLog');
      for (let seq = start; seq < Math.min(N, start + batch); seq++) store.put({ log: 'bench', seq, seal: seals[seq]!, body: body(seq) });
      tx.oncomplete = () => resolve();
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  }
  const rate = N / ((performance.now() - t0) / 1000);
  db.close();
  await deleteDb(name);
  return rate;
}

/** Stage: SessionClient.append for every body, `batch` appends per tick (sealed, then one transaction). */
async function stage(batch: number): Promise<number> {
  const name = dbName('stage');
  const store = await IdbLogStore.open({ dbName: name, logId: 'bench' });
  const client = await SessionClient.open({ sessionId: 'bench', key, store });
  const t0 = performance.now();
  for (let start = 0; start < N; start += batch) {
    const appends: Promise<unknown>[] = [];
    for (let seq = start; seq < Math.min(N, start + batch); seq++) appends.push(client.append(body(seq)));
    await Promise.all(appends);
  }
  const rate = N / ((performance.now() - t0) / 1000);
  if ((await store.length()) !== N) throw new Error('stage lost entries');
  await client.close();
  await deleteDb(name);
  return rate;
}

async function main(): Promise<Result> {
  const best: Record<string, number> = {};
  const contenders: Array<[string, () => Promise<number>]> = [
    ['raw put, 1 transaction for all', () => raw(N)],
    ['stage sealed append, 1 transaction for all', () => stage(N)],
    ['raw put, 100 per transaction', () => raw(100)],
    ['stage sealed append, 100 per tick', () => stage(100)],
  ];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of contenders) best[name] = Math.max(best[name] ?? 0, await fn());
  }
  return best;
}

main().then(
  (result) => {
    (globalThis as { __result?: unknown }).__result = result;
    document.getElementById('out')!.textContent = JSON.stringify(result, null, 2);
  },
  (error: unknown) => {
    (globalThis as { __result?: unknown }).__result = { error: String(error) };
  },
);
