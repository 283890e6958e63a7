// Visibility as a property: random sequences of group, membership, stream and message commands by several users,
// checked against an independent model of who sees which stream. A user never receives a message of a stream
// none of their groups sees, cannot post to it nor read its history; everyone who sees it (and is not narrowed
// out by `recipients`) receives each message exactly once.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub } from './support/startTestHub.js';
import { TestClient, registerUser } from './support/TestClient.js';

let hub: Awaited<ReturnType<typeof startTestHub>>;
beforeAll(async () => {
  hub = await startTestHub({ limits: { commandsPerSecond: 100_000, commandBurst: 100_000 } });
});
afterAll(async () => hub?.stop());

const USERS = 4;
type Op =
  | { kind: 'CreateGroup'; actor: number }
  | { kind: 'AddGroupMember'; actor: number; group: number; user: number; own: boolean }
  | { kind: 'DismissMember'; actor: number; group: number; user: number }
  | { kind: 'DismissGroup'; actor: number; group: number }
  | { kind: 'CreateStream'; actor: number; groups: number[]; own: boolean }
  | { kind: 'SetStreamGroups'; actor: number; stream: number; groups: number[]; own: boolean }
  | { kind: 'SendMessage'; actor: number; stream: number; recipients: number[] | null; own: boolean }
  | { kind: 'GetHistory'; actor: number; stream: number };

const actor = fc.nat(USERS - 1);
const index = fc.nat(20);
/** Mostly pick among the actor's own groups (commands that can succeed), sometimes among all (refusals). */
const own = fc.boolean().chain((b) => (b ? fc.constant(true) : fc.boolean()));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('CreateGroup' as const), actor }),
  { arbitrary: fc.record({ kind: fc.constant('AddGroupMember' as const), actor, group: index, user: fc.nat(USERS - 1), own }), weight: 3 },
  fc.record({ kind: fc.constant('DismissMember' as const), actor, group: index, user: fc.nat(USERS - 1) }),
  fc.record({ kind: fc.constant('DismissGroup' as const), actor, group: index }),
  { arbitrary: fc.record({ kind: fc.constant('CreateStream' as const), actor, groups: fc.array(index, { minLength: 1, maxLength: 2 }), own }), weight: 2 },
  fc.record({ kind: fc.constant('SetStreamGroups' as const), actor, stream: index, groups: fc.array(index, { minLength: 1, maxLength: 2 }), own }),
  { arbitrary: fc.record({ kind: fc.constant('SendMessage' as const), actor, stream: index, recipients: fc.option(fc.array(fc.nat(USERS - 1), { maxLength: 2 }), { freq: 2 }), own }), weight: 5 },
  fc.record({ kind: fc.constant('GetHistory' as const), actor, stream: index }),
);

interface ModelGroup {
  id: string;
  owner: number;
  members: Set<number>;
}

/** The independent model: groups, members, stream visibility. */
class Model {
  groups: ModelGroup[] = [];
  streams: Array<{ name: string; creator: number; groups: Set<string> }> = [];
  /** The i-th group (modulo), among the user's own groups when `ofUser` is given. */
  group(i: number, ofUser?: number) {
    const live = ofUser === undefined ? this.groups : this.groups.filter((g) => g.members.has(ofUser));
    return live.length ? live[i % live.length] : undefined;
  }
  /** The i-th stream (modulo), among those the user sees when `seenBy` is given. */
  stream(i: number, seenBy?: number) {
    const pool = seenBy === undefined ? this.streams : this.streams.filter((s) => this.sees(seenBy, s));
    return pool.length ? pool[i % pool.length] : undefined;
  }
  sees(user: number, stream: { groups: Set<string> }): boolean {
    return this.groups.some((g) => stream.groups.has(g.id) && g.members.has(user));
  }
}

let run = 0;
/** What the random runs exercised, so the property cannot pass vacuously. */
const coverage = { sends: 0, narrowedSends: 0, refusedSends: 0 };

