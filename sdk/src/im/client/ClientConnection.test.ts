// The connection over time on its own: attempts that fail reconnect, counting attempts; a terminal close stops it
// offline with its code, and stop() ends it offline.
import { firstValueFrom, filter, toArray, takeWhile } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { CloseCode } from '../protocol/closeCodes.js';
import { ClientConnection, type ConnectionInfo } from './ClientConnection.js';
import type { SocketClosed } from './HubSocket.js';

/** A connection whose attempts end as `closes` says, one after another (each socket fails to open). */
function scripted(closes: SocketClosed[]) {
  const seen: SocketClosed[] = [];
  const connection = new ClientConnection({
    reconnect: { initialDelayMs: 1, jitter: 0 },
    random: undefined,
    open: () => closes.shift() ?? { code: CloseCode.forbidden, reason: 'script over', welcomed: false },
    closed: (closed) => seen.push(closed),
  });
  return { connection, seen };
}

describe('ClientConnection', () => {
  it('reconnects after each drop, counting attempts, until a terminal close stops it offline with that code', async () => {
    const { connection, seen } = scripted([
      { code: 1006, reason: 'refused', welcomed: false },
      { code: CloseCode.goingAway, reason: 'hub restart', welcomed: false },
      { code: CloseCode.replaced, reason: 'another tab', welcomed: false },
    ]);
    const states = firstValueFrom(connection.info$.pipe(takeWhile((info) => info.stoppedBy === undefined, true), toArray()));
    connection.start();
    const infos: ConnectionInfo[] = await states;
    expect(infos.map((info) => [info.state, info.attempt])).toEqual([
      ['offline', 0],
      ['connecting', 0],
      ['reconnecting', 1],
      ['reconnecting', 1],
      ['reconnecting', 2],
      ['reconnecting', 2],
      ['offline', 2],
    ]);
    expect(infos.at(-1)).toEqual({ state: 'offline', attempt: 2, lastClose: { code: CloseCode.replaced, reason: 'another tab' }, stoppedBy: CloseCode.replaced });
    expect(seen.map((closed) => closed.code)).toEqual([1006, CloseCode.goingAway, CloseCode.replaced]);
    expect(connection.running).toBe(false);
  });

  it('stop() ends it offline, and a stopped connection starts again', async () => {
    const { connection } = scripted(Array.from({ length: 1000 }, () => ({ code: 1006, reason: 'refused', welcomed: false })));
    connection.start();
    await firstValueFrom(connection.info$.pipe(filter((info) => info.attempt >= 3)));
    connection.stop();
    expect(connection.running).toBe(false);
    expect(connection.info).toMatchObject({ state: 'offline', attempt: 0, lastClose: { code: 1006 } });
    connection.start();
    expect(connection.running).toBe(true);
    connection.stop();
  });
});
