// The hub secret signs tokens and derives sealed-session keys, so it must survive restarts and stay private: taken
// from the config (STAGE_SECRET in the environment, never the command line) when given, otherwise read from
// `<dataDir>/secret`, generated there (0600, in a 0700 directory) on first run. A secret must be at least 32 bytes
// written as 64+ hex digits; anything else (a passphrase, a short or mistyped value, a file with a non-hex tail)
// is refused with a message saying how to make one, never silently weakened.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

class SecretError extends Error {
  constructor(message: string) {
    super(`${message}; make one with: node -e "console.log(require('crypto').randomBytes(32).toString('hex'))"`);
    this.name = 'SecretError';
  }
}

/** What is wrong with a secret's text, or undefined when it is 32+ random-looking bytes written as hex. */
export function secretProblem(text: string): string | undefined {
  const trimmed = text.trim();
  if (!/^[0-9a-f]+$/i.test(trimmed)) return 'is not hexadecimal (a secret is 64 or more hex digits, 32 random bytes)';
  if (trimmed.length % 2 !== 0) return 'has an odd number of hex digits';
  if (trimmed.length < 64) return `is too short: ${trimmed.length / 2} bytes, at least 32 needed`;
  if (new Set(Buffer.from(trimmed, 'hex')).size < 8) return 'is not random (too few distinct bytes)';
  return undefined;
}

/** 32 bytes or more, as hex: the only accepted form. */
function parseSecret(text: string, source: string): Uint8Array {
  const problem = secretProblem(text);
  if (problem) throw new SecretError(`${source} ${problem}`);
  return Buffer.from(text.trim(), 'hex');
}

/** Creates the data dir owner-only (0700), tightening an existing one. */
export function ensurePrivateDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
}

export function loadSecret(dataDir: string, given?: string): Uint8Array {
  if (given) return parseSecret(given, 'STAGE_SECRET');
  const file = join(dataDir, 'secret');
  try {
    return parseSecret(readFileSync(file, 'utf8'), `the secret file ${file}`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  ensurePrivateDir(dataDir);
  const secret = randomBytes(32);
  writeFileSync(file, secret.toString('hex'), { mode: 0o600, flag: 'wx' });
  return secret;
}
