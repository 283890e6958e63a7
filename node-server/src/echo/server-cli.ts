// `npm run echo:server -- --port 3333 [--host 127.0.0.1] [--rx-timeout 30000] [--trace]`
// Runs the seed's echo server until SIGINT or SIGTERM; --trace prints one line per delivery.
import { parseArgs } from 'node:util';
import { Engine } from '@stage/sdk';
import { startEchoServer } from './startEchoServer.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '3333' },
    host: { type: 'string', default: '127.0.0.1' },
    'rx-timeout': { type: 'string', default: '30000' },
    trace: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log('usage: npm run echo:server -- --port 3333 [--host 127.0.0.1] [--rx-timeout ms] [--trace]');
  process.exit(0);
}

const port = Number(values.port);
const rxTimeoutMs = Number(values['rx-timeout']);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`echo:server: --port must be an integer 0..65535, got '${values.port}'`);
  process.exit(2);
}
if (!Number.isFinite(rxTimeoutMs) || rxTimeoutMs <= 0) {
  console.error(`echo:server: --rx-timeout must be a positive number of ms, got '${values['rx-timeout']}'`);
  process.exit(2);
}

const engine = new Engine({ drainOn: 'task' });
if (values.trace) engine.trace$.subscribe((entry) => console.log(entry.line));
try {
  const server = await startEchoServer({ port, host: values.host, rxTimeoutMs, engine });
  console.log(`echo server listening on ${values.host}:${server.port} (Ctrl-C to stop)`);
  await engine.done;
  console.log('echo server stopped');
} catch (error) {
  console.error(`echo:server: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
