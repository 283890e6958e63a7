// POST /api/register and POST /api/login: `{ username, password }` → `{ token, userId, username, expiresAt }`.
// Passwords are scrypt-hashed; a wrong username and a wrong password answer the same 401 after the same work (an
// unknown name is checked against a dummy hash), so names leak neither by answer nor by time. A username locked by
// the LoginLimiter answers 429 before any hashing.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { hashPassword, verifyPassword, type ScryptCost } from '../auth/password.js';
import type { LoginLimiter } from '../auth/LoginLimiter.js';
import type { TokenSigner } from '../auth/TokenSigner.js';
import { StoreConflictError, type Store } from '../store/Store.js';
import { HttpError, sendJson } from './HttpError.js';
import { readJsonBody } from './readJsonBody.js';

// Same rules as the protocol's usernameSchema / passwordSchema.
export const credentialsSchema = z.strictObject({
  username: z
    .string()
    .min(3)
    .max(32)
    .regex(/^[a-z0-9_.-]+$/, 'lower-case letters, digits and _ . - only'),
  password: z.string().min(8).max(256),
});

/** POST /api/password: the current password (checked) and the new one (the same rules as at registration). */
export const passwordChangeSchema = z.strictObject({
  currentPassword: z.string().min(1).max(256),
  newPassword: credentialsSchema.shape.password,
});

export interface AuthDeps {
  store: Store;
  tokens: TokenSigner;
  scryptCost?: ScryptCost;
  limiter: LoginLimiter;
  /** False: POST /api/register answers 403 (accounts are created by the operator). */
  openRegistration: boolean;
}

/** A hash of a random password at the hub's cost, verified for unknown usernames (one per cost). */
const dummyHashes = new Map<string, Promise<string>>();
function dummyHash(cost: ScryptCost | undefined): Promise<string> {
  const key = JSON.stringify(cost ?? null);
  let hash = dummyHashes.get(key);
  if (!hash) dummyHashes.set(key, (hash = hashPassword(randomUUID(), cost)));
  return hash;
}

async function readCredentials(req: IncomingMessage): Promise<z.infer<typeof credentialsSchema>> {
  const parsed = credentialsSchema.safeParse(await readJsonBody(req));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HttpError(400, 'bad_schema', issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'bad body', issue?.path.map((p) => (typeof p === 'number' ? p : String(p))));
  }
  return parsed.data;
}

export async function register(deps: AuthDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!deps.openRegistration) throw new HttpError(403, 'forbidden', 'registration is closed on this hub: ask its operator for an account');
  const { username, password } = await readCredentials(req);
  const user = { id: randomUUID(), username, passwordHash: await hashPassword(password, deps.scryptCost), createdAt: Date.now() };
  try {
    await deps.store.insertUser(user);
  } catch (e) {
    if (e instanceof StoreConflictError) throw new HttpError(409, 'conflict', `username "${username}" is taken`);
    throw e;
  }
  const { token, expiresAt } = deps.tokens.sign(user.id);
  sendJson(res, 201, { token, userId: user.id, username, expiresAt });
}

export async function login(deps: AuthDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { username, password } = await readCredentials(req);
  const locked = deps.limiter.lockedFor(username);
  if (locked > 0) {
    res.setHeader('retry-after', String(Math.ceil(locked / 1000)));
    throw new HttpError(429, 'rate_limited', `too many failed logins for this username; retry in ${Math.ceil(locked)} ms`);
  }
  const user = await deps.store.userByName(username);
  const matches = await verifyPassword(password, user?.passwordHash ?? (await dummyHash(deps.scryptCost)));
  if (!user || !matches) {
    deps.limiter.failed(username);
    throw new HttpError(401, 'unauthorized', 'wrong username or password');
  }
  deps.limiter.succeeded(username);
  // Said only to whoever knows the password: a deactivated account is not revealed to a guesser.
  if (user.deactivatedAt != null) throw new HttpError(403, 'forbidden', "this account is deactivated: ask the hub's operator");
  const { token, expiresAt } = deps.tokens.sign(user.id);
  sendJson(res, 200, { token, userId: user.id, username, expiresAt });
}
