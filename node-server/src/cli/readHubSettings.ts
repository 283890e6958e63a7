// The hub CLI's arguments, environment and optional config file → validated settings, or one line per mistake
// naming where it came from and what to write instead. Pure (no exit, no printing), so each mistake is testable.
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { configFileOption, hubOptions, hubSettingsSchema, type HubOption, type HubSettings } from './hubOptions.js';

export type HubSettingsResult = { kind: 'help' } | { kind: 'errors'; errors: string[] } | { kind: 'settings'; settings: HubSettings };

type Env = Record<string, string | undefined>;

/** Flags and their values; unknown flags, missing values and stray arguments become errors. */
function readArgs(args: readonly string[], errors: string[]): { help: boolean; values: Map<string, string> } {
  const known = new Map<string, unknown>([...hubOptions.map((o) => [o.flag, o] as const), [configFileOption.flag, configFileOption]]);
  const values = new Map<string, string>();
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-')) {
      errors.push(`unexpected argument "${arg}": the hub takes only --flags (did you mean \`stage-hub admin ${arg}\`?)`);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!known.has(flag)) {
      errors.push(`unknown option ${flag}: see \`stage-hub --help\` for the options`);
      if (eq < 0 && i + 1 < args.length && !args[i + 1]!.startsWith('-')) i++; // its value, most likely
      continue;
    }
    const refused = hubOptions.find((o) => o.flag === flag)?.envOnly;
    if (refused !== undefined) {
      errors.push(`${flag} is refused: ${refused}`);
      if (eq < 0 && i + 1 < args.length && !args[i + 1]!.startsWith('-')) i++; // its value
      continue;
    }
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (i + 1 < args.length && !args[i + 1]!.startsWith('--')) value = args[++i];
    if (value === undefined) {
      errors.push(`${flag} needs a value: ${flag} ${hubOptions.find((o) => o.flag === flag)?.value ?? configFileOption.value}`);
      continue;
    }
    const earlier = values.get(flag);
    values.set(flag, earlier !== undefined && hubOptions.find((o) => o.flag === flag)?.repeatable ? `${earlier},${value}` : value);
  }
  return { help, values };
}

/** The config file's object, or errors saying why it cannot be used. */
function readConfigFile(path: string, origin: string, errors: string[], read: (path: string) => string): Record<string, unknown> {
  let text: string;
  try {
    text = read(path);
  } catch (e) {
    errors.push(`${origin}: cannot read config file "${path}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): give the path of a readable JSON file`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    errors.push(`${path}: not valid JSON (${(e as Error).message}): write a JSON object such as {"port": 8080}`);
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    errors.push(`${path}: must be a JSON object such as {"port": 8080}`);
    return {};
  }
  const file = parsed as Record<string, unknown>;
  for (const key of Object.keys(file)) {
    if (!hubOptions.some((o) => o.key === key)) errors.push(`${path}: unknown setting "${key}"; known: ${hubOptions.map((o) => o.key).join(', ')}`);
  }
  return file;
}

/** One line for a failed value: where it came from, what is wrong, what to write. */
function describeIssue(option: HubOption, origin: string, issue: z.core.$ZodIssue, got: unknown): string {
  const sub = issue.path.slice(1).join('.');
  // The offending part of the value (e.g. -5 of {"ackWindow":-5}), not the whole object.
  for (const key of issue.path.slice(1)) got = typeof got === 'object' && got !== null ? (got as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined;
  const shown = option.secretValue ? '<hidden>' : typeof got === 'string' ? JSON.stringify(got) : JSON.stringify(got) ?? String(got);
  const what = issue.code === 'unrecognized_keys' ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` : issue.message;
  return `${origin}${sub ? ` (${sub})` : ''}: ${what} (got ${shown.length > 80 ? shown.slice(0, 77) + '...' : shown}); fix: ${option.fix}`;
}

export function readHubSettings(args: readonly string[], env: Env, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): HubSettingsResult {
  const errors: string[] = [];
  const { help, values } = readArgs(args, errors);
  if (help) return { kind: 'help' };

  const configPath = values.get(configFileOption.flag) ?? env[configFileOption.env];
  const configOrigin = values.has(configFileOption.flag) ? configFileOption.flag : configFileOption.env;
  const file = configPath ? readConfigFile(configPath, configOrigin, errors, read) : {};

  const settings: Record<string, unknown> = {};
  for (const option of hubOptions) {
    const flagValue = values.get(option.flag);
    const envValue = env[option.env] === '' ? undefined : env[option.env];
    let value: unknown;
    let origin: string;
    if (flagValue !== undefined) [value, origin] = [option.fromText ? option.fromText(flagValue) : flagValue, option.flag];
    else if (envValue !== undefined) [value, origin] = [option.fromText ? option.fromText(envValue) : envValue, option.env];
    else if (option.key in file) [value, origin] = [file[option.key], `${configPath} "${option.key}"`];
    else continue;
    const shape = hubSettingsSchema.shape[option.key];
    const checked = shape.safeParse(value);
    if (checked.success) settings[option.key] = checked.data;
    else for (const issue of checked.error.issues) errors.push(describeIssue(option, origin, { ...issue, path: [option.key, ...issue.path] }, value));
  }
  if (errors.length > 0) return { kind: 'errors', errors };
  return { kind: 'settings', settings: settings as HubSettings };
}
