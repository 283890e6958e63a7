// Every setting of the hub CLI in one table: its flag, its environment variable, its config-file key, its default,
// the zod schema its value must pass and what to write instead when it does not. `--help`, the parser and the
// docs' table are all read from here, so a setting cannot exist in one and be missing from another.
import { z } from 'zod';
import { limitsSchema } from '@stage/sdk/im';
import { DEFAULT_HUB_LIMITS, type HubLimits } from '../hub/HubLimits.js';
import { secretProblem } from '../auth/loadSecret.js';

/** Abuse guards an operator may override (docs/HUB.md "Limits"): any subset, each a non-negative number. */
const hubLimitOverridesSchema = z
  .object(Object.fromEntries(Object.keys(DEFAULT_HUB_LIMITS).map((key) => [key, z.number().nonnegative()])) as Record<keyof HubLimits, z.ZodNumber>)
  .partial()
  .strict();

/** Limits an operator may override: any subset of the protocol limits, each valid as the client checks it. */
const limitOverridesSchema = z
  .strictObject(limitsSchema.shape)
  .partial()
  .refine((l) => l.heartbeatMs === undefined || l.idleTimeoutMs === undefined || l.idleTimeoutMs > l.heartbeatMs, {
    message: 'idleTimeoutMs must be longer than heartbeatMs, or every quiet connection is closed before its ping',
  });

/** `host:port` or `[v6]:port`; port 0..65535 (0 picks a free one). */
const metricsListenPattern = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

const logLevels = ['debug', 'info', 'warn', 'error', 'silent'] as const;

export const hubSettingsSchema = z
  .object({
    port: z.number().int().min(0).max(65535),
    host: z.string().min(1),
    dataDir: z.string().min(1),
    // The same rule the hub applies at start (auth/loadSecret.ts), checked here so a weak secret is a configuration
    // error (exit 2) like any other, reported with the rest.
    secret: z.string().superRefine((text, ctx) => {
      const problem = secretProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    logLevel: z.enum(logLevels),
    databaseUrl: z.string().regex(/^postgres(ql)?:\/\/./),
    redisUrl: z.string().regex(/^rediss?:\/\/./),
    limits: limitOverridesSchema,
    hubLimits: hubLimitOverridesSchema,
    trustProxy: z.number().int().min(0).max(16),
    commandWorkers: z.number().int().min(1).max(1024),
    metricsToken: z.string().min(16),
    metricsListen: z.string().regex(metricsListenPattern, 'host:port').refine((text) => Number(text.slice(text.lastIndexOf(':') + 1)) <= 65535, 'the port is at most 65535'),
    // A floor of one second: short lifetimes are legitimate for tests and for hubs in front of a refreshing proxy.
    tokenTtlMs: z.number().int().min(1_000),
    openRegistration: z.boolean(),
    publicDir: z.string().min(1),
    extensions: z.array(z.string().min(1, 'an empty module name')).max(64),
  })
  .partial()
  .strict();

/** What the CLI hands to startHub (absent: its default). */
export type HubSettings = z.infer<typeof hubSettingsSchema>;
export type SettingKey = keyof HubSettings;

export interface HubOption {
  key: SettingKey;
  flag: `--${string}`;
  /** Placeholder of the value in `--help`. */
  value: string;
  env: string;
  /** The default as `--help` shows it. */
  default: string;
  help: string;
  /** What a valid value looks like, for error lines. */
  fix: string;
  /** Set when the flag is refused and the setting comes only from the environment or the config file: why. */
  envOnly?: string;
  /** Set for a secret: an error line never echoes its value. */
  secretValue?: boolean;
  /** The flag may be given several times: its values are joined with commas (then split by fromText). */
  repeatable?: boolean;
  /** Turns a flag's or variable's text into the value the schema checks (a config file gives it typed). */
  fromText?(text: string): unknown;
}

/** Integers stay numbers only when they look like one; anything else reaches the schema as text and fails there. */
const integer = (text: string): unknown => (/^-?\d+$/.test(text.trim()) ? Number(text) : text);
const boolean = (text: string): unknown => (text === 'true' ? true : text === 'false' ? false : text);
const json = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text; // not JSON: the object schema names it
  }
};

