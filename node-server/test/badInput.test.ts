// Bad input: a fast-check run of 10,000 malformed, oversized, wrong-schema and forged-seal frames against a real
// hub. Each must be answered as docs/PROTOCOL.md says — Err bad_schema with the failing path when a trace id is
// readable, close 1007 when not, close 1009 when over 64 KiB, Err broken_chain + close 4005 for a forged seal,
// Err unknown_session for a foreign session id — the hub must stay up and the database must not change.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { webSocketProtocols } from '@stage/sdk/im';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub } from './support/startTestHub.js';
import { TestClient, registerUser, type Credentials } from './support/TestClient.js';

let hub: Awaited<ReturnType<typeof startTestHub>>;
let creds: Credentials;

beforeAll(async () => {
  hub = await startTestHub({ limits: { commandsPerSecond: 1_000_000, commandBurst: 1_000_000 } });
  creds = await registerUser(hub.url, 'mallory');
  const setup = new TestClient({ baseUrl: hub.url, token: creds.token, deviceId: 'setup' });
  await setup.connect();
  const { group } = await setup.ok('CreateGroup', { name: 'g' });
  await setup.ok('CreateStream', { stream: 'general', groups: [group.groupId] });
  await setup.ok('SendMessage', { stream: 'general', topic: 't', content: 'before' });
  await setup.close();
});
afterAll(async () => hub?.stop());

