// `stage-hub admin …`: administration of a hub's data from the command line. Groups and streams are created by
// running the hub's own command handlers as the named user (same validation, same visibility rules) inside one
// store transaction that also appends the outcomes they push, so every device learns of them on its next replay.
// SQLite: run it while the hub is stopped (a data dir belongs to one process). PostgreSQL: any time.
//
// Exit codes: 0 done, 1 refused (not found, conflict, store unavailable), 2 usage.
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { commandSchema, deviceSession, type Command } from '@stage/sdk/im';
import { hashPassword } from '../auth/password.js';
import { apiKeyHash, newApiKey } from '../auth/apiKey.js';
import { ensurePrivateDir } from '../auth/loadSecret.js';
import { commandHandlers } from '../commands/index.js';
import { dispatch } from '../commands/CommandContext.js';
import { CommandError } from '../commands/CommandError.js';
import { credentialsSchema } from '../http/authRoutes.js';
import { openStore } from '../store/openStore.js';
import { StoreConflictError, type Store, type UserRecord } from '../store/Store.js';

const adminHelpText = `usage: stage-hub admin <command> [--data-dir <dir>] [--database-url <url>]

  user create <username> [--password <p>]        create an account (password from --password, else
                                                 STAGE_ADMIN_PASSWORD, else generated and printed)
  user reset-password <username> [--password <p>]
                                                 a new password (given, STAGE_ADMIN_PASSWORD, or generated and
                                                 printed); every token of the user is refused from now on
  user deactivate <username>                     no login, every token refused; open connections are closed 4001
                                                 within revocationCheckMs (10 s) by the running hubs
  user reactivate <username>                     logins work again (tokens of before stay refused)
  user export <username>                         the user's account, groups, visible streams, authored
                                                 messages and retained outcome log, as JSON on stdout
  group create <name> --owner <username> [--member <username>]... [--description <text>]
                                                 a group owned by --owner, with members added
  stream create <name> --as <username> --group <group name or id>... [--description <text>]
                                                 a stream visible to those groups (of which --as is a member)
  apikey create <name> --user <username>         a key for the publish API (POST /api/v1/...) acting as that
                                                 user; printed once as stg_..., only its SHA-256 is stored
  apikey list                                    every key (id, name, user, created, revoked), never the key itself
  apikey revoke <id>                             requests with that key are refused 401 from now on
  secret rotate                                  a new hub secret in <data-dir>/secret (0600); restart the hub: every
                                                 device logs in again and starts a fresh sealed session. With
                                                 STAGE_SECRET set, prints a new one to put there on every hub
  backup <file>                                  a consistent copy of the SQLite store, taken with SQLite's
                                                 online backup API; works while the hub runs (PostgreSQL: pg_dump)

The store is the hub's: --data-dir / STAGE_DATA_DIR (SQLite, default ./data; stop the hub first, except for
backup) or
--database-url / STAGE_DATABASE_URL (PostgreSQL).
`;

/** Where admin output goes (tests capture it). */
export interface AdminIo {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
}

class UsageError extends Error {}
class RefusedError extends Error {}

interface AdminArgs {
  words: string[];
  flags: Map<string, string[]>;
}

const valueFlags = new Set(['--data-dir', '--database-url', '--password', '--owner', '--member', '--description', '--as', '--group', '--user']);

function parse(args: readonly string[]): AdminArgs {
  const words: string[] = [];
  const flags = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      words.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!valueFlags.has(flag)) throw new UsageError(`unknown option ${flag}`);
    const value = eq > 0 ? arg.slice(eq + 1) : args[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
    flags.set(flag, [...(flags.get(flag) ?? []), value]);
  }
  return { words, flags };
}

const one = (a: AdminArgs, flag: string): string | undefined => a.flags.get(flag)?.at(-1);
function required(a: AdminArgs, flag: string): string {
  const value = one(a, flag);
  if (value === undefined) throw new UsageError(`${flag} is required`);
  return value;
}

async function userNamed(store: Store, username: string): Promise<UserRecord> {
  const user = await store.userByName(username);
  if (!user) throw new RefusedError(`no user "${username}"`);
  return user;
}

/**
 * Runs `commands` as `user` in one transaction (all or nothing), appending each pushed outcome for its recipients.
 * Each command is made from the first one's reply (e.g. the id of the group just created).
 */
