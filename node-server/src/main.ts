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

const args = process.argv.slice(2);
const result = readHubSettings(args, process.env);
if (result.kind === 'help') {
  process.stdout.write(hubHelpText());
  process.exit(0);
}
if (result.kind === 'errors') {
  for (const error of result.errors) process.stderr.write(`stage-hub: ${error}\n`);
  process.stderr.write('stage-hub: nothing started; `stage-hub --help` lists every option\n');
  process.exit(2);
}

const { settings } = result;
const level = settings.logLevel ?? 'info';
await startHub({
  ...settings,
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
