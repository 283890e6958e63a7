#!/usr/bin/env node
// The hub's command line (`stage-hub`, or `node node-server/dist/main.js`): settings from flags, environment and an
// optional config file, validated before anything starts (see cli/hubOptions.ts and `stage-hub --help`); a mistake
// prints one line per error and exits 2. `stage-hub admin …` administers a data dir instead (cli/admin.ts). The
// hub serves the built web demo from node-server/public and shuts down gracefully on SIGINT/SIGTERM.
import { resolve } from 'node:path';
import { startHub } from './hub/startHub.js';
import { Logger } from './hub/Logger.js';
import { hubHelpText } from './cli/hubOptions.js';
import { readHubSettings } from './cli/readHubSettings.js';
import { loadExtensions } from './extensions/loadExtensions.js';

async function runHub(args: readonly string[]): Promise<void> {
  const result = readHubSettings(args, process.env);
  if (result.kind === 'help') {
    process.stdout.write(hubHelpText());
    return;
  }
  if (result.kind === 'errors') {
    for (const error of result.errors) process.stderr.write(`stage-hub: ${error}\n`);
    process.stderr.write('stage-hub: nothing started; `stage-hub --help` lists every option\n');
    process.exitCode = 2;
    return;
  }
  const { settings } = result;
  const level = settings.logLevel ?? 'info';
  const { extensions: modules, ...rest } = settings;
  let extensions;
  try {
    // Paths are relative to where the command was typed (npm start may run from a workspace folder).
    extensions = await loadExtensions(modules ?? [], process.env.INIT_CWD ?? process.cwd());
  } catch (err) {
    process.stderr.write(`stage-hub: ${(err as Error).message}\n`);
    process.stderr.write('stage-hub: nothing started; `stage-hub --help` lists every option\n');
    process.exitCode = 2;
    return;
  }
  await startHub({
    extensions,
    ...rest,
    // `npm start` may run from a workspace folder; INIT_CWD is where the user typed it, so ./data lands there.
    dataDir: settings.dataDir ?? resolve(process.env.INIT_CWD ?? process.cwd(), 'data'),
    logLevel: level,
    limits: settings.limits ?? {},
    handleSignals: true,
  }).catch((err: unknown) => {
    // One log line that names the cause (a locked data dir, an unreachable database, a port in use), then exit 1.
    new Logger(level).error('hub failed to start', { err });
    process.exit(1);
  });
}

const args = process.argv.slice(2);
if (args[0] === 'admin') {
  const { runAdmin } = await import('./cli/admin.js');
  // exitCode, not exit(): a piped export is written out in full before the process ends.
  process.exitCode = await runAdmin(args.slice(1), { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), env: process.env });
} else {
  await runHub(args);
}
