// IdbMailboxBacking on Chromium's IndexedDB: an outbox that survives a reload (close and reopen).
import { describeMailboxBackingContract } from '../seal/test-support/mailboxBackingContract.js';
import { idbBackingFactory } from './test-support/idbBackingFactory.js';

describeMailboxBackingContract('IdbMailboxBacking (Chromium IndexedDB)', idbBackingFactory);