async function runAs(store: Store, user: UserRecord, commands: Array<(first: unknown) => Command>): Promise<unknown[]> {
  return store.transaction(async (tx) => {
    const replies: unknown[] = [];
    for (const make of commands) {
      const parsed = commandSchema.safeParse(make(replies[0]));
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new UsageError(`${issue.path.slice(1).join('.') || 'command'}: ${issue.message}`);
      }
      const ctx = { userId: user.id, deviceId: 'admin-cli', session: deviceSession.initial(), now: Date.now(), newId: randomUUID };
      const result = await dispatch(commandHandlers, parsed.data, ctx, tx);
      for (const push of result.pushes) {
        const recipients = [...new Set(push.recipients)];
        if (recipients.length > 0) await tx.outcomes.appendOutcomes(recipients, push.outcome);
      }
      replies.push(result.data);
    }
    return replies;
  });
}

const traceId = () => `admin-${randomUUID()}`;

async function createUser(store: Store, a: AdminArgs, io: AdminIo): Promise<void> {
  const username = a.words[2];
  if (!username) throw new UsageError('user create needs a username');
  const { password, generated } = adminPassword(a, io, username);
  const user = { id: randomUUID(), username, passwordHash: await hashPassword(password), createdAt: Date.now() };
  try {
    await store.insertUser(user);
  } catch (e) {
    if (e instanceof StoreConflictError) throw new RefusedError(`username "${username}" is taken`);
    throw e;
  }
  io.out(JSON.stringify({ userId: user.id, username, ...(generated ? { password } : {}) }) + '\n');
}

async function createGroup(store: Store, a: AdminArgs, io: AdminIo): Promise<void> {
  const name = a.words[2];
  if (!name) throw new UsageError('group create needs a name');
  const owner = await userNamed(store, required(a, '--owner'));
  const members = await Promise.all((a.flags.get('--member') ?? []).filter((m) => m !== owner.username).map((m) => userNamed(store, m)));
  const description = one(a, '--description');
  const replies = await runAs(store, owner, [
    () => ({ type: 'CreateGroup', traceId: traceId(), name, ...(description !== undefined ? { description } : {}) }),
    ...members.map((member) => (created: unknown) => ({ type: 'AddGroupMember' as const, traceId: traceId(), groupId: groupIdOf(created), userId: member.id })),
  ]);
  const groupId = groupIdOf(replies[0]);
  io.out(JSON.stringify({ groupId, name, owner: owner.username, members: [owner.username, ...members.map((m) => m.username)] }) + '\n');
}

/** The group id from a CreateGroup reply. */
function groupIdOf(reply: unknown): string {
  const id = (reply as { group?: { groupId?: string } }).group?.groupId;
  if (!id) throw new Error('no group id in reply');
  return id;
}

async function createStream(store: Store, a: AdminArgs, io: AdminIo): Promise<void> {
  const name = a.words[2];
  if (!name) throw new UsageError('stream create needs a name');
  const creator = await userNamed(store, required(a, '--as'));
  const wanted = a.flags.get('--group') ?? [];
  if (wanted.length === 0) throw new UsageError('--group is required (once per group)');
  const own = await store.groupsOf(creator.id);
  const groups = wanted.map((g) => {
    const matches = own.filter((x) => x.id === g || x.name === g);
    if (matches.length === 0) throw new RefusedError(`${creator.username} is not a member of a group "${g}"`);
    if (matches.length > 1) throw new RefusedError(`${creator.username} has ${matches.length} groups named "${g}": give its id (${matches.map((m) => m.id).join(', ')})`);
    return matches[0]!.id;
  });
  const description = one(a, '--description');
  await runAs(store, creator, [() => ({ type: 'CreateStream', traceId: traceId(), stream: name, groups, ...(description !== undefined ? { description } : {}) })]);
  io.out(JSON.stringify({ stream: name, creator: creator.username, groups }) + '\n');
}