export const hubOptions: readonly HubOption[] = [
  { key: 'port', flag: '--port', value: '<n>', env: 'PORT', default: '8080', help: 'TCP port; 0 picks a free one', fix: 'an integer from 0 to 65535, e.g. 8080', fromText: integer },
  { key: 'host', flag: '--host', value: '<addr>', env: 'HOST', default: '0.0.0.0', help: 'interface to listen on', fix: 'an address, e.g. 127.0.0.1 behind a proxy' },
  { key: 'dataDir', flag: '--data-dir', value: '<dir>', env: 'STAGE_DATA_DIR', default: './data', help: 'SQLite file stage.db and the generated secret', fix: 'a directory path' },
  { key: 'secret', flag: '--secret', value: '<s>', env: 'STAGE_SECRET', default: '<data-dir>/secret', help: '(environment or config file only) signs tokens, derives session keys; keep it stable', envOnly: 'a command line is visible to every local user (ps); put the secret in STAGE_SECRET, the config file or <data-dir>/secret (mode 0600)', fix: '64 or more hex digits (32 random bytes), e.g. the output of `openssl rand -hex 32`', secretValue: true },
  { key: 'logLevel', flag: '--log-level', value: '<level>', env: 'STAGE_LOG_LEVEL', default: 'info', help: logLevels.join(', '), fix: `one of ${logLevels.join(', ')}` },
  { key: 'databaseUrl', flag: '--database-url', value: '<url>', env: 'STAGE_DATABASE_URL', default: '(SQLite)', help: 'PostgreSQL store instead of SQLite', fix: 'a postgres:// URL, e.g. postgres://stage@127.0.0.1:5432/stage' },
  { key: 'redisUrl', flag: '--redis-url', value: '<url>', env: 'STAGE_REDIS_URL', default: '(in-process)', help: 'fan-out between hubs over Redis pub/sub', fix: 'a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379' },
  { key: 'limits', flag: '--limits', value: '<json>', env: 'STAGE_LIMITS', default: '(protocol)', help: 'JSON overrides of the protocol limits', fix: `a JSON object of positive numbers with keys ${Object.keys(limitsSchema.shape).join(', ')}, e.g. {"commandsPerSecond":100}`, fromText: json },
  { key: 'hubLimits', flag: '--hub-limits', value: '<json>', env: 'STAGE_HUB_LIMITS', default: '(safe defaults)', help: 'JSON overrides of the abuse guards (docs/HUB.md "Limits")', fix: `a JSON object of non-negative numbers with keys ${Object.keys(DEFAULT_HUB_LIMITS).join(', ')}, e.g. {"maxConnectionsPerUser":16}`, fromText: json },
  { key: 'trustProxy', flag: '--trust-proxy', value: '<n>', env: 'STAGE_TRUST_PROXY', default: '0', help: 'reverse proxies whose X-Forwarded-For names the client', fix: 'an integer from 0 to 16: the number of proxies in front of the hub', fromText: integer },
  { key: 'commandWorkers', flag: '--command-workers', value: '<n>', env: 'STAGE_COMMAND_WORKERS', default: '(128 SQLite, 32 PostgreSQL)', help: 'commands handled at once; on SQLite also the most transactions in one group commit (docs/HUB.md)', fix: 'an integer from 1 to 1024', fromText: integer },
  { key: 'metricsToken', flag: '--metrics-token', value: '<s>', env: 'STAGE_METRICS_TOKEN', default: '(loopback only)', help: '/metrics answers only Authorization: Bearer <s>', fix: 'at least 16 characters', secretValue: true },
  { key: 'metricsListen', flag: '--metrics-listen', value: '<host:port>', env: 'STAGE_METRICS_LISTEN', default: '(the hub port)', help: '/metrics on a listener of its own (the hub port then answers it 404); any client reaching it may scrape unless --metrics-token is set', fix: 'host:port, e.g. 127.0.0.1:9464' },
  { key: 'tokenTtlMs', flag: '--token-ttl-ms', value: '<n>', env: 'STAGE_TOKEN_TTL_MS', default: '259200000 (3 days)', help: 'token lifetime; clients refresh it (POST /api/refresh) while valid; an open socket is closed 4001 when its token expires', fix: 'an integer number of milliseconds, at least 1000', fromText: integer },
  { key: 'openRegistration', flag: '--open-registration', value: '<bool>', env: 'STAGE_OPEN_REGISTRATION', default: 'true', help: 'false: POST /api/register answers 403; accounts come from `stage-hub admin user create`', fix: 'true or false', fromText: boolean },
  {
    key: 'extensions',
    flag: '--extension',
    value: '<module>',
    env: 'STAGE_EXTENSIONS',
    default: '(none)',
    help: 'load a hub extension (a .js file or a package; repeat the flag, or separate with commas); docs/HUB.md "Extending the hub"',
    fix: 'a path to a compiled extension module such as node-server/dist/extensions/poll/index.js, or a package name; several separated by commas',
    repeatable: true,
    fromText: (text) => text.split(',').map((part) => part.trim()).filter((part) => part !== ''),
  },
  { key: 'publicDir', flag: '--public-dir', value: '<dir>', env: 'STAGE_PUBLIC_DIR', default: 'node-server/public', help: 'static files served (the built web demo)', fix: 'a directory path' },
];

/** The config file: a JSON object with the keys above (`port`, `dataDir`, `limits`, …). */
export const configFileOption = { flag: '--config', value: '<file>', env: 'STAGE_CONFIG', help: 'JSON file with any of these settings (keys: ' + hubOptions.map((o) => o.key).join(', ') + ')' } as const;

export function hubHelpText(): string {
  const rows: string[][] = [
    ...hubOptions.map((o) => [`${o.flag} ${o.value}`, o.env, o.default, o.help]),
    [`${configFileOption.flag} ${configFileOption.value}`, configFileOption.env, '', configFileOption.help],
    ['-h, --help', '', '', 'this text'],
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell)).join('  ').trimEnd();
  return [
    'usage: stage-hub [options]',
    '       stage-hub admin <command> [args]   (stage-hub admin --help)',
    '',
    'Runs the Stage IM hub. Each setting comes from its flag, else its environment variable, else the config file,',
    'else its default.',
    '',
    '  ' + line(['option', 'environment', 'default', '']),
    ...rows.map((r) => '  ' + line(r)),
    '',
  ].join('\n');
}
