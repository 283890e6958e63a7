// Client side of server (a), the Stage hub: n+1 accounts (user 0 sends and owns the group; users 1..n receive),
// one group with everyone, one stream visible to it (the hub process's fixture); receivers are one device each,
// idle connections are extra devices of the same accounts (authenticated, hello'd, holding a sealed session).
import { ROOM } from './protocol.js';
import { StageDevice } from './StageDevice.js';
import { messageText, sentAtOf, type BenchSender, type Closeable, type LoadTarget } from './target.js';

import type { BenchAccount as Account } from './stageServer.js';

export interface StageTargetConfig {
  port: number;
  label?: string;
  /** Account 0 sends; 1..n receive. From the hub fixture. */
  accounts: Account[];
}

export class StageTarget implements LoadTarget {
  readonly label: string;
  readonly accounts: Account[];
  private readonly ws: string;

  constructor(private readonly config: StageTargetConfig) {
    this.label = config.label ?? 'stage';
    this.accounts = config.accounts;
    this.ws = `ws://127.0.0.1:${config.port}`;
  }

  /** The accounts come from the hub process's fixture (see stageServer.ts). */
  async prepare(receivers: number): Promise<void> {
    if (this.accounts.length < receivers + 1) throw new Error(`the Stage hub fixture has ${this.accounts.length} accounts, ${receivers + 1} needed`);
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