async function exportUser(store: Store, a: AdminArgs, io: AdminIo): Promise<void> {
  const username = a.words[2];
  if (!username) throw new UsageError('user export needs a username');
  const user = await userNamed(store, username);
  const groups = await Promise.all((await store.groupsOf(user.id)).map(async (g) => ({ ...g, members: await store.members(g.id) })));
  const streams = await store.streamsVisibleTo(user.id);
  // Messages the user wrote, in every stream they can still see, oldest first (paged backwards by seq).
  const messages = [];
  for (const stream of streams) {
    let before: number | undefined;
    for (;;) {
      const page = await store.history({ stream: stream.name, limit: 200, ...(before !== undefined ? { before } : {}) });
      messages.push(...page.filter((m) => m.senderId === user.id));
      if (page.length < 200) break;
      before = page[0]!.seq;
    }
  }
  messages.sort((x, y) => x.seq - y.seq);
  const outcomes = [];
  for (let after = 0; ; ) {
    const page = await store.outcomes.outcomesAfter(user.id, after, 1000);
    outcomes.push(...page);
    if (page.length < 1000) break;
    after = page.at(-1)!.id;
  }
  const { passwordHash: _hash, ...account } = user;
  io.out(JSON.stringify({ exportedAt: new Date().toISOString(), user: account, groups, streams, messages, outcomes }, null, 2) + '\n');
}

/** The password an admin command sets: --password, STAGE_ADMIN_PASSWORD, or a generated one it prints. */
function adminPassword(a: AdminArgs, io: AdminIo, username: string): { password: string; generated: boolean } {
  const given = one(a, '--password') ?? io.env.STAGE_ADMIN_PASSWORD;
  const password = given ?? randomBytes(12).toString('base64url');
  const checked = credentialsSchema.safeParse({ username, password });
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new UsageError(`${issue.path.join('.')}: ${issue.message}`);
  }
  return { password, generated: given === undefined };
}

async function resetPassword(store: Store, a: AdminArgs, io: AdminIo): Promise<void> {
  const username = a.words[2];
  if (!username) throw new UsageError('user reset-password needs a username');
  const user = await userNamed(store, username);
  const { password, generated } = adminPassword(a, io, username);
  await store.setPassword(user.id, await hashPassword(password), Date.now());
  io.out(JSON.stringify({ userId: user.id, username, tokensRevoked: true, ...(generated ? { password } : {}) }) + '\n');
}

function setActive(active: boolean) {
  return async (store: Store, a: AdminArgs, io: AdminIo): Promise<void> => {
    const username = a.words[2];
    if (!username) throw new UsageError(`user ${active ? 'reactivate' : 'deactivate'} needs a username`);
    const user = await userNamed(store, username);
    await store.setDeactivated(user.id, active ? null : Date.now());
    io.out(JSON.stringify({ userId: user.id, username, active }) + '\n');
  };
}

async function createApiKey(store: Store, a: AdminArgs, io: AdminIo): Promise<void> {
  const name = a.words[2];
  if (!name) throw new UsageError('apikey create needs a name');
  if (name.length > 64 || !/^[A-Za-z0-9_.:-]+$/.test(name)) throw new UsageError('name: 1 to 64 letters, digits and _ . : - only');
  const user = await userNamed(store, required(a, '--user'));
  if (user.deactivatedAt != null) throw new RefusedError(`user "${user.username}" is deactivated`);
  const key = newApiKey();
  const record = { id: randomUUID(), name, userId: user.id, hash: apiKeyHash(key), createdAt: Date.now(), revokedAt: null };
  await store.insertApiKey(record);
  io.out(JSON.stringify({ id: record.id, name, user: user.username, key, next: 'keep the key now: it is not shown again (only its hash is stored)' }) + '\n');
}

async function listApiKeys(store: Store, _a: AdminArgs, io: AdminIo): Promise<void> {
  const keys = await store.apiKeys();
  const names = new Map<string, string>();
  for (const k of keys) if (!names.has(k.userId)) names.set(k.userId, (await store.userById(k.userId))?.username ?? k.userId);
  const rows = keys.map((k) => ({
    id: k.id,
    name: k.name,
    user: names.get(k.userId),
    createdAt: new Date(k.createdAt).toISOString(),
    revokedAt: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString(),
  }));
  io.out(JSON.stringify(rows) + '\n');
}

async function revokeApiKey(store: Store, a: AdminArgs, io: AdminIo): Promise<void> {
  const id = a.words[2];
  if (!id) throw new UsageError('apikey revoke needs a key id (see apikey list)');
  if (!(await store.revokeApiKey(id, Date.now()))) {
    const known = (await store.apiKeys()).some((k) => k.id === id);
    throw new RefusedError(known ? `API key ${id} is already revoked` : `no API key ${id}`);
  }
  io.out(JSON.stringify({ id, revoked: true }) + '\n');
}

