// `npm run bench` for the SDK: every *.bench.ts here. A subset by name:
//   npm run bench --workspace @stage/sdk -- mailbox seal
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBenchmarks } from './runBenchmarks.js';

process.exit(runBenchmarks(dirname(fileURLToPath(import.meta.url))) === 0 ? 0 : 1);
