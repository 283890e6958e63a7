// `npm run bench:pg`: what one SendMessage costs PostgreSQL, at the store level, for this tree and optionally an
// older one side by side (the PostgreSQL path of issue #12). Each variant runs the hub's own command handler in
// the same transaction the hub's CommandRunner builds (claim the reply, execute, append the pushes, save the
// reply) on a pool of ONE connection, and measures per message:
// - the backend's CPU (utime + stime of pg_backend_pid() from /proc/<pid>/stat: needs the server on this machine),
// - WAL written (pg_current_wal_insert_lsn() before and after: the whole server's, so run it on a quiet one),
// - this process's CPU (the store's client side: what a hub pays for pg's protocol and socket writes),
// - round trips (statements sent while none of the connection's was in flight; a pipelined one rides along),
// - wall time.
// With --senders N it also measures contention: N senders at once, split over two stores (two "hubs", N/2
// connections each), all sending to the 1,001-member stream, one message in flight each; messages per second
// (wall) and CPU of all the database's backends per message. Every message locks all 1,001 counter rows, so this
// shows how long a message holds them.
// Rounds interleave the variants (order alternating) so machine drift hits both alike; medians and ranges over
// the rounds are printed and written to bench-results/pg-send-message.json.
// With --rtt-ms N the stores reach PostgreSQL through a loopback proxy that holds every chunk N/2 ms in each
// direction: a database one network hop away (on loopback a round trip costs ~0.1 ms, so round trips saved do not
// show in wall time). CPU and WAL are measured as without it.
//
//   npm run bench:pg -- [--old /path/to/older/checkout] [--rounds 5] [--url postgres://…] [--small 300] [--large 40]
//                       [--senders 16 --per-sender 8] [--rtt-ms 1]
//
// An older checkout: `git worktree add --detach /tmp/pg-old <commit>` and `ln -s $PWD/node_modules /tmp/pg-old/`.
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Command } from '@stage/sdk/im';
import { cpuSecondsOf } from './hub/procCpu.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    old: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    url: { type: 'string', default: process.env.STAGE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    small: { type: 'string', default: '300' },
    large: { type: 'string', default: '40' },
    senders: { type: 'string', default: '0' },
    'per-sender': { type: 'string', default: '8' },
    'rtt-ms': { type: 'string', default: '0' },
  },
});

/**
 * A TCP proxy on loopback in front of `target` that delays every chunk by `oneWayMs` in each direction (timers of
 * one duration fire in the order they were set, so the byte order holds). Returns the URL to connect to.
 */
