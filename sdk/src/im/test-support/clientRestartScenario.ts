// A client restart over persistent storage, shared by the file (Node) and IndexedDB (browser) storage tests:
// a first client is welcomed, sends a command, then queues two more while offline and is closed; a second client
// opened over storage reopened from scratch must find them pending, resume the same sealed session, and get them
// applied once, in order.
import { firstValueFrom, filter } from 'rxjs';
import { ImClient } from '../client/ImClient.js';
import type { ImClientStorage } from '../client/ImClientStorage.js';
import type { Command } from '../protocol/commands.js';
import { FakeHub } from '../../testing/FakeHub.js';

export interface RestartResult {
  recoveredPending: string[];
  executed: string[];
  firstSessionId: string;
  secondSessionId: string;
  helloSessionIds: Array<string | undefined>;
  logLength: number;
  verified: boolean;
}

export async function clientRestartScenario(openStorage: () => Promise<ImClientStorage>): Promise<RestartResult> {
  const hub = new FakeHub();
  const config = { url: 'http://hub.test', deviceId: 'd1', token: 't', WebSocket: hub.WebSocket, autoSync: false, reconnect: { initialDelayMs: 1, jitter: 0 } };
  const first = await ImClient.open({ ...config, storage: await openStorage() });
  first.connect();
  await first.whenConnection((s) => s === 'online');
  await first.sendMessage({ stream: 's', topic: 't', content: 'online' });
  const firstSessionId = first.logInfo!.sessionId;
  first.disconnect();
  void first.sendMessage({ stream: 's', topic: 't', content: 'offline-1' }).catch(() => undefined);
  void first.sendMessage({ stream: 's', topic: 't', content: 'offline-2' }).catch(() => undefined);
  await firstValueFrom(first.pending$.pipe(filter((p) => p.length === 2)));
  await first.close();

  const second = await ImClient.open({ ...config, storage: await openStorage() });
  const recoveredPending = (await firstValueFrom(second.pending$)).map((p) => (p.command as Extract<Command, { type: 'SendMessage' }>).content);
  second.connect();
  await firstValueFrom(second.pending$.pipe(filter((p) => p.length === 0)));
  const result: RestartResult = {
    recoveredPending,
    executed: hub.executed.map((c) => (c as Extract<Command, { type: 'SendMessage' }>).content),
    firstSessionId,
    secondSessionId: second.logInfo!.sessionId,
    helloSessionIds: hub.received.flatMap((f) => (f.kind === 'hello' ? [f.sessionId] : [])),
    logLength: second.logInfo!.length,
    verified: (await second.verifyLog()).ok,
  };
  await second.close();
  return result;
}
