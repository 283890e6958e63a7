// SendMessage on PostgreSQL in two round trips (DomainStore.postMessage + the speculative claim): the hub's
// transaction as CommandRunner.executeDomain builds it (claim, execute, append the pushes, save the reply), run
// against real stores, with every guarantee of the longer path: exactly once under a resend racing on another
// hub, the same Err for a hidden or missing stream with nothing written, a rollback that leaves nothing (no
// message, no outcome id used, no body), and the recipients' counter rows locked only for the COMMIT (the append
// is sent with it), so another hub's message to them is not held up by a slow hub.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from '@stage/sdk/im';
import { commandHandlers, CommandError } from '../src/commands/index.js';
import { dispatch } from '../src/commands/CommandContext.js';
import { appendPushes } from '../src/store/appendPushes.js';
import { PostgresStore } from '../src/store/postgres/PostgresStore.js';
import type { StoreTx } from '../src/store/Store.js';
import { uniqueName } from './store-contract.js';
import { countRows, requireService, testDatabaseUrl } from './scaleOutServices.js';

beforeAll(async () => {
  await requireService('postgres');
});

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const now = 1_700_000_000_000;

async function openPair(): Promise<[PostgresStore, PostgresStore]> {
  const schema = uniqueName('sendmsg');
  const a = await PostgresStore.open({ url: testDatabaseUrl, schema, poolSize: 2 });
  const b = await PostgresStore.open({ url: testDatabaseUrl, schema, poolSize: 2 });
  cleanup.push(() => a.dropSchemaAndClose());
  cleanup.push(() => b.close());
  // u1 and u2 in g1, which sees "general"; u3 only in g2, which sees nothing.
  for (const [id, username] of [['u1', 'ada'], ['u2', 'bob'], ['u3', 'cy']] as const) await a.insertUser({ id, username, passwordHash: 'h', createdAt: now });
  await a.insertGroup({ id: 'g1', name: 'core', description: '', ownerId: 'u1', createdAt: now });
  await a.insertGroup({ id: 'g2', name: 'ops', description: '', ownerId: 'u3', createdAt: now });
  await a.addMember('g1', 'u1');
  await a.addMember('g1', 'u2');
  await a.addMember('g2', 'u3');
  await a.insertStream({ name: 'general', description: '', creatorId: 'u1', createdAt: now, groups: ['g1'] });
  return [a, b];
}

const count = (store: PostgresStore, table: string): Promise<number> => countRows(store.schema, table);

const send = (traceId: string, over: Record<string, unknown> = {}) =>
  ({ type: 'SendMessage', traceId, stream: 'general', topic: 'hello', content: `text ${traceId}`, ...over }) as unknown as Command;

/** The hub's domain transaction (CommandRunner.executeDomain's store part); `beforeReply` runs after the append. */
function runDomain(store: PostgresStore, userId: string, command: Command, beforeReply?: (tx: StoreTx) => Promise<void>) {
  return store.transaction(async (tx) => {
    const prior = await tx.replies.findReply(userId, command.traceId);
    if (prior) return { reply: prior, ids: [] as number[][] };
    const result = await dispatch(commandHandlers, command, { userId, deviceId: 'd', session: {} as never, now, newId: randomUUID }, tx);
    const pushes = result.pushes.map((p) => ({ userIds: [...new Set(p.recipients)], body: p.outcome })).filter((p) => p.userIds.length > 0);
    const ids = tx.outcomes.appendPushesWithCommit && pushes.length > 0 ? tx.outcomes.appendPushesWithCommit(pushes) : await appendPushes(tx.outcomes, pushes);
    await beforeReply?.(tx);
    const reply = { kind: 'reply', traceId: command.traceId, ok: true, type: command.type, data: result.data };
    await tx.replies.saveReply(userId, command.traceId, reply);
    return { reply: reply as unknown, ids };
  }).then(async ({ reply, ids }) => ({ reply, ids: await ids }));
}

/**
 * Runs the domain transaction and holds it open after the append (a slow or descheduled hub): resolves once it is
 * held, with the run and what lets it go on to its reply and COMMIT.
 */
async function runDomainHeld(store: PostgresStore, userId: string, command: Command): Promise<{ run: ReturnType<typeof runDomain>; release: () => void }> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let reached!: () => void;
  const holding = new Promise<void>((resolve) => (reached = resolve));
  const run = runDomain(store, userId, command, async () => {
    reached();
    await held;
  });
  await holding;
  return { run, release };
}

