// The hub CLI's settings as an operator meets them: every flag, variable and config-file key validated before
// anything starts, one line per mistake naming where it came from and the fix, exit 2 and no stack trace; `--help`
// lists every flag with its variable and default; flag beats variable beats config file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hubHelpText, hubOptions } from '../src/cli/hubOptions.js';
import { readHubSettings } from '../src/cli/readHubSettings.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const errorsOf = (args: string[], env: Record<string, string> = {}, files: Record<string, string> = {}): string[] => {
  const result = readHubSettings(args, env, (path) => {
    if (!(path in files)) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    return files[path]!;
  });
  return result.kind === 'errors' ? result.errors : [];
};

/** The real CLI, as a user runs it (a fresh process; no hub is started when the settings are wrong). */
function cli(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'node-server/src/main.ts', ...args], {
    cwd: repoRoot,
    env: { ...process.env, STAGE_LIMITS: '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('hub settings', () => {
  it('refuses an unknown flag, a missing value and a stray argument, one line each', () => {
    expect(errorsOf(['--prot', '80'])).toEqual([expect.stringMatching(/^unknown option --prot: see `stage-hub --help`/)]);
    expect(errorsOf(['--port'])).toEqual(['--port needs a value: --port <n>']);
    expect(errorsOf(['--port', '--host', 'x'])).toEqual(['--port needs a value: --port <n>']);
    expect(errorsOf(['serve'])).toEqual([expect.stringMatching(/^unexpected argument "serve"/)]);
    expect(errorsOf(['-x', 'a', '--log-level'])).toEqual([expect.stringMatching(/^unknown option -x/), '--log-level needs a value: --log-level <level>']);
  });

  it('validates each value with its schema and names where it came from and the fix', () => {
    expect(errorsOf(['--port', '70000'])).toEqual([expect.stringMatching(/^--port: .*\(got 70000\); fix: an integer from 0 to 65535/)]);
    expect(errorsOf([], { PORT: 'eighty' })).toEqual([expect.stringMatching(/^PORT: .*\(got "eighty"\); fix: an integer/)]);
    expect(errorsOf(['--log-level=loud'])).toEqual([expect.stringMatching(/^--log-level: .*fix: one of debug, info, warn, error, silent/)]);
    expect(errorsOf(['--database-url', 'mysql://db'])).toEqual([expect.stringMatching(/^--database-url: .*fix: a postgres:\/\/ URL/)]);
    expect(errorsOf([], { STAGE_REDIS_URL: 'localhost:6379' })).toEqual([expect.stringMatching(/^STAGE_REDIS_URL: .*fix: a redis:\/\/ or rediss:\/\/ URL/)]);
    expect(errorsOf(['--open-registration', 'no'])).toEqual([expect.stringMatching(/^--open-registration: .*fix: true or false/)]);
    expect(readHubSettings([], { STAGE_OPEN_REGISTRATION: 'false' })).toEqual({ kind: 'settings', settings: { openRegistration: false } });
    expect(errorsOf(['--secret', 'a-long-enough-secret-value'])).toEqual([expect.stringMatching(/^--secret is refused: a command line is visible/)]);
    expect(errorsOf(['--metrics-listen', '9464'])).toEqual([expect.stringMatching(/^--metrics-listen: .*fix: host:port, e\.g\. 127\.0\.0\.1:9464/)]);
    expect(errorsOf([], { STAGE_METRICS_LISTEN: '127.0.0.1:99999' })).toEqual([expect.stringMatching(/^STAGE_METRICS_LISTEN: the port is at most 65535/)]);
    expect(readHubSettings(['--metrics-listen', '[::1]:9464'], {})).toEqual({ kind: 'settings', settings: { metricsListen: '[::1]:9464' } });
    expect(errorsOf(['--command-workers', '0'])).toEqual([expect.stringMatching(/^--command-workers: .*\(got 0\); fix: an integer from 1 to 1024/)]);
    expect(readHubSettings([], { STAGE_COMMAND_WORKERS: '64' })).toEqual({ kind: 'settings', settings: { commandWorkers: 64 } });
  });

  it('refuses a weak STAGE_SECRET as a configuration error without echoing it', () => {
    const errors = errorsOf([], { STAGE_SECRET: 'correct-horse-battery-staple' });
    expect(errors).toEqual([expect.stringMatching(/^STAGE_SECRET: is not hexadecimal .*\(got <hidden>\); fix: 64 or more hex digits/)]);
    expect(errors.join('\n')).not.toContain('horse');
    expect(errorsOf([], { STAGE_SECRET: 'ab'.repeat(20) })).toEqual([expect.stringMatching(/^STAGE_SECRET: is too short/)]);
    const strong = Array.from({ length: 32 }, (_, i) => (i * 37 + 11).toString(16).padStart(2, '0').slice(-2)).join('');
    expect(readHubSettings([], { STAGE_SECRET: strong })).toEqual({ kind: 'settings', settings: { secret: strong } });
  });

  it('validates STAGE_LIMITS with the protocol limits schema: the limit at fault, not a hub that starts and fails every client', () => {
    expect(errorsOf([], { STAGE_LIMITS: '{"ackWindow":-5}' })).toEqual([expect.stringMatching(/^STAGE_LIMITS \(ackWindow\): .*\(got -5\); fix: a JSON object of positive numbers/)]);
    expect(errorsOf([], { STAGE_LIMITS: '{"ackWindw":5}' })).toEqual([expect.stringMatching(/^STAGE_LIMITS: unknown key ackWindw/)]);
    expect(errorsOf([], { STAGE_LIMITS: 'commandsPerSecond=5' })).toHaveLength(1);
    expect(errorsOf(['--limits', '{"heartbeatMs":30000,"idleTimeoutMs":20000}'])).toEqual([expect.stringMatching(/idleTimeoutMs must be longer than heartbeatMs/)]);
    expect(readHubSettings([], { STAGE_LIMITS: '{"commandsPerSecond":1000}' })).toEqual({ kind: 'settings', settings: { limits: { commandsPerSecond: 1000 } } });
  });

  it('reads a config file, validated the same way; flag beats variable beats file', () => {
    const file = JSON.stringify({ port: 9000, host: '127.0.0.1', logLevel: 'warn', limits: { ackWindow: 64 } });
    const read = (path: string) => (path === 'hub.json' ? file : '');
    expect(readHubSettings(['--config', 'hub.json'], {}, read)).toEqual({ kind: 'settings', settings: { port: 9000, host: '127.0.0.1', logLevel: 'warn', limits: { ackWindow: 64 } } });
    expect(readHubSettings(['--port', '9002'], { STAGE_CONFIG: 'hub.json', PORT: '9001', HOST: '::1' }, read)).toMatchObject({ kind: 'settings', settings: { port: 9002, host: '::1', logLevel: 'warn' } });
    expect(errorsOf(['--config', 'hub.json'], {}, { 'hub.json': '{"port":"x","dataDr":"/srv"}' })).toEqual([
      expect.stringMatching(/^hub.json: unknown setting "dataDr"/),
      expect.stringMatching(/^hub.json "port": .*fix: an integer/),
    ]);
    expect(errorsOf(['--config', 'hub.json'], {}, { 'hub.json': '{port: 1}' })).toEqual([expect.stringMatching(/^hub.json: not valid JSON/)]);
    expect(errorsOf(['--config', 'missing.json'])).toEqual([expect.stringMatching(/^--config: cannot read config file "missing.json" \(ENOENT\)/)]);
  });

  it('--help lists every flag with its environment variable and default', () => {
    const help = hubHelpText();
    for (const option of hubOptions) expect(help).toMatch(new RegExp(`${option.flag} \\S+ +${option.env} +${option.default.replace(/[()<>.]/g, '\\$&')} `));
    expect(help).toMatch(/--config <file> +STAGE_CONFIG/);
  });

  it('the real process: --help exits 0; a mistake exits 2 with the lines and no stack trace, starting nothing', () => {
    const help = cli(['-h']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--database-url <url> +STAGE_DATABASE_URL/);
    const dataDir = mkdtempSync(join(tmpdir(), 'stage-cli-'));
    try {
      const wrong = cli(['--port', '--data-dir', dataDir, 'extra'], { STAGE_LIMITS: '{"ackWindow":-5}' });
      expect(wrong.code).toBe(2);
      const lines = wrong.stderr.trim().split('\n');
      expect(lines).toEqual([
        expect.stringMatching(/^stage-hub: --port needs a value/),
        'stage-hub: unexpected argument "extra": the hub takes only --flags (did you mean `stage-hub admin extra`?)',
        expect.stringMatching(/^stage-hub: STAGE_LIMITS \(ackWindow\)/),
        'stage-hub: nothing started; `stage-hub --help` lists every option',
      ]);
      expect(wrong.stderr).not.toMatch(/\n\s+at /);
      expect(wrong.stdout).toBe('');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
