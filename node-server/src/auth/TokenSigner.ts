// Login tokens: `base64url(JSON {uid, exp, iat, lid}) . base64url(HMAC-SHA-256(key, payload))`. Signed, so any hub
// sharing the secret verifies them; expiry is part of the signed payload. `lid` names the login (one per
// register/login), so signing out revokes that login's token only; `iat` lets a password change refuse every token
// issued before it (the hub checks both against the store, see startHub's authenticate). The MAC key is derived from
// the hub secret for token signing only (deriveKey), never the secret itself.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { deriveKey } from './deriveKey.js';

export interface TokenClaims {
  userId: string;
  /** Set on a ticket (a single-use credential for one SSE request): its nonce. */
  ticketId?: string;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
  /** When it was issued, ms since the epoch. */
  issuedAt: number;
  /** The login it belongs to (random, 128 bits). */
  loginId: string;
}

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

export interface TokenSignerConfig {
  secret: Uint8Array;
  /** Lifetime of a token, default 3 days; a client refreshes it (POST /api/refresh) while it is valid. */
  ttlMs?: number;
  now?: () => number;
}

/** Three days: a device in use refreshes its token long before; one unused for longer logs in again. */
const defaultTokenTtlMs = 3 * 24 * 3600_000;

export class TokenSigner {
  private readonly secret: Uint8Array;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(config: TokenSignerConfig) {
    this.secret = deriveKey(config.secret, 'token-signing');
    this.ttlMs = config.ttlMs ?? defaultTokenTtlMs;
    this.now = config.now ?? Date.now;
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.secret).update(`stage-token:${payload}`).digest();
  }

  /** A token for a new login of `userId`. */
  sign(userId: string): { token: string; expiresAt: number; loginId: string } {
    const issuedAt = this.now();
    const expiresAt = issuedAt + this.ttlMs;
    const loginId = randomBytes(16).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ uid: userId, exp: expiresAt, iat: issuedAt, lid: loginId })).toString('base64url');
    return { token: `${payload}.${this.mac(payload).toString('base64url')}`, expiresAt, loginId };
  }

  /**
   * A new token for the same login (same login id and issue time, so a sign-out or a password change still refuses
   * it), valid a full lifetime from now: a device in use keeps its login without the password.
   */
  refresh(claims: TokenClaims): { token: string; expiresAt: number } {
    const expiresAt = this.now() + this.ttlMs;
    const payload = Buffer.from(JSON.stringify({ uid: claims.userId, exp: expiresAt, iat: claims.issuedAt, lid: claims.loginId })).toString('base64url');
    return { token: `${payload}.${this.mac(payload).toString('base64url')}`, expiresAt };
  }

  /**
   * A ticket for the login of `claims`: valid `ttlMs` (60 s), for one `GET /sse/:ticket` (an EventSource cannot send
   * a header, and a URL is logged: a ticket in a log is dead by the time anyone reads it). Same login and issue time
   * as the token, so signing the login out refuses its tickets too.
   */
  ticket(claims: TokenClaims, ttlMs = 60_000): { ticket: string; expiresAt: number } {
    const expiresAt = Math.min(claims.expiresAt, this.now() + ttlMs);
    const body = { uid: claims.userId, exp: expiresAt, iat: claims.issuedAt, lid: claims.loginId, tkt: randomBytes(12).toString('base64url') };
    const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
    return { ticket: `${payload}.${this.mac(payload).toString('base64url')}`, expiresAt };
  }

  /** Checks a token (`kind` 'token', the default) or a ticket; a ticket is never accepted as a token, nor the reverse. */
  verify(token: string, kind: 'token' | 'ticket' = 'token'): TokenCheck {
    const [payload, sig, extra] = token.split('.');
    if (!payload || !sig || extra !== undefined) return { ok: false, reason: 'malformed' };
    const given = Buffer.from(sig, 'base64url');
    const expected = this.mac(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' };
    let claims: { uid?: unknown; exp?: unknown; iat?: unknown; lid?: unknown; tkt?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    // A token from before logins were named (no lid/iat) cannot be signed out: refused, the user logs in again.
    if (typeof claims.uid !== 'string' || typeof claims.exp !== 'number' || typeof claims.iat !== 'number' || typeof claims.lid !== 'string') {
      return { ok: false, reason: 'malformed' };
    }
    if ((kind === 'ticket') !== (typeof claims.tkt === 'string')) return { ok: false, reason: 'malformed' };
    if (claims.exp <= this.now()) return { ok: false, reason: 'expired' };
    return {
      ok: true,
      claims: { userId: claims.uid, expiresAt: claims.exp, issuedAt: claims.iat, loginId: claims.lid, ...(typeof claims.tkt === 'string' ? { ticketId: claims.tkt } : {}) },
    };
  }
}
