// The IM client: ImClient, its storage, login/register, and the local state reducers.
export {
  ImClient,
  type CommandOptions,
  type IssuedCommand,
  type ConnectionInfo,
  type ConnectionState,
  type ImClientConfig,
  type LogVerification,
  type PendingCommand,
  type Review,
  type SealedLogInfo,
  type SignOutOptions,
  type TopicHistory,
} from './ImClient.js';
export { DEFAULT_ACKS } from './ImClientConfig.js';
export type { PendingMessage } from './PendingMessage.js';
export { memoryStorage, type DeviceRecord, type ImClientStorage, type OutboxItem } from './ImClientStorage.js';
export { applyOutcome, applyOutcomeInBatch, applyReply, emptyImState, type ImState, type Unpublished } from './ImState.js';
export { restoreSnapshot, snapshotOf, SNAPSHOT_MESSAGES_PER_TOPIC, type ImStateSnapshot } from './stateSnapshot.js';
export { chainPages, type ChainPagesConfig } from './chainPages.js';
export { login } from './login.js';
export { changePassword, logout, refreshToken } from './account.js';
export { register } from './register.js';
export type { AccountRequestOptions, FetchLike } from './postCredentials.js';
export { reconnectDelay, type ReconnectConfig } from './ReconnectConfig.js';
export type { CloseEventLike, MessageEventLike, WebSocketConstructor, WebSocketLike } from './WebSocketLike.js';
