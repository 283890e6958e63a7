// Child-process entry for the hub benchmark: starts ONE server (stage | socketio | socketio_plain | ws) on an
// ephemeral loopback port, tells the parent its port over IPC, and answers the parent's probes. Keeping each server in its own
// process means the load clients (in the parent) never share a CPU queue or a heap with the server they measure.
//   node --conditions=source --import tsx --expose-gc serverProcess.ts <kind> [json options]
import type { BenchServer, ServerKind } from './protocol.js';

const kind = process.argv[2] as ServerKind;
const options = JSON.parse(process.argv[3] ?? '{}') as Record<string, unknown>;

async function start(): Promise<BenchServer> {
  switch (kind) {
    case 'socketio':
      return (await import('./socketioServer.js')).startSocketIoServer({ acks: true });
    case 'socketio_plain':
      return (await import('./socketioServer.js')).startSocketIoServer({ acks: false });
    case 'ws':
      return (await import('./wsServer.js')).startWsServer();
    case 'stage':
      return (await import('./stageServer.js')).startStageServer(options);
    default:
      throw new Error(`unknown server kind ${String(kind)}: expected stage | socketio | socketio_plain | ws`);
  }
}

/** RSS after two full collections, so the figure is live memory plus the allocator's retained pages. */
async function settledRss(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return process.memoryUsage().rss;
}

const server = await start();
process.on('message', (message: { type: string; id: number }) => {
  const reply = (body: Record<string, unknown>) => process.send?.({ id: message.id, ...body });
  if (message.type === 'rss') void settledRss().then((rss) => reply({ rss }));
  else if (message.type === 'stats') reply({ stats: server.stats?.() ?? {} });
  // Where the per-connection memory goes: a V8 heap snapshot for Chrome DevTools (path in the reply).
  else if (message.type === 'heap') void import('node:v8').then((v8) => reply({ file: v8.writeHeapSnapshot() }));
  else if (message.type === 'stop') void server.close().then(() => { reply({}); process.exit(0); });
});
// The parent gone (crashed, killed, Ctrl-C): never outlive it.
process.on('disconnect', () => void server.close().finally(() => process.exit(0)));
process.on('SIGINT', () => undefined); // the parent's Ctrl-C reaches the whole group; the parent stops us in order
process.send?.({ id: 0, ready: true, port: server.port, info: server.info ?? {} });
