// Runs every *.bench.ts in a folder, each in its own process so one benchmark's garbage and JIT
// state do not colour the next. Names given on the command line pick a subset by prefix.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

export function runBenchmarks(dir: string, only: readonly string[] = process.argv.slice(2)): number {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => only.length === 0 || only.some((n) => f.startsWith(n)))
    .sort();
  let failed = 0;
  for (const [i, file] of files.entries()) {
    console.log(`\n[bench ${i + 1}/${files.length}] ${file}`);
    const run = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', '--expose-gc', join(dir, file)], {
      stdio: 'inherit',
    });
    if (run.status !== 0) {
      failed++;
      console.error(`[bench] ${file} exited with ${run.status}; run it alone to see why: node --conditions=source --import tsx ${join(dir, file)}`);
    }
  }
  return failed;
}
