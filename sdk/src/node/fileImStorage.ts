// ImClient storage on files (Node): the outbox and the device record as FileMailboxBacking journals and each
// session's sealed log as a FileLogStore, all in one directory, so a Node client survives a process restart.
// With a userId the files live in a folder of that user's own under `dir`, so several users of one machine never
// share (or send) each other's outbox, and wipe() removes exactly that user's files.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeviceRecord, ImClientStorage, OutboxItem } from '../im/client/ImClientStorage.js';
import type { Command } from '../im/protocol/commands.js';
import { FileLogStore } from './FileLogStore.js';
import { FileMailboxBacking } from './FileMailboxBacking.js';

export interface FileImStorageConfig {
  /** Directory for this device's files (created if missing). One device per directory. */
  readonly dir: string;
  /** The user whose data this is: files go to `dir/user-<id>/` and an ImClient over them refuses other users. */
  readonly userId?: string;
  /** 'strict' (default): fdatasync before a write resolves. */
  readonly durability?: 'strict' | 'relaxed' | undefined;
}

/** File names are derived from session ids; keep them to a safe alphabet. */
function logFile(dir: string, sessionId: string): string {
  return join(dir, `log-${sessionId.replace(/[^A-Za-z0-9_.-]/g, '_')}.jsonl`);
}

export async function fileImStorage(config: FileImStorageConfig): Promise<ImClientStorage> {
  const dir = config.userId === undefined ? config.dir : join(config.dir, `user-${safeName(config.userId)}`);
  await mkdir(dir, { recursive: true });
  const durability = config.durability ?? 'strict';
  const outbox = await FileMailboxBacking.open<OutboxItem>({ path: join(dir, 'outbox.jsonl'), durability });
  const device = await FileMailboxBacking.open<DeviceRecord>({ path: join(dir, 'device.jsonl'), durability });
  return {
    ...(config.userId !== undefined ? { userId: config.userId } : {}),
    outbox,
    device,
    openLog: (sessionId) => FileLogStore.open<Command>({ path: logFile(dir, sessionId), durability }),
    dropLog: (sessionId) => rm(logFile(dir, sessionId), { force: true }),
    close: async () => {
      await Promise.all([outbox.close(), device.close()]);
    },
    async wipe() {
      if (config.userId !== undefined) return rm(dir, { recursive: true, force: true });
      // A directory the caller chose: remove only the files this storage made there.
      const names = await readdir(dir).catch(() => [] as string[]);
      await Promise.all(names.filter((name) => name === 'outbox.jsonl' || name === 'device.jsonl' || (name.startsWith('log-') && name.endsWith('.jsonl'))).map((name) => rm(join(dir, name), { force: true })));
    },
  };
}

/** A user id as a file name: safe characters kept, anything else escaped, so distinct ids stay distinct. */
function safeName(id: string): string {
  return encodeURIComponent(id).replace(/[_!'()*~%]/g, (c) => `_${c.charCodeAt(0).toString(16)}`);
}