/** Resolves once a backend named `applicationName` waits for a lock (polls pg_stat_activity for up to 10 s). */
async function waitForLockWait(applicationName: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  let waiting = false;
  try {
    for (let i = 0; i < 500 && !waiting; i++) {
      const r = await client.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = $1`, [applicationName]);
      waiting = r.rows.length > 0;
      if (!waiting) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await client.end();
  }
  if (!waiting) await new Promise(() => undefined); // never blocked: let the other side of the race win
}

/** Round trips made by `work`: statements sent while none of their connection's was in flight (as bench:pg counts). */
async function roundTripsOf(work: () => Promise<unknown>): Promise<number> {
  let trips = 0;
  const inFlight = new WeakMap<object, number>();
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
    const n = inFlight.get(this) ?? 0;
    if (n === 0) trips++;
    inFlight.set(this, n + 1);
    const result = (query as (...x: unknown[]) => unknown).apply(this, a);
    const settle = () => inFlight.set(this, (inFlight.get(this) ?? 1) - 1);
    if (result instanceof Promise) result.then(settle, settle);
    else settle();
    return result;
  } as typeof pg.Client.prototype.query;
  try {
    await work();
  } finally {
    pg.Client.prototype.query = query;
  }
  return trips;
}

describe('SendMessage on PostgreSQL', () => {
  it('costs two round trips, and its outcome reaches every recipient with the body and ids in order', async () => {
    const [store] = await openPair();
    await runDomain(store, 'u1', send('warm-up')); // connections open, statements prepared
    let result: Awaited<ReturnType<typeof runDomain>> | undefined;
    expect(await roundTripsOf(async () => (result = await runDomain(store, 'u1', send('t1'))))).toBe(2);
    expect(result!.ids).toEqual([[2, 2]]);
    const [entry] = await store.outcomes.outcomesAfter('u2', 1, 10);
    expect(entry).toMatchObject({ id: 2, body: { type: 'NewMessage', message: { content: 'text t1', stream: 'general', senderName: 'ada' } } });
    expect(await store.replies.findReply('u1', 't1')).toEqual(result!.reply);
    expect(await store.outcomes.outcomeBounds('u1')).toEqual({ first: 1, last: 2 });
  });

  it('a narrowed message goes to the wanted users who see the stream, sender included, and stays theirs', async () => {
    const [store] = await openPair();
    const { ids } = await runDomain(store, 'u1', send('t1', { recipients: ['u3'] })); // u3 does not see the stream: dropped
    expect(ids).toEqual([[1]]);
    expect(await store.outcomes.outcomeBounds('u2')).toEqual({ first: 0, last: 0 });
    const id = (await store.history({ stream: 'general', limit: 10 }))[0]!.id;
    expect(await store.messageRecipients(id)).toEqual(['u1']);
    expect(await store.history({ stream: 'general', limit: 10, viewer: 'u2' })).toEqual([]);
  });

  it('a resend racing on another hub runs once: it waits for the first claim, then answers the recorded reply', async () => {
    const [a, b] = await openPair();
    const { run: first, release } = await runDomainHeld(a, 'u1', send('t1'));
    const resend = runDomain(b, 'u1', send('t1'));
    // The resend's claim waits on the first's key (a lock wait on the server); then the first commits.
    const probe = new pg.Client({ connectionString: testDatabaseUrl });
    await probe.connect();
    try {
      for (let i = 0; i < 500; i++) {
        const waiting = await probe.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO replies%' AND datname = current_database()");
        if (waiting.rows.length > 0) break;
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      await probe.end();
    }
    release();
    const [one, two] = await Promise.all([first, resend]);
    expect(two.reply).toEqual(one.reply);
    expect(two.ids).toEqual([]);
    expect(b.retried.claimLost).toBe(1); // it ran on the speculative claim, lost it, and re-ran waiting for it
    expect(await a.history({ stream: 'general', limit: 10 })).toHaveLength(1);
    expect(await a.outcomes.outcomeBounds('u1')).toEqual({ first: 1, last: 1 });
    expect(await a.outcomes.outcomeBounds('u2')).toEqual({ first: 1, last: 1 });
    expect(await count(a, 'outcome_bodies')).toBe(1);
  });

  it('a resend after the commit is answered from the record on either hub, nothing executed twice', async () => {
    const [a, b] = await openPair();
    const { reply } = await runDomain(a, 'u1', send('t1'));
    expect((await runDomain(b, 'u1', send('t1'))).reply).toEqual(reply);
    expect((await runDomain(a, 'u1', send('t1'))).reply).toEqual(reply);
    expect(a.retried.claimLost + b.retried.claimLost).toBe(2);
    expect(await a.history({ stream: 'general', limit: 10 })).toHaveLength(1);
    expect(await a.outcomes.outcomeBounds('u2')).toEqual({ first: 1, last: 1 });
  });

  it('a hidden or missing stream is Err not_found, as before, and writes nothing (no claim, no message, no outcome id)', async () => {
    const [store] = await openPair();
    for (const [user, stream] of [['u3', 'general'], ['u1', 'nowhere']] as const) {
      const failed = runDomain(store, user, send(`t-${user}`, { stream }));
      await expect(failed).rejects.toBeInstanceOf(CommandError);
      await expect(failed).rejects.toMatchObject({ code: 'not_found', message: `stream "${stream}" not found`, path: ['command', 'stream'] });
    }
    for (const table of ['messages', 'replies', 'outcome_counters', 'outcomes', 'outcome_bodies', 'outcome_body_refs']) expect(await count(store, table)).toBe(0);
  });

  it('a refused command’s recorded Err answers its resend, even once the stream became visible (the speculative run is discarded)', async () => {
    const [a, b] = await openPair();
    const command = send('t1');
    // As CommandRunner.recordErr: the refusal is recorded in a transaction of its own.
    const refused = await runDomain(a, 'u3', command).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CommandError);
    const err = { kind: 'reply', traceId: 't1', ok: false, error: { code: 'not_found' } };
    await a.transaction(async (tx) => {
      if (!(await tx.replies.findReply('u3', 't1'))) await tx.replies.saveReply('u3', 't1', err);
    });
    await a.addMember('g1', 'u3');
    // The resend's speculative run would now succeed; its claim was lost, so it is rolled back and re-run.
    expect((await runDomain(b, 'u3', command)).reply).toEqual(err);
    expect(b.retried.claimLost).toBe(1);
    expect(await a.history({ stream: 'general', limit: 10 })).toEqual([]);
    expect(await count(a, 'outcomes')).toBe(0);
  });

  it('a resend whose speculative run is refused (the sender left the stream since) still answers the recorded Ok', async () => {
    const [a, b] = await openPair();
    const { reply } = await runDomain(a, 'u1', send('t1'));
    await a.removeMember('g1', 'u1');
    expect((await runDomain(b, 'u1', send('t1'))).reply).toEqual(reply);
    expect(b.retried.claimLost).toBe(1);
  });

  it('a transaction that fails after the append leaves nothing: no message, no outcome id used, no body', async () => {
    const [store] = await openPair();
    await runDomain(store, 'u1', send('t0'));
    const boom = new Error('crashed before the reply');
    await expect(runDomain(store, 'u1', send('t1'), () => Promise.reject(boom))).rejects.toBe(boom);
    expect(await store.history({ stream: 'general', limit: 10 })).toHaveLength(1);
    expect(await store.replies.findReply('u1', 't1')).toBeUndefined();
    expect(await count(store, 'outcome_bodies')).toBe(1);
    expect(await count(store, 'outcomes')).toBe(2);
    // The next message takes the next ids: none was used by the rolled-back one.
    expect((await runDomain(store, 'u1', send('t2'))).ids).toEqual([[2, 2]]);
  });

  it('the recipients’ counter rows are not locked while the hub works: another hub’s message to them commits meanwhile', async () => {
    const [a] = await openPair();
    // Hub B's connections carry a name of their own, to see whether they wait for a lock.
    const applicationName = uniqueName('hubb');
    const url = new URL(testDatabaseUrl);
    url.searchParams.set('application_name', applicationName);
    const b = await PostgresStore.open({ url: url.toString(), schema: a.schema, poolSize: 2 });
    cleanup.push(() => b.close());
    await runDomain(a, 'u1', send('t0'));
    // Hub A has run the message's first round trip and holds its transaction open (a slow or descheduled hub).
    const { run: slow, release } = await runDomainHeld(a, 'u1', send('t1'));
    // Hub B's message to the same recipients does not wait for A's COMMIT (its append would block on A's counter
    // rows if A had locked them before holding): it commits, with the next ids.
    const blocked = await Promise.race([
      runDomain(b, 'u2', send('t2')).then((r) => r.ids),
      waitForLockWait(applicationName).then(() => 'blocked on a row lock' as const),
    ]);
    release();
    expect(blocked).toEqual([[2, 2]]);
    expect((await slow).ids).toEqual([[3, 3]]);
    expect((await a.outcomes.outcomesAfter('u2', 0, 10)).map((o) => o.id)).toEqual([1, 2, 3]);
  });

  it('an append that fails at commit fails the transaction and its ids: nothing is committed', async () => {
    const [store] = await openPair();
    // A constraint the append breaks (a body referred to by two outcome rows): it fails when sent, at commit.
    const client = new pg.Client({ connectionString: testDatabaseUrl });
    await client.connect();
    await client.query(`ALTER TABLE "${store.schema}".outcome_body_refs ADD CONSTRAINT one_ref CHECK (refs < 2)`);
    await client.end();
    let ids: Promise<number[][]> | undefined;
    const failing = store.transaction(async (tx) => {
      const post = { id: 'm1', stream: 'general', topic: 'hello', senderId: 'u1', content: 'x', createdAt: now };
      await tx.postMessage!(post);
      ids = tx.outcomes.appendPushesWithCommit!([{ userIds: ['u1', 'u2'], body: { type: 'NewMessage' } }]);
    });
    await expect(failing).rejects.toThrow(/one_ref/);
    await expect(ids!).rejects.toThrow(/one_ref/);
    for (const table of ['messages', 'outcome_counters', 'outcomes', 'outcome_bodies']) expect(await count(store, table)).toBe(0);
  });
});
