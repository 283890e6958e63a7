// `npm run echo:client -- --port 3333 [--host 127.0.0.1] [--workers 4] [--twix 500] [--wait 5000] [--trace]`
// Runs the seed's echo client until SIGINT or SIGTERM; --trace prints one line per delivery.
import { parseArgs } from 'node:util';
import { Engine } from '@stage/sdk';
import { startEchoClient } from './startEchoClient.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '3333' },
    host: { type: 'string', default: '127.0.0.1' },
    workers: { type: 'string', default: '1' },
    twix: { type: 'string', default: '500' },
    wait: { type: 'string', default: '5000' },
    trace: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log('usage: npm run echo:client -- --port 3333 [--host 127.0.0.1] [--workers 4] [--twix ms] [--wait ms] [--trace]');
  process.exit(0);
}

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`echo:client: --${name} must be a positive integer, got '${text}'`);
    process.exit(2);
  }
  return n;
}

const port = positiveInt('port', values.port);
const workers = positiveInt('workers', values.workers);
const twixMs = positiveInt('twix', values.twix);
const waitMs = positiveInt('wait', values.wait);

const engine = new Engine();
if (values.trace) engine.trace$.subscribe((entry) => console.log(entry.line));
let replies = 0;
startEchoClient({ port, host: values.host, workers, twixMs, waitMs, engine, onReply: () => replies++ });
console.log(`echo client: ${workers} worker(s) -> ${values.host}:${port} (Ctrl-C to stop)`);
try {
  await engine.done;
  console.log(`echo client stopped after ${replies} replies`);
} catch (error) {
  console.error(`echo:client: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
