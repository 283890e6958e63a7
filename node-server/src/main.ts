// The hub's command line: `tsx src/main.ts [--port 8080] [--data-dir ./data] [--log-level info]`,
// or env PORT, STAGE_DATA_DIR, STAGE_SECRET, STAGE_LOG_LEVEL (flags win). The secret is never a flag (argv is
// visible to every local user in `ps`): STAGE_SECRET or the file <data-dir>/secret. STAGE_DATABASE_URL / STAGE_REDIS_URL
// choose PostgreSQL / Redis. Serves the built web demo from node-server/public and shuts down gracefully on
// SIGINT/SIGTERM. STAGE_LIMITS (JSON) overrides protocol limits.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startHub } from './hub/startHub.js';
import { isLogLevel, Logger, type LogLevel } from './hub/Logger.js';
import type { Limits } from '@stage/sdk/im';
import type { HubLimits } from './hub/HubLimits.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    secret: { type: 'string' },
    'log-level': { type: 'string' },
    help: { type: 'boolean' },
  },
});

if (values.help) {
  console.log('usage: stage-hub [--port 8080] [--host 0.0.0.0] [--data-dir ./data] [--log-level debug|info|warn|error|silent]   (secret: env STAGE_SECRET or <data-dir>/secret)');
  process.exit(0);
}

if (values.secret !== undefined) {
  console.error('--secret is refused: a command line is visible to every local user (ps). Put the secret in STAGE_SECRET or in <data-dir>/secret (mode 0600).');
  process.exit(2);
}

const level = values['log-level'] ?? process.env.STAGE_LOG_LEVEL ?? 'info';
if (!isLogLevel(level)) {
  console.error(`--log-level must be one of debug, info, warn, error, silent (got "${level}")`);
  process.exit(2);
}
const port = Number(values.port ?? process.env.PORT ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer 0-65535 (got "${values.port ?? process.env.PORT}")`);
  process.exit(2);
}

// STAGE_LIMITS: JSON overrides of the protocol limits (tests and benchmarks), e.g. '{"commandsPerSecond":1000}'.
let limits: Partial<Limits> = {};
if (process.env.STAGE_LIMITS) {
  try {
    limits = JSON.parse(process.env.STAGE_LIMITS) as Partial<Limits>;
  } catch {
    console.error('STAGE_LIMITS must be a JSON object of limits, e.g. {"commandsPerSecond":1000}');
    process.exit(2);
  }
}

// STAGE_HUB_LIMITS: JSON overrides of the abuse guards (src/hub/HubLimits.ts, docs/HUB.md "Limits").
let hubLimits: Partial<HubLimits> = {};
if (process.env.STAGE_HUB_LIMITS) {
  try {
    hubLimits = JSON.parse(process.env.STAGE_HUB_LIMITS) as Partial<HubLimits>;
  } catch {
    console.error('STAGE_HUB_LIMITS must be a JSON object of hub limits, e.g. {"maxConnectionsPerUser":16}');
    process.exit(2);
  }
}

const secret = process.env.STAGE_SECRET;
await startHub({
  port,
  host: values.host ?? process.env.HOST ?? '0.0.0.0',
  // `npm start` runs this from node-server/; INIT_CWD is where the user typed it, so ./data lands there.
  dataDir: values['data-dir'] ?? process.env.STAGE_DATA_DIR ?? resolve(process.env.INIT_CWD ?? process.cwd(), 'data'),
  ...(secret ? { secret } : {}),
  logLevel: level as LogLevel,
  limits,
  hubLimits,
  ...(process.env.STAGE_TOKEN_TTL_MS ? { tokenTtlMs: Number(process.env.STAGE_TOKEN_TTL_MS) } : {}),
  ...(process.env.STAGE_TRUST_PROXY ? { trustProxy: Number(process.env.STAGE_TRUST_PROXY) } : {}),
  ...(process.env.STAGE_METRICS_TOKEN ? { metricsToken: process.env.STAGE_METRICS_TOKEN } : {}),
  ...(process.env.STAGE_OPEN_REGISTRATION === 'false' ? { openRegistration: false } : {}),
  handleSignals: true,
}).catch((err: unknown) => {
  // One log line that names the cause (a locked data dir, an unreachable database, a port in use), then exit 1.
  new Logger(level as LogLevel).error('hub failed to start', { err });
  process.exit(1);
});
