// IdbLogStore on Chromium's real IndexedDB (the same suite runs on fake-indexeddb in Node).
import { describeIdbLogStore } from './test-support/idbLogStoreSuite.js';

describeIdbLogStore('Chromium IndexedDB');
