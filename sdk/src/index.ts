// @stage/sdk: the isomorphic core. Platform parts live behind subpath exports
// (@stage/sdk/im, /idb, /node, /react, /vue) and are never imported from here.
export * from './session/index.js';
export * from './mailbox/index.js';
export * from './supervision/index.js';
export * from './machine/index.js';
export * from './seal/index.js';
