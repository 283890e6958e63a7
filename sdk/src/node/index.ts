// @stage/sdk node: public face of this concept. Implementation files sit beside it.
export {};
export * from './SocketChannel.js';
export * from './ListenerChannel.js';
export * from './signalSource.js';
export * from './watchSource.js';
export * from './nodeSealing.js';
export * from './FileLogStore.js';
export * from './FileMailboxBacking.js';
export * from './fileImStorage.js';
