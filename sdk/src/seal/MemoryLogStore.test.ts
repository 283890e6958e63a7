import { MemoryLogStore } from './MemoryLogStore.js';
import { describeLogStoreContract, type Body } from './test-support/logStoreContract.js';

describeLogStoreContract('MemoryLogStore', async () => ({ store: new MemoryLogStore<Body>() }), { persistent: false });
