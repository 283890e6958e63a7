// Client side of server (a), the Stage hub: n+1 accounts (user 0 sends and owns the group; users 1..n receive),
// one group with everyone, one stream visible to it; receivers are one device each, idle connections are extra
// devices of the same accounts (authenticated, hello'd, holding a sealed session on the hub).
import { ROOM } from './protocol.js';
import { StageDevice } from './StageDevice.js';
import { messageText, sentAtOf, type BenchSender, type Closeable, type LoadTarget } from './target.js';

interface Account {
  token: string;
  userId: string;
}

async function post(base: string, path: string, body: unknown): Promise<Account> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Account;
}

/** Runs `work` over 0..count-1 with at most `concurrency` at once. */
async function pool(count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

export interface StageTargetConfig {
  /** Hub ports; receivers are spread over them by the harness, setup uses the first. */
  port: number;
  label?: string;
  /** Accounts already prepared by another target on the same database (the two-hub figure). */
  shared?: StageTarget;
}

export class StageTarget implements LoadTarget {
  readonly label: string;
  accounts: Account[] = [];
  private readonly http: string;
  private readonly ws: string;

  constructor(private readonly config: StageTargetConfig) {
    this.label = config.label ?? 'stage';
    this.http = `http://127.0.0.1:${config.port}`;
    this.ws = `ws://127.0.0.1:${config.port}`;
  }

  async prepare(receivers: number): Promise<void> {
    if (this.config.shared) {
      this.accounts = this.config.shared.accounts;
      return;
    }
    const run = `${process.pid}x${Date.now().toString(36)}`;
    this.accounts = new Array<Account>(receivers + 1);
    const t0 = performance.now();
    await pool(receivers + 1, 16, async (i) => {
      this.accounts[i] = await post(this.http, '/api/register', { username: `b${run}u${i}`, password: 'bench-password' });
    });
    const owner = await StageDevice.connect({ wsBase: this.ws, token: this.accounts[0]!.token, deviceId: 'setup' });
    const { group } = await owner.command<{ group: { groupId: string } }>('CreateGroup', { name: 'bench' });
    await pool(receivers, 32, async (i) => {
      await owner.command('AddGroupMember', { groupId: group.groupId, userId: this.accounts[i + 1]!.userId });
    });
    await owner.command('CreateStream', { stream: ROOM, groups: [group.groupId] });
    owner.close();
    console.log(`[bench:hub] ${this.label}: ${receivers + 1} accounts, one group, stream "${ROOM}" in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  async connectIdle(index: number): Promise<Closeable> {
    const n = this.accounts.length - 1;
    const account = this.accounts[1 + (index % n)]!;
    return StageDevice.connect({ wsBase: this.ws, token: account.token, deviceId: `idle-${Math.floor(index / n)}` });
  }

  async connectReceiver(index: number, onDeliver: (sentAt: number) => void): Promise<Closeable> {
    return StageDevice.connect({
      wsBase: this.ws,
      token: this.accounts[1 + index]!.token,
      deviceId: 'receiver',
      onPush: (frame) => {
        const sentAt = sentAtOf(frame);
        if (sentAt >= 0) onDeliver(sentAt);
      },
    });
  }

  async connectSender(): Promise<BenchSender> {
    const device = await StageDevice.connect({ wsBase: this.ws, token: this.accounts[0]!.token, deviceId: 'sender' });
    return {
      send: async (sentAt) => {
        await device.command('SendMessage', { stream: ROOM, topic: 'load', content: messageText(sentAt) });
      },
      close: () => device.close(),
    };
  }
}
