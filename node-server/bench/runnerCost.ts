// The command path without sockets, for A/B of the store and the runner between two checkouts: CommandRunner +
// SqliteStore in this process, SendMessage to 5-member streams (1,000 streams, 5,000 users) or 4 KB texts to one
// 1,000-member room, 16 commands in flight; prints the process's CPU (main thread + thread pool) per command.
// The source is loaded from <tree> (a checkout with node_modules, e.g. a `git worktree` with node_modules linked),
// so runs of two trees can alternate:
//   npx tsx --conditions=source node-server/bench/runnerCost.ts <tree> [streams|size] [commands] [ordered]
// `ordered`: each command is given an onOrdered callback that resolves a promise, as a device's connection does
// (DeviceConnection), so the store's ordering signal is on the measured path too.
import type { StoreTx } from '../src/store/Store.js';
import type { Command } from '@stage/sdk/im';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { analyzeSchema } from './hub/analyzeSchema.js';
const tree = process.argv[2] || new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const shape = process.argv[3] ?? 'streams';
const total = Number(process.argv[4] ?? 12000);
const ordered = process.argv[5] === 'ordered';
const { group } = await import('@stage/sdk');
const { deviceSession } = await import('@stage/sdk/im');
const { InProcessFanout } = await import(`${tree}/node-server/src/fanout/InProcessFanout.ts`);
const { CommandRunner } = await import(`${tree}/node-server/src/hub/CommandRunner.ts`);
const { Logger } = await import(`${tree}/node-server/src/hub/Logger.ts`);
const { Metrics, hubMetrics } = await import(`${tree}/node-server/src/hub/Metrics.ts`);
const { SqliteStore } = await import(`${tree}/node-server/src/store/SqliteStore.ts`);
const { PostgresStore } = await import(`${tree}/node-server/src/store/postgres/PostgresStore.ts`);
const dir = mkdtempSync(join(tmpdir(), 'rb-'));
// STAGE_RUNNER_COST_DATABASE_URL: the same on PostgreSQL (a schema of its own, analyzed after the fixture as bench:hub
// does, dropped at the end); the CPU printed is still this process's: the hub's side of the store, not PostgreSQL's.
const databaseUrl = process.env.STAGE_RUNNER_COST_DATABASE_URL;
const store = databaseUrl
  ? await PostgresStore.open({ url: databaseUrl, schema: `runner_cost_${randomUUID().replaceAll('-', '').slice(0, 10)}` })
  : new SqliteStore({ file: join(dir, 'db.sqlite') });
const rooms = shape === 'streams' ? 1000 : 1, members = shape === 'streams' ? 5 : 1000;
const text = 'x'.repeat(shape === 'streams' ? 200 : 4096);
const streams: string[][] = [];
await store.transaction(async (tx: StoreTx) => {
  for (let r = 0; r < rooms; r++) {
    const ms: string[] = [];
    for (let m = 0; m < members; m++) { const id = randomUUID(); await tx.insertUser({ id, username: 'u' + id, passwordHash: 'x', createdAt: 1 }); ms.push(id); }
    const g = randomUUID();
    await tx.insertGroup({ id: g, name: 'g' + r, description: '', ownerId: ms[0]!, createdAt: 1 });
    for (const u of ms) await tx.addMember(g, u);
    await tx.insertStream({ name: 'r' + r, description: '', creatorId: ms[0]!, createdAt: 1, groups: [g] });
    streams.push(ms);
  }
});
if (databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await analyzeSchema(client, store.schema);
  await client.end();
}
const fanout = new InProcessFanout();
let delivered = 0;
fanout.entries$.subscribe((entries: readonly unknown[]) => (delivered += entries.length));
const runner = new CommandRunner({ store, fanout, log: new Logger('silent'), counters: hubMetrics(new Metrics()), workers: 16, maxDeliveries: 3, deadlineMs: 10_000 });
group(runner.task(), { size: 16, restart: 'transient', intensity: { maxRestarts: 100, withinMs: 10_000 } });
const session = deviceSession.initial();
let i = 0;
const one = async () => {
  const k = i++; const r = k % rooms; const userId = streams[r]![(k / rooms | 0) % members]!;
  const command = { type: 'SendMessage', traceId: randomUUID(), stream: 'r' + r, topic: 'general', content: text } as Command;
  let onOrdered: (() => void) | undefined;
  if (ordered) void new Promise<void>((resolve) => (onOrdered = resolve));
  const reply = await runner.run({ userId, deviceId: 'd', session, command, ...(onOrdered ? { onOrdered } : {}) });
  if (!reply.ok) throw new Error(JSON.stringify(reply));
};
const loop = async (n: number) => { for (let j = 0; j < n; j++) await one(); };
// RUNNER_COST_IN_FLIGHT: commands in flight (default 16), e.g. as many as a loaded hub has waiting.
const inFlight = Number(process.env.RUNNER_COST_IN_FLIGHT ?? 16);
await Promise.all(Array.from({ length: inFlight }, () => loop(Math.max(1, Math.round(1600 / inFlight)))));
const cpu0 = process.cpuUsage(); const t0 = performance.now(); delivered = 0;
const perLoop = Math.max(1, Math.round(total / inFlight));
const measured = perLoop * inFlight;
await Promise.all(Array.from({ length: inFlight }, () => loop(perLoop)));
const cpu = process.cpuUsage(cpu0); const us = cpu.user + cpu.system;
console.log(JSON.stringify({ tree, shape, ordered, commands: measured, cpu_us_per_command: +(us / measured).toFixed(1), deliveries_per_cpu_s: Math.round(delivered / (us / 1e6)), wall_s: +((performance.now() - t0) / 1000).toFixed(1), commits: store.commitStats }));
runner.close();
if (databaseUrl) await store.dropSchemaAndClose();
else await store.close();
rmSync(dir, { recursive: true });
process.exit(0);
