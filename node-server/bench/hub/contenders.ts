// The implementations under test for one shape: each its own server process (started here), the client-side
// target that speaks its protocol, and what is measured of it (its process's CPU; its counters).
import { CpuMeter } from './procCpu.js';
import type { Layout, ServerKind } from './protocol.js';
import { spawnServer, type ServerChild } from './serverChild.js';
import { socketioTarget } from './socketioTarget.js';
import { stageTarget, type BenchAccount } from './stageTarget.js';
import type { LoadTarget } from './target.js';
import type { Probe } from './load.js';
import { wsTarget } from './wsTarget.js';

export interface Contender {
  label: string;
  servers: ServerChild[];
  target: LoadTarget;
  probe: Probe;
  stop(): Promise<void>;
}

export const IMPLEMENTATIONS: readonly ServerKind[] = ['stage', 'socketio', 'socketio_plain', 'ws'];

/**
 * Sums the counters of several hubs (the worst of them for `since_last_` figures); {} if one does not answer within 15 s: a hub saturated by the load may answer
 * its IPC late, and the window's figures must not wait for it (its counters are then missing from that round).
 */
export async function summed(servers: ServerChild[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  try {
    // Counts add up; a `since_last_` figure (a hub's worst event-loop delay) is the worst hub's.
    for (const s of servers) for (const [k, v] of Object.entries(await s.stats(15_000))) out[k] = k.startsWith('since_last_') ? Math.max(out[k] ?? v, v) : (out[k] ?? 0) + v;
    return out;
  } catch {
    return {};
  }
}

/** One server process of `kind` for `layout` (Stage: on SQLite, the layout's fixture loaded). */
export async function startContender(kind: ServerKind, layout: Layout): Promise<Contender> {
  const server = await spawnServer(kind, kind === 'stage' ? { fixture: layout } : {});
  const stop = () => server.stop();
  const probe: Probe = { cpu: new CpuMeter(() => [server.pid]) };
  switch (kind) {
    case 'stage':
      return {
        label: kind,
        servers: [server],
        target: stageTarget({ ports: [server.port], layout, accounts: (server.info.accounts ?? []) as BenchAccount[] }),
        probe: { ...probe, counters: () => summed([server]) },
        stop,
      };
    case 'socketio':
    case 'socketio_plain':
      return { label: kind, servers: [server], target: socketioTarget(server.port, layout, kind), probe, stop };
    case 'ws':
      return { label: kind, servers: [server], target: wsTarget(server.port, layout), probe, stop };
  }
}