describe('visibility', () => {
  it('never leaks a stream in pushes, history or posting, and delivers each visible message once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 40, size: 'max' }), async (ops) => {
        run++;
        const creds = await Promise.all(Array.from({ length: USERS }, (_, i) => registerUser(hub.url, `r${run}u${i}`)));
        const clients = creds.map((c, i) => new TestClient({ baseUrl: hub.url, token: c.token, deviceId: `d${i}` }));
        await Promise.all(clients.map((c) => c.connect()));
        const model = new Model();
        for (const [u, c] of clients.entries()) {
          const { group } = await c.ok('CreateGroup', { name: `g${u}` });
          model.groups.push({ id: group.groupId, owner: u, members: new Set([u]) });
        }
        /** messageId → users expected to receive it. */
        const expected = new Map<string, Set<number>>();
        /** user → streams that user could see at some point (a push about any other stream is a leak). */
        const everSeen = Array.from({ length: USERS }, () => new Set<string>());
        const noteVisibility = () => {
          for (const s of model.streams) for (let u = 0; u < USERS; u++) if (model.sees(u, s)) everSeen[u]!.add(s.name);
        };
        try {
          for (const op of ops) {
            const c = clients[op.actor]!;
            switch (op.kind) {
              case 'CreateGroup': {
                const { group } = await c.ok('CreateGroup', { name: 'g' });
                model.groups.push({ id: group.groupId, owner: op.actor, members: new Set([op.actor]) });
                break;
              }
              case 'AddGroupMember': {
                const g = model.group(op.group, op.own ? op.actor : undefined);
                if (!g) break;
                const reply = await c.send('AddGroupMember', { groupId: g.id, userId: creds[op.user]!.userId });
                const allowed = g.members.has(op.actor) && !g.members.has(op.user);
                expect(reply.ok, `${op.kind} ${JSON.stringify(op)}`).toBe(allowed);
                if (allowed) g.members.add(op.user);
                break;
              }
              case 'DismissMember': {
                const g = model.group(op.group);
                if (!g) break;
                const reply = await c.send('DismissMember', { groupId: g.id, userId: creds[op.user]!.userId });
                const allowed = g.members.has(op.actor) && (g.owner === op.actor || op.actor === op.user) && op.user !== g.owner && g.members.has(op.user);
                expect(reply.ok, `${op.kind} ${JSON.stringify(op)}`).toBe(allowed);
                if (allowed) g.members.delete(op.user);
                break;
              }
              case 'DismissGroup': {
                const g = model.group(op.group);
                if (!g) break;
                const reply = await c.send('DismissGroup', { groupId: g.id });
                const allowed = g.members.has(op.actor) && g.owner === op.actor;
                expect(reply.ok, `${op.kind} ${JSON.stringify(op)}`).toBe(allowed);
                if (allowed) {
                  model.groups = model.groups.filter((x) => x !== g);
                  for (const s of model.streams) s.groups.delete(g.id);
                }
                break;
              }
              case 'CreateStream': {
                const groups = [...new Set(op.groups.map((i) => model.group(i, op.own ? op.actor : undefined)).filter((g): g is ModelGroup => g !== undefined))];
                if (groups.length === 0) break;
                const name = `s${model.streams.length}`;
                const reply = await c.send('CreateStream', { stream: `r${run}-${name}`, groups: groups.map((g) => g.id) });
                const allowed = groups.every((g) => g.members.has(op.actor));
                expect(reply.ok, `${op.kind} ${JSON.stringify(op)}`).toBe(allowed);
                if (allowed) model.streams.push({ name: `r${run}-${name}`, creator: op.actor, groups: new Set(groups.map((g) => g.id)) });
                break;
              }
              case 'SetStreamGroups': {
                const s = model.stream(op.stream);
                const groups = [...new Set(op.groups.map((i) => model.group(i, op.own ? op.actor : undefined)).filter((g): g is ModelGroup => g !== undefined))];
                if (!s || groups.length === 0) break;
                const reply = await c.send('SetStreamGroups', { stream: s.name, groups: groups.map((g) => g.id) });
                const allowed =
                  model.sees(op.actor, s) && groups.every((g) => g.members.has(op.actor)) && (s.creator === op.actor || groups.some((g) => g.owner === op.actor));
                expect(reply.ok, `${op.kind} ${JSON.stringify(op)}`).toBe(allowed);
                if (!allowed && !model.sees(op.actor, s)) expect(reply).toMatchObject({ error: { code: 'not_found' } });
                if (allowed) s.groups = new Set(groups.map((g) => g.id));
                break;
              }
              case 'SendMessage': {
                const s = model.stream(op.stream, op.own ? op.actor : undefined);
                if (!s) break;
                const recipients = op.recipients?.map((u) => creds[u]!.userId);
                const reply = await c.send('SendMessage', { stream: s.name, topic: 't', content: 'm', ...(recipients ? { recipients } : {}) });
                const allowed = model.sees(op.actor, s);
                expect(reply.ok, `${op.kind} ${JSON.stringify(op)}`).toBe(allowed);
                coverage[reply.ok ? (op.recipients ? 'narrowedSends' : 'sends') : 'refusedSends']++;
                if (!reply.ok) expect(reply.error.code).toBe('not_found');
                else {
                  const audience = new Set(Array.from({ length: USERS }, (_, u) => u).filter((u) => model.sees(u, s)));
                  const wanted = op.recipients ? new Set([...op.recipients, op.actor]) : audience;
                  expected.set(reply.data.message.messageId, new Set([...audience].filter((u) => wanted.has(u))));
                }
                break;
              }
              case 'GetHistory': {
                const s = model.stream(op.stream);
                if (!s) break;
                const reply = await c.send('GetHistory', { stream: s.name });
                expect(reply.ok, `${op.kind} ${JSON.stringify(op)}`).toBe(model.sees(op.actor, s));
                if (reply.ok) expect(reply.data.messages.every((m) => m.stream === s.name)).toBe(true);
                break;
              }
            }
            noteVisibility();
          }
          // Let every device receive everything its user was sent, then compare with the model.
          for (const [i, c] of clients.entries()) {
            const { last } = await hub.store.outcomeBounds(creds[i]!.userId);
            await c.until(() => c.lastOutcomeId === last);
            const got = c.outcomesOf('NewMessage').map((o) => o.message.messageId);
            expect(new Set(got).size).toBe(got.length);
            const want = [...expected].filter(([, users]) => users.has(i)).map(([id]) => id);
            expect(got.sort()).toEqual(want.sort());
            // No push of any kind names a stream this user never could see.
            for (const { outcome } of c.pushes) {
              const o = outcome as { stream?: unknown; message?: { stream: string } };
              const stream = typeof o.stream === 'string' ? o.stream : typeof o.stream === 'object' && o.stream ? (o.stream as { name: string }).name : o.message?.stream;
              if (stream !== undefined) expect(everSeen[i]!.has(stream), `${outcome.type} about ${stream} leaked to user ${i}`).toBe(true);
            }
          }
        } finally {
          await Promise.all(clients.map((c) => c.close()));
        }
      }),
      { numRuns: 30 },
    );
    console.log(JSON.stringify({ visibilityCoverage: coverage }));
    expect(coverage.sends, JSON.stringify(coverage)).toBeGreaterThanOrEqual(5);
    expect(coverage.narrowedSends, JSON.stringify(coverage)).toBeGreaterThanOrEqual(5);
    expect(coverage.refusedSends, JSON.stringify(coverage)).toBeGreaterThanOrEqual(5);
  });
});
