// Client side of the Stage hub: connection i of the layout is the one device ('bench') of fixture account i, a
// member of stream ⌊i / members⌋ (see stageServer.ts). Devices are opened again in every round; the target keeps
// each account's last received outcome so that the next hello resumes there instead of replaying the history.
import { roomOf, type Layout } from './protocol.js';
import { StageDevice } from './StageDevice.js';
import { messageText, sentAtOf, type BenchClient, type LoadTarget } from './target.js';

export interface BenchAccount {
  userId: string;
  token: string;
}

export interface StageTargetConfig {
  label?: string;
  /** One port per hub; connection i goes to hub i mod ports.length (several hubs share one PostgreSQL + Redis). */
  ports: number[];
  layout: Layout;
  /** From the hub fixture, one per connection of the layout. */
  accounts: BenchAccount[];
}

export function stageTarget(config: StageTargetConfig): LoadTarget {
  const lastOutcomes = new Map<number, number>();
  return {
    label: config.label ?? 'stage',
    connect: async (index, onDeliver): Promise<BenchClient> => {
      const account = config.accounts[index];
      if (!account) throw new Error(`the Stage hub fixture has ${config.accounts.length} accounts; connection ${index} needs one more`);
      const port = config.ports[index % config.ports.length]!;
      const device = await StageDevice.connect({
        wsBase: `ws://127.0.0.1:${port}`,
        token: account.token,
        deviceId: 'bench',
        lastOutcomeId: lastOutcomes.get(index) ?? 0,
        onPush: (frame) => {
          const sentAt = sentAtOf(frame);
          if (sentAt >= 0) onDeliver(sentAt);
        },
      });
      const stream = roomOf(config.layout, index);
      return {
        send: async (sentAt, bytes) => {
          await device.command('SendMessage', { stream, topic: 'load', content: messageText(sentAt, bytes) });
        },
        close: () => {
          lastOutcomes.set(index, device.lastOutcomeId);
          device.close();
        },
        lost: () => device.lost,
        closeCode: () => device.closedByHub,
      };
    },
  };
}