async function delayingProxy(target: string, oneWayMs: number): Promise<{ url: string; close(): void }> {
  const to = new URL(target);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(to.port || 5432), to.hostname);
    for (const [from, into] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(from);
      from.setNoDelay(true);
      from.on('data', (chunk) => setTimeout(() => into.writable && into.write(chunk), oneWayMs));
      from.on('error', () => into.destroy());
      from.on('close', () => {
        sockets.delete(from);
        setTimeout(() => into.destroy(), oneWayMs);
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(target);
  proxied.hostname = '127.0.0.1';
  proxied.port = String((server.address() as net.AddressInfo).port);
  return {
    url: proxied.toString(),
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/** What the benchmark needs of a checkout's store and commands (loaded from its own source files). */
interface StoreLike {
  transaction<T>(work: (tx: TxLike) => Promise<T>): Promise<T>;
  dropSchemaAndClose(): Promise<void>;
  insertUser(u: { id: string; username: string; passwordHash: string; createdAt: number }): Promise<void>;
  insertGroup(g: { id: string; name: string; description: string; ownerId: string; createdAt: number }): Promise<void>;
  insertStream(s: { name: string; description: string; creatorId: string; createdAt: number; groups: string[] }): Promise<void>;
}
interface ReplyLogLike {
  findReply(userId: string, traceId: string): Promise<unknown>;
  saveReply(userId: string, traceId: string, reply: unknown): Promise<void>;
}
/** A checkout's transaction: the reply and outcome logs at `tx.replies` / `tx.outcomes`, or (older) on `tx` itself. */
interface TxLike extends Partial<ReplyLogLike> {
  replies?: ReplyLogLike;
  outcomes?: object;
}
interface Variant {
  name: string;
  open(schema: string, poolSize?: number): Promise<StoreLike>;
  /** The hub's SendMessage transaction (CommandRunner.executeDomain's store part). */
  send(store: StoreLike, userId: string, stream: string, n: number): Promise<void>;
}

async function loadVariant(name: string, root: string, url: string): Promise<Variant> {
  const src = (path: string) => import(pathToFileURL(resolve(root, 'node-server/src', path)).href);
  const { PostgresStore } = (await src('store/postgres/PostgresStore.ts')) as { PostgresStore: { open(c: object): Promise<StoreLike> } };
  const { commandHandlers } = (await src('commands/index.ts')) as { commandHandlers: unknown };
  const { dispatch } = (await src('commands/CommandContext.ts')) as {
    dispatch(h: unknown, c: Command, ctx: object, tx: TxLike): Promise<{ data: unknown; pushes: { outcome: unknown; recipients: string[] }[] }>;
  };
  const { appendPushes } = (await src('store/appendPushes.ts')) as { appendPushes(log: object, p: { userIds: string[]; body: unknown }[]): Promise<number[][]> };
  return {
    name,
    open: (schema, poolSize = 1) => PostgresStore.open({ url, schema, poolSize }),
    async send(store, userId, stream, n) {
      const traceId = `${name}-${stream}-${n}-${Math.random().toString(36).slice(2)}`;
      const command = { type: 'SendMessage', traceId, stream, topic: 'bench', content: `message ${n} ${'x'.repeat(80)}` } as unknown as Command;
      const ctx = { userId, deviceId: 'bench', session: {}, now: Date.now(), newId: () => crypto.randomUUID() };
      await store.transaction(async (tx) => {
        const replies = tx.replies ?? (tx as ReplyLogLike);
        if (await replies.findReply(userId, traceId)) return;
        const result = await dispatch(commandHandlers, command, ctx, tx);
        const pushes = result.pushes.map((p) => ({ userIds: [...new Set(p.recipients)], body: p.outcome })).filter((p) => p.userIds.length > 0);
        // As CommandRunner: the append goes with the COMMIT where the store can (appendPushesWithCommit).
        const log = (tx.outcomes ?? tx) as { appendPushesWithCommit?(p: { userIds: string[]; body: unknown }[]): Promise<number[][]> };
        const ids = log.appendPushesWithCommit && pushes.length > 0 ? log.appendPushesWithCommit(pushes) : await appendPushes(log, pushes);
        await replies.saveReply(userId, traceId, { kind: 'reply', traceId, ok: true, type: 'SendMessage', data: result.data });
        return { ids }; // wrapped: a returned promise would be adopted, and the ids settle only with the COMMIT
      }).then(async (r) => r && (await r.ids));
    },
  };
}

// Round trips: a statement sent while none of its connection's is in flight starts one; pipelined ones ride along.
let roundTrips = 0;
const inFlight = new WeakMap<object, number>();
const query = pg.Client.prototype.query as (this: pg.Client, ...a: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
  const n = inFlight.get(this) ?? 0;
  if (n === 0) roundTrips++;
  inFlight.set(this, n + 1);
  const result = query.apply(this, a);
  const settle = () => inFlight.set(this, (inFlight.get(this) ?? 1) - 1);
  if (result instanceof Promise) result.then(settle, settle);
  else settle();
  return result;
} as typeof pg.Client.prototype.query;

const AUDIENCES = { small: 5, large: 1001 } as const;
type Shape = keyof typeof AUDIENCES;

async function setUp(store: StoreLike): Promise<void> {
  const ids = Array.from({ length: AUDIENCES.large }, (_, i) => `user-${String(i).padStart(5, '0')}`);
  for (const id of ids) await store.insertUser({ id, username: id, passwordHash: 'x', createdAt: 0 });
  await store.transaction(async (tx) => {
    const t = tx as unknown as StoreLike & { addMember(g: string, u: string): Promise<void> };
    for (const shape of Object.keys(AUDIENCES) as Shape[]) {
      await t.insertGroup({ id: shape, name: shape, description: '', ownerId: ids[0]!, createdAt: 0 });
      for (const id of ids.slice(0, AUDIENCES[shape])) await t.addMember(shape, id);
      await t.insertStream({ name: shape, description: '', creatorId: ids[0]!, createdAt: 0, groups: [shape] });
    }
  });
}

interface Sample {
  cpuMs: number;
  /** This process's CPU per message: the store's client side, what a hub pays (pg's protocol, its socket writes). */
  hubCpuMs: number;
  walBytes: number;
  roundTrips: number;
  wallMs: number;
}

/** The pool's one backend (asked each time: the pool replaces a connection idle for 10 s). */
async function backendPid(store: StoreLike): Promise<number> {
  const pool = (store as unknown as { pool: pg.Pool }).pool;
  return (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
}

async function measure(variant: Variant, store: StoreLike, probe: pg.Client, shape: Shape, count: number): Promise<Sample> {
  const pid = await backendPid(store);
  const lsn = async () => (await probe.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0]!.lsn;
  const walFrom = await lsn();
  const cpuFrom = cpuSecondsOf(pid);
  const tripsFrom = roundTrips;
  const hubFrom = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < count; i++) await variant.send(store, 'user-00000', shape, i);
  const wallMs = performance.now() - started;
  const hub = process.cpuUsage(hubFrom);
  const cpuMs = (cpuSecondsOf(pid) - cpuFrom) * 1000;
  const trips = roundTrips - tripsFrom;
  const walBytes = Number((await probe.query<{ d: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1)::bigint AS d', [walFrom])).rows[0]!.d);
  return { cpuMs: cpuMs / count, hubCpuMs: (hub.user + hub.system) / 1000 / count, walBytes: walBytes / count, roundTrips: trips / count, wallMs: wallMs / count };
}

/** N senders at once over two stores on the variant's schema, all to the 1,001-member stream. */
async function contend(variant: Variant, schema: string, probe: pg.Client, senders: number, perSender: number): Promise<{ msgPerS: number; cpuMsPerMsg: number }> {
  const hubs = [await variant.open(schema, Math.ceil(senders / 2)), await variant.open(schema, Math.ceil(senders / 2))];
  try {
    // Open every connection before measuring, then find the backends (only this benchmark uses the database).
    await Promise.all(Array.from({ length: senders }, (_, i) => variant.send(hubs[i % 2]!, `user-${String(i).padStart(5, '0')}`, 'large', -1)));
    const pids = (await probe.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).rows.map((r) => r.pid);
    const cpu = () => pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
    const cpuFrom = cpu();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: senders }, async (_, i) => {
        for (let n = 0; n < perSender; n++) await variant.send(hubs[i % 2]!, `user-${String(i).padStart(5, '0')}`, 'large', n);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const messages = senders * perSender;
    return { msgPerS: messages / seconds, cpuMsPerMsg: ((cpu() - cpuFrom) * 1000) / messages };
  } finally {
    for (const hub of hubs) await (hub as unknown as { close(): Promise<void> }).close();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const rttMs = Number(args['rtt-ms']);
  const proxy = rttMs > 0 ? await delayingProxy(args.url, rttMs / 2) : undefined;
  const storeUrl = proxy?.url ?? args.url;
  const variants = [await loadVariant('new', resolve(here, '../..'), storeUrl)];
  if (args.old) variants.unshift(await loadVariant('old', resolve(args.old), storeUrl));
  const counts: Record<Shape, number> = { small: Number(args.small), large: Number(args.large) };
  const probe = new pg.Client({ connectionString: args.url });
  await probe.connect();
  // The round trip the stores actually see (through the proxy, timers and a busy event loop included).
  const measuredRttMs = await (async () => {
    const client = new pg.Client({ connectionString: storeUrl });
    await client.connect();
    const trips: number[] = [];
    for (let i = 0; i < 51; i++) {
      const t = performance.now();
      await client.query('SELECT 1');
      trips.push(performance.now() - t);
    }
    await client.end();
    return median(trips);
  })();
  console.log(`round trip (SELECT 1) to the stores' PostgreSQL: ${measuredRttMs.toFixed(2)} ms median${rttMs > 0 ? ` (proxy set to ${rttMs} ms)` : ''}`);
  const opened: { variant: Variant; store: StoreLike; schema: string }[] = [];
  try {
    for (const variant of variants) {
      const schema = `bench_pg_${variant.name}_${process.pid}`;
      const store = await variant.open(schema);
      await setUp(store);
      opened.push({ variant, store, schema });
      for (const shape of Object.keys(AUDIENCES) as Shape[]) await measure(variant, store, probe, shape, 5); // warm-up
    }
    const samples: Record<string, Record<Shape, Sample[]>> = {};
    const contention: Record<string, { msgPerS: number[]; cpuMsPerMsg: number[] }> = {};
    const senders = Number(args.senders);
    const rounds = Number(args.rounds);
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? opened : [...opened].reverse();
      if (senders > 0) {
        for (const { variant, schema } of order) {
          const c = await contend(variant, schema, probe, senders, Number(args['per-sender']));
          const into = (contention[variant.name] ??= { msgPerS: [], cpuMsPerMsg: [] });
          into.msgPerS.push(c.msgPerS);
          into.cpuMsPerMsg.push(c.cpuMsPerMsg);
          console.log(`round ${round + 1} ${senders} senders over 2 stores to 1,001 members, ${variant.name.padEnd(3)}: ${c.msgPerS.toFixed(1)} msg/s, PG CPU ${c.cpuMsPerMsg.toFixed(2)} ms per message`);
        }
      }
      for (const shape of Object.keys(AUDIENCES) as Shape[]) {
        for (const { variant, store } of order) {
          const s = await measure(variant, store, probe, shape, counts[shape]);
          ((samples[variant.name] ??= { small: [], large: [] })[shape]).push(s);
          console.log(
            `round ${round + 1} ${shape.padEnd(5)} (${AUDIENCES[shape]} members) ${variant.name.padEnd(3)}: ` +
              `PG CPU ${s.cpuMs.toFixed(2)} ms, hub CPU ${s.hubCpuMs.toFixed(2)} ms, WAL ${(s.walBytes / 1024).toFixed(1)} KB, ${s.roundTrips.toFixed(1)} round trips, wall ${s.wallMs.toFixed(1)} ms`,
          );
        }
      }
    }
    const summary: Record<string, Record<string, Record<string, { median: number; min: number; max: number; n: number }>>> = {};
    for (const [name, byShape] of Object.entries(samples)) {
      for (const shape of Object.keys(AUDIENCES) as Shape[]) {
        for (const key of ['cpuMs', 'hubCpuMs', 'walBytes', 'roundTrips', 'wallMs'] as const) {
          const xs = byShape[shape].map((s) => s[key]);
          ((summary[name] ??= {})[`${shape}-${AUDIENCES[shape]}`] ??= {})[key] = { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
        }
      }
    }
    const contended: Record<string, Record<string, { median: number; min: number; max: number; n: number }>> = {};
    for (const [name, c] of Object.entries(contention)) {
      for (const key of ['msgPerS', 'cpuMsPerMsg'] as const) (contended[name] ??= {})[key] = { median: median(c[key]), min: Math.min(...c[key]), max: Math.max(...c[key]), n: c[key].length };
    }
    console.log(JSON.stringify({ summary, contended }, null, 2));
    const out = resolve(here, '../../bench-results/pg-send-message.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify({ url: new URL(args.url).host, rttMs, measuredRttMs, counts, rounds, summary, senders, contended }, null, 2)}\n`);
    console.log(`written to ${out}`);
  } finally {
    for (const { store } of opened) await store.dropSchemaAndClose().catch(() => undefined);
    await probe.end();
    proxy?.close();
  }
}

await main();
