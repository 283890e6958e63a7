// POST /api/register and POST /api/login: `{ username, password }` → `{ token, userId, username, expiresAt }`.
// Passwords are scrypt-hashed; a wrong username and a wrong password answer the same 401 so names do not leak.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { hashPassword, verifyPassword, type ScryptCost } from '../auth/password.js';
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

export interface AuthDeps {
  store: Store;
  tokens: TokenSigner;
  scryptCost?: ScryptCost;
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
  const user = await deps.store.userByName(username);
  if (!user || !(await verifyPassword(password, user.passwordHash))) throw new HttpError(401, 'unauthorized', 'wrong username or password');
  const { token, expiresAt } = deps.tokens.sign(user.id);
  sendJson(res, 200, { token, userId: user.id, username, expiresAt });
}
