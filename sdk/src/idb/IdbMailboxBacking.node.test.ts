// IdbMailboxBacking on fake-indexeddb in Node (the same suite runs on real IndexedDB in Chromium).
import 'fake-indexeddb/auto';
import { describeMailboxBackingContract } from '../seal/test-support/mailboxBackingContract.js';
import { idbBackingFactory } from './test-support/idbBackingFactory.js';

describeMailboxBackingContract('IdbMailboxBacking (fake-indexeddb)', idbBackingFactory);
