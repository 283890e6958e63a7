// The sealed session ids this hub issues, and the check that a `hello.sessionId` is one of them. An id is
// `<userId>.<deviceId>.<nonce>.<mac>`, the mac an HMAC of the rest under the hub's secret: a hub resumes only an id
// it issued to this same user and device, without storing ids (any hub sharing the secret recognises it, after a
// restart too). An id made up by a client, even with the right prefix, starts a fresh session instead.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Label of the mac, so it can never be confused with the other HMACs made with the same secret. */
const label = 'stage-session-id\u0000';

export class SessionIds {
  constructor(private readonly secret: Uint8Array) {}

  /** A fresh id for the user's device. */
  issue(userId: string, deviceId: string): string {
    const unsigned = `${userId}.${deviceId}.${randomBytes(16).toString('hex')}`;
    return `${unsigned}.${this.mac(unsigned)}`;
  }

  /** True when `sessionId` was issued by a hub with this secret to this user and device. */
  accepts(sessionId: string, userId: string, deviceId: string): boolean {
    const prefix = `${userId}.${deviceId}.`;
    if (!sessionId.startsWith(prefix)) return false;
    const at = sessionId.lastIndexOf('.');
    if (at < prefix.length) return false;
    const given = Buffer.from(sessionId.slice(at + 1), 'utf8');
    const expected = Buffer.from(this.mac(sessionId.slice(0, at)), 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private mac(unsigned: string): string {
    return createHmac('sha256', this.secret).update(label).update(unsigned).digest('hex').slice(0, 32);
  }
}
