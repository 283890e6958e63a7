// A busy topic for the performance tests: a child process (Node, the SDK's ImClient over `ws`) registers a
// writer, shares a stream with a browser user and posts N messages into one topic from several devices at
// once (the hub's rate limit is per connection). Run as a script by `firehose()` below.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { workspace } from './hubProcess.js';

export interface FirehoseArgs {
  url: string;
  writer: string;
  password: string;
  /** Set up first: group with this member, a stream visible to it. */
  setup?: { member: string; stream: string };
  stream: string;
  topic: string;
  /** Messages `${prefix}${i}` for i in [from, to). */
  from: number;
  to: number;
  prefix: string;
  devices?: number;
}

/** Runs the writer in a child process; resolves when every message was acknowledged by the hub. */
export async function firehose(args: FirehoseArgs): Promise<void> {
  await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'e2e/support/firehose.ts', JSON.stringify(args)], {
    cwd: workspace,
    timeout: 240_000,
    maxBuffer: 1 << 20,
  });
}

async function main(args: FirehoseArgs): Promise<void> {
  const { ImClient, login, register } = await import('@stage/sdk/im');
  const { WebSocket } = await import('ws');
  const credentials = { username: args.writer, password: args.password };
  const token = await register(args.url, credentials).catch(() => login(args.url, credentials));
  const devices = await Promise.all(
    Array.from({ length: args.devices ?? 8 }, async () => {
      const client = await ImClient.open({ url: args.url, deviceId: `fh-${randomUUID().slice(0, 12)}`, token: token.token, userId: token.userId, WebSocket, autoSync: false, maxInFlight: 32 });
      client.connect();
      await client.whenConnection((state) => state === 'online');
      return client;
    }),
  );
  const first = devices[0]!;
  if (args.setup) {
    const { group } = await first.createGroup({ name: `fh-${randomUUID().slice(0, 8)}` });
    const member = await first.findUser({ username: args.setup.member });
    await first.addGroupMember({ groupId: group.groupId, userId: member.user.userId });
    await first.createStream({ stream: args.setup.stream, groups: [group.groupId] });
  }
  const sends: Promise<unknown>[] = [];
  for (let i = args.from; i < args.to; i++) {
    const client = devices[i % devices.length]!;
    sends.push(client.sendMessage({ stream: args.stream, topic: args.topic, content: `${args.prefix}${i}` }));
  }
  await Promise.all(sends);
  await Promise.all(devices.map((client) => client.close()));
}

if (process.argv[1]?.endsWith('firehose.ts') && process.argv[2]) {
  main(JSON.parse(process.argv[2]) as FirehoseArgs).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
