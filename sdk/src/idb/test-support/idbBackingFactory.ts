import type { BackingFactory, Message } from '../../seal/test-support/mailboxBackingContract.js';
import { IdbMailboxBacking } from '../IdbMailboxBacking.js';
import { freshDbName } from './idbLogStoreSuite.js';

export const idbBackingFactory: BackingFactory = {
  async fresh() {
    const dbName = freshDbName();
    return () => IdbMailboxBacking.open<Message>({ dbName, mailbox: 'outbox' });
  },
};