/** Every row of every table, to prove nothing changed. */
function dumpDatabase(): string {
  const db = new Database(join(hub.dataDir, 'stage.db'), { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
    return JSON.stringify(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY 1, 2`).all()]));
  } finally {
    db.close();
  }
}

/** One connection, welcomed; frames are sent raw and their effect observed. */
class RawConnection {
  ws!: WebSocket;
  sessionId = '';
  closed: number | undefined;
  private listeners: Array<(frame: Record<string, unknown> | { close: number }) => void> = [];

  static async open(): Promise<RawConnection> {
    const c = new RawConnection();
    await new Promise<void>((resolve, reject) => {
      // A device id per connection: a second connection of one device would replace (4004) the first.
      c.ws = new WebSocket(`${hub.url.replace('http', 'ws')}/ws/fuzz-${++connections}`, webSocketProtocols(creds.token));
      c.ws.on('error', reject);
      c.ws.on('open', () => c.ws.send(JSON.stringify({ kind: 'hello', protocol: 1, lastOutcomeId: 0 })));
      c.ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as Record<string, unknown>;
        if (frame.kind === 'welcome') {
          c.sessionId = frame.sessionId as string;
          resolve();
        }
        for (const l of c.listeners) l(frame);
      });
      c.ws.on('close', (code) => {
        c.closed = code;
        for (const l of c.listeners) l({ close: code });
      });
    });
    return c;
  }

  /** Sends `text` and resolves with the reply carrying `traceId`, or with the close code. */
  exchange(text: string, traceId: string | undefined): Promise<{ reply?: Record<string, unknown>; close?: number }> {
    return new Promise((resolve) => {
      const listener = (frame: Record<string, unknown> | { close: number }) => {
        if ('close' in frame && typeof frame.close === 'number') done({ close: frame.close });
        else if ((frame as Record<string, unknown>).kind === 'reply' && (frame as Record<string, unknown>).traceId === traceId) {
          done({ reply: frame as Record<string, unknown> });
        }
      };
      const done = (result: { reply?: Record<string, unknown>; close?: number }) => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve(result);
      };
      this.listeners.push(listener);
      this.ws.send(text);
    });
  }
}

type Expectation = { reply: string } | { close: number } | { replyThenClose: string; close: number };
interface BadFrame {
  label: string;
  text: string;
  traceId?: string;
  expect: Expectation;
}

let counter = 0;
let connections = 0;
const trace = () => `fuzz-${++counter}`;
const validCommand = (traceId: string) => ({ type: 'SendMessage', traceId, stream: 'general', topic: 't', content: 'hi' });

const notJson = fc
  .string({ maxLength: 200 })
  .filter((s) => {
    try {
      const v = JSON.parse(s) as unknown;
      return typeof v !== 'object' || v === null || Array.isArray(v) || typeof (v as { kind?: unknown }).kind !== 'string';
    } catch {
      return true;
    }
  })
  .map((text): BadFrame => ({ label: 'malformed', text, expect: { close: 1007 } }));

const oversized = fc.integer({ min: 64 * 1024 + 1, max: 80 * 1024 }).map(
  (size): BadFrame => ({ label: 'oversized', text: JSON.stringify({ kind: 'command', pad: 'x'.repeat(size) }), expect: { close: 1009 } }),
);

/** A command frame whose command breaks its schema but whose trace id is readable: Err bad_schema, no close. */
const wrongSchemaCommand = fc
  .oneof(
    fc.constant((c: Record<string, unknown>) => delete c.stream),
    fc.constant((c: Record<string, unknown>) => (c.content = 42)),
    fc.constant((c: Record<string, unknown>) => (c.content = '')),
    fc.constant((c: Record<string, unknown>) => (c.content = 'y'.repeat(10_001))),
    fc.constant((c: Record<string, unknown>) => (c.type = 'LaunchMissiles')),
    fc.constant((c: Record<string, unknown>) => (c.topic = ' padded ')),
    fc.constant((c: Record<string, unknown>) => (c.recipients = 'everyone')),
    fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !['type', 'traceId', 'stream', 'topic', 'content', 'recipients', '__proto__'].includes(k)).map((k) => (c: Record<string, unknown>) => (c[k] = 1)),
  )
  .map((mutate): BadFrame => {
    const traceId = trace();
    const command: Record<string, unknown> = validCommand(traceId);
    mutate(command);
    return { label: 'wrong-schema', traceId, text: JSON.stringify({ kind: 'command', sessionId: 'SESSION', seq: 0, seal: '0'.repeat(64), command }), expect: { reply: 'bad_schema' } };
  });

/** Known kinds with a broken schema and no readable trace id: close 1007. */
const wrongSchemaControl = fc
  .oneof(
    fc.record({ kind: fc.constant('ack'), outcomeId: fc.oneof(fc.integer({ max: -1 }), fc.string(), fc.constant(1.5)) }),
    fc.record({ kind: fc.constant('chain'), recallId: fc.constant('') }),
    fc.record({ kind: fc.constantFrom('welcome', 'push', 'nonsense', '') }),
    fc.record({ kind: fc.constant('command'), sessionId: fc.constant('x'), command: fc.constant({ type: 'SendMessage' }) }),
  )
  .map((frame): BadFrame => ({ label: 'wrong-schema-control', text: JSON.stringify(frame), expect: { close: 1007 } }));

/** A valid command with a forged seal (or a foreign session id): refused, nothing applied. */
const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const forged = fc.tuple(hex32, fc.boolean()).map(([seal, foreignSession]): BadFrame => {
  const traceId = trace();
  const frame = { kind: 'command', sessionId: foreignSession ? 'someone-else.session' : 'SESSION', seq: 0, seal, command: validCommand(traceId) };
  return {
    label: foreignSession ? 'foreign-session' : 'forged-seal',
    traceId,
    text: JSON.stringify(frame),
    expect: foreignSession ? { reply: 'unknown_session' } : { replyThenClose: 'broken_chain', close: 4005 },
  };
});

const badFrame = fc.oneof(
  // Weighted towards frames that keep the connection open: the closing kinds each cost a reconnect.
  { arbitrary: notJson, weight: 3 },
  { arbitrary: oversized, weight: 1 },
  { arbitrary: wrongSchemaCommand, weight: 8 },
  { arbitrary: wrongSchemaControl, weight: 2 },
  { arbitrary: forged, weight: 4 },
);

describe('bad input', () => {
  it('answers 10,000 malformed, oversized, wrong-schema and forged frames as documented; the hub stays up, the database unchanged', async () => {
    const before = dumpDatabase();
    // Most bad frames close their connection: keep a few welcomed spares opening in the background.
    const spares: Promise<RawConnection>[] = Array.from({ length: 6 }, () => RawConnection.open());
    const nextConnection = (): Promise<RawConnection> => {
      spares.push(RawConnection.open());
      return spares.shift()!;
    };
    let conn = await nextConnection();
    const seen: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(badFrame, async (frame) => {
        if (conn.closed !== undefined) conn = await nextConnection();
        seen[frame.label] = (seen[frame.label] ?? 0) + 1;
        const text = frame.text.replace('"SESSION"', JSON.stringify(conn.sessionId));
        const result = await conn.exchange(text, frame.traceId);
        const e = frame.expect;
        if ('replyThenClose' in e) {
          expect(result.reply?.error).toMatchObject({ code: e.replyThenClose });
          await new Promise<void>((resolve) => (conn.closed !== undefined ? resolve() : conn.ws.once('close', () => resolve())));
          expect(conn.closed).toBe(e.close);
        } else if ('reply' in e) {
          expect(result.reply, frame.label).toMatchObject({ ok: false, error: { code: e.reply } });
          if (e.reply === 'bad_schema') expect((result.reply!.error as { path: unknown[] }).path.length).toBeGreaterThan(0);
        } else {
          expect(result.close, `${frame.label}: ${frame.text.slice(0, 80)}`).toBe(e.close);
        }
      }),
      { numRuns: 10_000 },
    );
    conn.ws.close();
    for (const spare of spares) (await spare).ws.close();
    expect(Object.keys(seen).sort()).toEqual(['forged-seal', 'foreign-session', 'malformed', 'oversized', 'wrong-schema', 'wrong-schema-control'].sort());
    // Still up and still correct.
    expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
    expect(dumpDatabase()).toBe(before);
    const client = new TestClient({ baseUrl: hub.url, token: creds.token, deviceId: 'after' });
    await client.connect();
    expect((await client.ok('GetHistory', { stream: 'general' })).messages.map((m) => m.content)).toEqual(['before']);
    await client.close();
  });
});
