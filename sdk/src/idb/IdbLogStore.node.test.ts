// IdbLogStore on fake-indexeddb in Node (the same suite runs on real IndexedDB in Chromium).
import 'fake-indexeddb/auto';
import { describeIdbLogStore } from './test-support/idbLogStoreSuite.js';

describeIdbLogStore('fake-indexeddb');
