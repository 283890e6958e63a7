// A device in a process of its own, for tests that SIGKILL it (device-crash.test.ts): the SDK's ImClient on file
// storage (fdatasync before a write resolves, the default). It prints one JSON line per event on stdout:
//   {"open": <lastOutcomeId persisted>}  {"stored": "<content>"}  {"outcome": <id>}  {"drained": true}
// and issues `count` messages `<prefix><i>` to `stream`/`topic` at once (no awaiting between the calls), then
// waits until its outbox is empty and prints `drained`. It runs until killed.
//   node --conditions=source --import tsx deviceProcess.ts <url> <token> <deviceId> <dir> <stream> <count> <prefix>
import { filter, firstValueFrom } from 'rxjs';
import { WebSocket } from 'ws';
import { ImClient } from '@stage/sdk/im';
import { fileImStorage } from '@stage/sdk/node';

const [url, token, deviceId, dir, stream, count, prefix] = process.argv.slice(2) as [string, string, string, string, string, string, string];
const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

const client = await ImClient.open({ url, deviceId, token, WebSocket: WebSocket as never, storage: await fileImStorage({ dir }), autoSync: false });
print({ open: client.lastOutcomeId });
client.outcomes$.subscribe(({ outcomeId }) => print({ outcome: outcomeId }));
client.connect();
for (let i = 0; i < Number(count); i++) {
  const content = `${prefix}${i}`;
  const issued = client.issue('SendMessage', { stream, topic: 'crash', content });
  void issued.stored.then(() => print({ stored: content }));
  issued.reply.catch(() => undefined);
}
await client.whenStored();
await firstValueFrom(client.pending$.pipe(filter((p) => p.length === 0)));
print({ drained: true });
setInterval(() => undefined, 60_000);
