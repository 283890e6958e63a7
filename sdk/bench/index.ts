// `npm run bench` for the SDK: runs every *.bench.ts in this folder, each in its own process so
// one benchmark's garbage and JIT state do not colour the next. Pass names to run a subset:
//   npm run bench --workspace @stage/sdk -- mailbox seal
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((n) => f.startsWith(n)))
  .sort();
let failed = 0;
for (const [i, file] of files.entries()) {
  console.log(`\n[bench ${i + 1}/${files.length}] ${file}`);
  const run = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', '--expose-gc', join(here, file)], {
    stdio: 'inherit',
  });
  if (run.status !== 0) {
    failed++;
    console.error(`[bench] ${file} exited with ${run.status}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
