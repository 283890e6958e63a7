// Lazy recall in Node: time for a SessionHandler that lost a session to recall a 10,000-entry
// chain from its client, verify every seal from genesis, replay the updates and apply the
// triggering entry. Side by side in one run: the client's log in a MemoryLogStore, in a
// FileLogStore (reopened, so reads hit the file), and the raw floor (a hand-written node:crypto
// verify + replay loop over the same in-memory array, no paging, no checks). Target: < 100 ms
// from memory. Writes bench-results/recall.json (unit ms, lower is better).
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLogStore, SessionClient, SessionHandler, setDefaultSealing, type SealedEntry, type SessionDefinition } from '../src/seal/index.js';
import { FileLogStore } from '../src/node/FileLogStore.js';
import { nodeSealing } from '../src/node/nodeSealing.js';
import { writeReport } from './report.js';

setDefaultSealing(nodeSealing);
const ENTRIES = 10_000;
const ROUNDS = 15;

type Body = { type: 'read'; topic: string; upTo: number } | { type: 'received'; topic: string } | { type: 'mute'; topic: string; muted: boolean };
interface State {
  cursors: Record<string, number>;
  unread: Record<string, number>;
  muted: Record<string, boolean>;
}
// A device session like the hub's: read cursors, unread counts, muted topics. Updates copy the
// touched record only (pure, so replayable).
const definition: SessionDefinition<State, Body> = {
  initial: () => ({ cursors: {}, unread: {}, muted: {} }),
  apply(state, body) {
    switch (body.type) {
      case 'read':
        return { ...state, cursors: { ...state.cursors, [body.topic]: body.upTo }, unread: { ...state.unread, [body.topic]: 0 } };
      case 'received':
        return { ...state, unread: { ...state.unread, [body.topic]: (state.unread[body.topic] ?? 0) + 1 } };
      case 'mute':
        return { ...state, muted: { ...state.muted, [body.topic]: body.muted } };
    }
  },
};
// Keys already in canonical (sorted) order, so the raw floor's JSON.stringify matches the seals.
const body = (n: number): Body =>
  n % 3 === 0 ? { topic: `topic-${n % 40}`, type: 'read', upTo: n } : n % 3 === 1 ? { topic: `topic-${n % 40}`, type: 'received' } : { muted: n % 2 === 0, topic: `topic-${n % 40}`, type: 'mute' };

const secret = new Uint8Array(32).fill(0x5a);
const dir = await mkdtemp(join(tmpdir(), 'stage-recall-bench-'));
const path = join(dir, 'log.jsonl');

const handler = new SessionHandler<State, Body>({ secret, definition, failureDetector: null });
const { sessionId, key } = handler.initiate();
const memory = await SessionClient.open<Body>({ sessionId, key, store: new MemoryLogStore<Body>(), pageSize: 1000 });
const fileStore = await FileLogStore.open<Body>({ path, durability: 'relaxed' });
const file = await SessionClient.open<Body>({ sessionId, key, store: fileStore, pageSize: 1000 });
for (let n = 0; n < ENTRIES; n++) {
  const entry = await memory.append(body(n));
  await handler.receive(sessionId, entry, memory.recaller());
}
await file.store.append(await memory.store.read(0, ENTRIES + 1));
await file.close();
const live = handler.state(sessionId);
// The trigger: the entry after the 10,000 the handler must recall.
const trigger = await memory.append(body(ENTRIES));
{
  const store = await FileLogStore.open<Body>({ path });
  await store.append([trigger]);
  await store.close();
}
const chainForRaw: SealedEntry<Body>[] = await memory.store.read(0, ENTRIES);

async function recallFromMemory(): Promise<number> {
  handler.delete(sessionId);
  const t0 = performance.now();
  const result = await handler.receive(sessionId, trigger, memory.recaller());
  const ms = performance.now() - t0;
  if (!result.recalled || JSON.stringify(result.state) !== JSON.stringify(definition.apply(live!, trigger.body))) throw new Error('recall from memory rebuilt a different state');
  return ms;
}

async function recallFromFile(): Promise<number> {
  handler.delete(sessionId);
  const t0 = performance.now();
  const client = await SessionClient.open<Body>({ sessionId, key, store: await FileLogStore.open<Body>({ path }), pageSize: 1000 });
  const result = await handler.receive(sessionId, trigger, (_id, upTo) => client.answerRecall(upTo));
  const ms = performance.now() - t0;
  await client.close();
  if (!result.recalled || JSON.stringify(result.state) !== JSON.stringify(definition.apply(live!, trigger.body))) throw new Error('recall from file rebuilt a different state');
  return ms;
}

async function rawVerifyReplay(): Promise<number> {
  const t0 = performance.now();
  const k = handler.keyOf(sessionId);
  let prev: Buffer = Buffer.alloc(32);
  const seqBytes = Buffer.alloc(8);
  let state = definition.initial();
  for (const entry of chainForRaw) {
    seqBytes.writeUInt32BE(entry.seq >>> 0, 4);
    prev = createHmac('sha256', k).update(prev).update(seqBytes).update(JSON.stringify(entry.body), 'utf8').digest();
    if (prev.toString('hex') !== entry.seal) throw new Error(`raw: seal ${entry.seq} differs (JSON.stringify is not canonical for this body)`);
    state = definition.apply(state, entry.body);
  }
  const ms = performance.now() - t0;
  if (JSON.stringify(state) !== JSON.stringify(live)) throw new Error('raw replay differs');
  return ms;
}

const best: Record<string, number> = {};
const contenders: Array<[string, () => Promise<number>]> = [
  ['raw node:crypto verify + replay (memory array)', rawVerifyReplay],
  ['stage recall from MemoryLogStore', recallFromMemory],
  ['stage recall from FileLogStore', recallFromFile],
];
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of contenders) {
    globalThis.gc?.();
    const ms = await fn();
    if (round > 0) best[name] = Math.min(best[name] ?? Infinity, ms);
  }
}
await rm(dir, { recursive: true, force: true });

const raw = best['raw node:crypto verify + replay (memory array)']!;
writeReport({
  name: 'recall',
  unit: 'ms for 10,000 entries',
  results: best,
  ratios: {
    'raw/stage memory (speed vs floor)': raw / best['stage recall from MemoryLogStore']!,
    'raw/stage file (speed vs floor)': raw / best['stage recall from FileLogStore']!,
  },
  notes: { entries: ENTRIES, rounds: ROUNDS, best: 'of rounds 2..N', target: 'memory < 100 ms', sealing: 'nodeSealing' },
});
