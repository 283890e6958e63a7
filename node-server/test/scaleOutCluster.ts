// A small deployment for the scale-out tests: hub processes (the real CLI, src/main.ts) sharing one PostgreSQL
// schema, one Redis channel and one secret, and a TCP load balancer in front of them that sends each new
// connection to the first LIVE hub of its preference list (a hub that refuses the TCP connect is skipped): with
// preferences [A, B] clients land on A until A dies, then on B.
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { uniqueName } from './store-contract.js';
import { testDatabaseUrl, testRedisUrl } from './scaleOutServices.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const mainPath = resolve(repoRoot, 'node-server/src/main.ts');

export interface ClusterHub {
  name: string;
  url: string;
  port: number;
  child: ChildProcess;
  kill(): Promise<void>;
  log: string[];
}

export interface Cluster {
  schema: string;
  channel: string;
  databaseUrl: string;
  redisUrl: string;
  hubs: ClusterHub[];
  startHub(name: string): Promise<ClusterHub>;
  /** A load balancer URL preferring these hubs in order. */
  balancer(prefer: ClusterHub[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startCluster(secret = randomBytes(32).toString('hex')): Promise<Cluster> {
  const schema = uniqueName('test');
  const channel = `stage-test-${schema}`;
  const db = new URL(testDatabaseUrl);
  db.searchParams.set('schema', schema);
  const redis = new URL(testRedisUrl);
  redis.searchParams.set('channel', channel);
  const balancers: net.Server[] = [];
  const sockets = new Set<net.Socket>();

  const cluster: Cluster = {
    schema,
    channel,
    databaseUrl: db.toString(),
    redisUrl: redis.toString(),
    hubs: [],
    async startHub(name) {
      const child = spawn(
        process.execPath,
        ['--conditions=source', '--import', 'tsx', mainPath, '--port', '0', '--host', '127.0.0.1', '--data-dir', mkdtempSync(join(tmpdir(), `stage-${name}-`)), '--log-level', 'info'],
        {
          cwd: repoRoot,
          env: { ...process.env, STAGE_SECRET: secret, STAGE_DATABASE_URL: db.toString(), STAGE_REDIS_URL: redis.toString(), STAGE_LIMITS: JSON.stringify({ commandsPerSecond: 10_000, commandBurst: 10_000, retransmitAfterMs: 1000 }) },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const log: string[] = [];
      const keep = (line: string) => {
        log.push(line);
        if (log.length > 200) log.shift();
      };
      createInterface({ input: child.stderr! }).on('line', keep);
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      const url = await new Promise<string>((resolveUrl, reject) => {
        createInterface({ input: child.stdout! }).on('line', (line) => {
          keep(line);
          if (line.includes('"hub listening"')) resolveUrl((JSON.parse(line) as { url: string }).url);
        });
        child.once('exit', (code) => reject(new Error(`hub ${name} exited (${code}) before listening:\n${log.join('\n')}`)));
      });
      const hub: ClusterHub = {
        name,
        url,
        port: Number(new URL(url).port),
        child,
        log,
        async kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      };
      cluster.hubs.push(hub);
      return hub;
    },
    async balancer(prefer) {
      const server = net.createServer((client) => {
        sockets.add(client);
        client.once('close', () => sockets.delete(client));
        client.pause();
        const tryHub = (i: number) => {
          if (i >= prefer.length) return client.destroy();
          const upstream = net.connect({ host: '127.0.0.1', port: prefer[i]!.port });
          upstream.once('error', () => {
            if (!upstream.readyState.startsWith('open')) tryHub(i + 1);
          });
          upstream.once('connect', () => {
            sockets.add(upstream);
            upstream.once('close', () => {
              sockets.delete(upstream);
              client.destroy();
            });
            upstream.on('error', () => client.destroy());
            client.on('error', () => upstream.destroy());
            client.once('close', () => upstream.destroy());
            client.pipe(upstream);
            upstream.pipe(client);
            client.resume();
          });
        };
        tryHub(0);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      balancers.push(server);
      return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await Promise.all(balancers.map((b) => new Promise<void>((r) => b.close(() => r()))));
      await Promise.all(cluster.hubs.map((h) => h.kill()));
      const client = new pg.Client({ connectionString: testDatabaseUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
  return cluster;
}
