// @stage/sdk idb: IndexedDB stores for the browser (via `idb`).
//
//   IdbLogStore.open<B>({ logId, dbName = 'stage', durability = 'relaxed', onClose? }): SealedLogStore<B>
//   IdbMailboxBacking.open<T>({ mailbox, dbName = 'stage', onClose? }): MailboxBacking<T>
//   openStageDb({ dbName, onClose }), STAGE_DB_VERSION, DEFAULT_STAGE_DB_NAME
//
// Connections close themselves on versionchange (another tab's upgrade is never blocked); the
// store then refuses further use with LogStoreError('closed') asking for a reload.
export * from './openStageDb.js';
export * from './IdbLogStore.js';
export * from './IdbMailboxBacking.js';
export * from './idbImStorage.js';
