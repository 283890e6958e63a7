// Starts an in-process test hub on either store: SQLite in a fresh data dir, or PostgreSQL in a schema of its own
// (STAGE_TEST_DATABASE_URL) that is dropped on stop. Tests that must hold on both stores run once per kind.
import { PostgresStore } from '../../src/store/postgres/PostgresStore.js';
import type { HubConfig } from '../../src/hub/HubConfig.js';
import { requireService, testDatabaseUrl } from '../scaleOutServices.js';
import { uniqueName } from '../store-contract.js';
import { startTestHub } from './startTestHub.js';

export const storeKinds = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof storeKinds)[number];

export async function startHubOn(kind: StoreKind, config: HubConfig = {}): Promise<Awaited<ReturnType<typeof startTestHub>>> {
  if (kind === 'sqlite') return startTestHub(config);
  await requireService('postgres');
  const store = await PostgresStore.open({ url: testDatabaseUrl, schema: uniqueName('hubtest'), poolSize: 4 });
  const hub = await startTestHub({ ...config, store });
  return {
    ...hub,
    async stop() {
      await hub.stop();
      await store.dropSchemaAndClose();
    },
  };
}