const commands: Record<string, (store: Store, a: AdminArgs, io: AdminIo) => Promise<void>> = {
  'user create': createUser,
  'user reset-password': resetPassword,
  'user deactivate': setActive(false),
  'user reactivate': setActive(true),
  'user export': exportUser,
  'group create': createGroup,
  'stream create': createStream,
  'apikey create': createApiKey,
  'apikey list': listApiKeys,
  'apikey revoke': revokeApiKey,
};

/**
 * A new secret: written to `<dataDir>/secret` (0600, replacing the old one atomically), or, when the hub takes its
 * secret from STAGE_SECRET (a cluster), printed for the operator to set on every hub. Either way the hubs must be
 * restarted, and every token and sealed session made with the old secret is refused (devices log in again and
 * start fresh sessions, the hub answering 4005).
 */
function rotateSecret(io: AdminIo, dataDir: string): void {
  const secret = randomBytes(32).toString('hex');
  if (io.env.STAGE_SECRET) {
    io.out(JSON.stringify({ secret, next: 'set STAGE_SECRET to this on every hub, then restart them; every device logs in again' }) + '\n');
    return;
  }
  ensurePrivateDir(dataDir);
  const file = join(dataDir, 'secret');
  const temporary = `${file}.${process.pid}.new`;
  writeFileSync(temporary, secret, { mode: 0o600, flag: 'wx' });
  renameSync(temporary, file);
  io.out(JSON.stringify({ secretFile: file, next: 'restart the hub; every device logs in again and starts a fresh sealed session' }) + '\n');
}

/** SQLite's online backup of `<dataDir>/stage.db` into `file`, beside a running hub (read-only, no lock). */
async function backup(a: AdminArgs, io: AdminIo, dataDir: string): Promise<void> {
  const target = a.words[1];
  if (!target) throw new UsageError('backup needs a target file');
  if (existsSync(target)) throw new RefusedError(`${target} exists: give a new file name`);
  const source = join(dataDir, 'stage.db');
  if (!existsSync(source)) throw new RefusedError(`no SQLite store at ${source}: give the hub's --data-dir`);
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    const { totalPages } = await db.backup(target);
    io.out(JSON.stringify({ backup: target, from: source, pages: totalPages }) + '\n');
  } finally {
    db.close();
  }
}

/** Runs an admin command; resolves with the process exit code. */
export async function runAdmin(args: readonly string[], io: AdminIo): Promise<number> {
  let store: Store | undefined;
  try {
    if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
      io.out(adminHelpText);
      return args.length === 0 ? 2 : 0;
    }
    const a = parse(args);
    if (a.words.slice(0, 2).join(' ') === 'secret rotate') {
      rotateSecret(io, one(a, '--data-dir') ?? io.env.STAGE_DATA_DIR ?? './data');
      return 0;
    }
    if (a.words[0] === 'backup') {
      if (one(a, '--database-url') ?? io.env.STAGE_DATABASE_URL) throw new UsageError('backup copies the SQLite store; back up PostgreSQL with pg_dump');
      await backup(a, io, one(a, '--data-dir') ?? io.env.STAGE_DATA_DIR ?? './data');
      return 0;
    }
    const command = commands[a.words.slice(0, 2).join(' ')];
    if (!command) throw new UsageError(`unknown admin command "${a.words.slice(0, 2).join(' ')}"`);
    const databaseUrl = one(a, '--database-url') ?? io.env.STAGE_DATABASE_URL;
    if (databaseUrl !== undefined && !/^postgres(ql)?:\/\/./.test(databaseUrl)) throw new UsageError('--database-url must be a postgres:// URL');
    store = await openStore({ dataDir: one(a, '--data-dir') ?? io.env.STAGE_DATA_DIR ?? './data', ...(databaseUrl ? { databaseUrl } : {}) });
    await command(store, a, io);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`stage-hub admin: ${e.message}; \`stage-hub admin --help\` lists the commands\n`);
      return 2;
    }
    if (e instanceof RefusedError || e instanceof CommandError || e instanceof StoreConflictError) {
      io.err(`stage-hub admin: ${e.message}\n`);
      return 1;
    }
    // A locked data dir, an unreachable database: the store's own message says what to do.
    io.err(`stage-hub admin: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  } finally {
    await store?.close();
  }
}
