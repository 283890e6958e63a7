// Register / log in against the hub's HTTP API and remember the signed-in account for this browser
// profile (localStorage), with a device id of its own so each browser is its own device and session.
export interface Account {
  token: string;
  userId: string;
  username: string;
  expiresAt?: number;
}

export class AuthError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

const accountKey = 'stage.account';
const deviceKey = 'stage.deviceId';

export function savedAccount(): Account | undefined {
  const text = localStorage.getItem(accountKey);
  if (!text) return undefined;
  try {
    const account = JSON.parse(text) as Account;
    if (account.expiresAt && account.expiresAt < Date.now()) return undefined;
    return account;
  } catch {
    return undefined;
  }
}

/** Keeps the account (after a login, or a token the client refreshed) for the next visit. */
export function rememberAccount(account: Account): void {
  localStorage.setItem(accountKey, JSON.stringify(account));
}

export function forgetAccount(): void {
  localStorage.removeItem(accountKey);
}

/** This browser profile's device id: stable across reloads, different in every profile. */
export function deviceId(): string {
  let id = localStorage.getItem(deviceKey);
  if (!id) {
    id = `web-${crypto.randomUUID().replace(/-/g, '').slice(0, 16)}`;
    localStorage.setItem(deviceKey, id);
  }
  return id;
}

export async function authenticate(mode: 'login' | 'register', username: string, password: string): Promise<Account> {
  let response: Response;
  try {
    response = await fetch(`/api/${mode}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
  } catch {
    throw new AuthError('offline', 'Cannot reach the hub. Check your connection and try again.');
  }
  const body = (await response.json().catch(() => ({}))) as Partial<Account> & { error?: { code?: string; message?: string } };
  if (!response.ok || !body.token || !body.userId) {
    throw new AuthError(body.error?.code ?? String(response.status), body.error?.message ?? `The hub answered ${response.status}`);
  }
  const account: Account = { token: body.token, userId: body.userId, username: body.username ?? username, expiresAt: body.expiresAt };
  rememberAccount(account);
  return account;
}
