// An entry the hub learnt through a recall, sent again afterwards (found by the e2e crash spec): a device whose
// frame for entry n was lost (or whose hub restarted before reading it) sends entry n+1, the hub recalls the chain
// [0, n+1) — entry n included — and then the device resends entry n, unanswered so far. That resend is the same
// sealed entry, not a duplicate of another: it must be answered (and its command run once), not refused as a
// broken chain with a 4005 close that throws the device's session away.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubOn, storeKinds, type StoreKind } from './support/startHubOn.js';
import { TestClient, registerUser } from './support/TestClient.js';

describe.each(storeKinds)('an entry resent after a recall that carried it, on %s', (kind: StoreKind) => {
  let hub: Awaited<ReturnType<typeof startHubOn>>;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    hub = await startHubOn(kind);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await hub?.stop();
  });

  it('is answered and its command runs once; the connection and the session stay', async () => {
    const creds = await registerUser(hub.url, `ann${kind.slice(0, 2)}`);
    const ann = new TestClient({ baseUrl: hub.url, token: creds.token, deviceId: 'laptop' });
    clients.push(ann);
    await ann.connect();
    const { group } = await ann.ok('CreateGroup', { name: 'team' });
    await ann.ok('CreateStream', { stream: 'general', groups: [group.groupId] });

    const lost = ann.sealWithoutSending('SendMessage', { stream: 'general', topic: 't', content: 'lost, then resent' }, 'lost-send');
    const recalls = ann.recallsAnswered;
    await ann.ok('SendMessage', { stream: 'general', topic: 't', content: 'after the gap' });
    expect(ann.recallsAnswered).toBe(recalls + 1);

    const resend = () => ann.rawSend(JSON.stringify({ kind: 'command', sessionId: ann.sessionId, seq: lost.seq, seal: lost.seal, command: lost.body }));
    const repliesTo = () => ann.frames.filter((f) => f.kind === 'reply' && f.traceId === 'lost-send');
    resend();
    await ann.until(() => repliesTo().length === 1 || ann.closes.length > 0);
    expect(ann.closes).toEqual([]);
    expect(repliesTo()[0]).toMatchObject({ ok: true, type: 'SendMessage' });

    // Sent once more (its reply lost too): the recorded reply again, nothing applied twice.
    resend();
    await ann.until(() => repliesTo().length === 2 || ann.closes.length > 0);
    expect(ann.closes).toEqual([]);
    expect(repliesTo()[1]).toMatchObject({ ok: true, data: (repliesTo()[0] as { data: unknown }).data });

    const history = await ann.ok('GetHistory', { stream: 'general', topic: 't' });
    expect(history.messages.map((m) => m.content)).toEqual(['after the gap', 'lost, then resent']);
    // The session is the same one: the next entry continues the chain.
    await ann.ok('GetGroups', {});
    expect(ann.closes).toEqual([]);
  });
});
