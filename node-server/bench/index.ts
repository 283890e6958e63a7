// `npm run bench` for the hub and echo server: every *.bench.ts here (the hub load benchmark is
// `npm run bench:hub`). A subset by name: npm run bench --workspace @stage/node-server -- echo
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBenchmarks } from '../../sdk/bench/runBenchmarks.js';

process.exit(runBenchmarks(dirname(fileURLToPath(import.meta.url))) === 0 ? 0 : 1);
