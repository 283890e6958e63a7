// ImClient storage on files (Node): the outbox and the device record as FileMailboxBacking journals and each
// session's sealed log as a FileLogStore, all in one directory, so a Node client survives a process restart.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeviceRecord, ImClientStorage, OutboxItem } from '../im/client/ImClientStorage.js';
import type { Command } from '../im/protocol/commands.js';
import { FileLogStore } from './FileLogStore.js';
import { FileMailboxBacking } from './FileMailboxBacking.js';

export interface FileImStorageConfig {
  /** Directory for this device's files (created if missing). One device per directory. */
  readonly dir: string;
  /** 'strict' (default): fdatasync before a write resolves. */
  readonly durability?: 'strict' | 'relaxed' | undefined;
}

/** File names are derived from session ids; keep them to a safe alphabet. */
function logFile(dir: string, sessionId: string): string {
  return join(dir, `log-${sessionId.replace(/[^A-Za-z0-9_.-]/g, '_')}.jsonl`);
}

export async function fileImStorage(config: FileImStorageConfig): Promise<ImClientStorage> {
  await mkdir(config.dir, { recursive: true });
  const durability = config.durability ?? 'strict';
  const outbox = await FileMailboxBacking.open<OutboxItem>({ path: join(config.dir, 'outbox.jsonl'), durability });
  const device = await FileMailboxBacking.open<DeviceRecord>({ path: join(config.dir, 'device.jsonl'), durability });
  return {
    outbox,
    device,
    openLog: (sessionId) => FileLogStore.open<Command>({ path: logFile(config.dir, sessionId), durability }),
    dropLog: (sessionId) => rm(logFile(config.dir, sessionId), { force: true }),
    close: async () => {
      await Promise.all([outbox.close(), device.close()]);
    },
  };
}
