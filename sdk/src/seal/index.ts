// @stage/sdk seal: sealed, recallable session logs (seed 004). Spec: sdk/docs/sealed-logs.md.
//
// Public API
//   canonicalJson(value): string                     sorted keys, no whitespace; throws CanonicalJsonError
//   deriveSessionKey(secret, sessionId, sealing?)    32-byte key, synchronous
//   Sealing { name, hmac, sealer, toHex }            jsSealing (core default), nobleSealing, nodeSealing (@stage/sdk/node)
//   defaultSealing() / setDefaultSealing(sealing)
//   SealedEntry<B> { seq, body, seal }               seal = HMAC-SHA-256(key, prevSeal ‖ u64be(seq) ‖ canonical(body))
//   parseSealedEntry(value), GENESIS_SEAL
//   Sealer { seal(body), nextSeq, position, reset }  client-side chaining
//   ChainVerifier { check, advance, verify }         server-side verification
//   ChainError { code, seq, sessionId }              malformed | broken_seal | wrong_key | gap | fork | duplicate | truncated | unknown_session
//   SealedLogStore<B> { append, read, length, last, close, checkpoint?, compact? }; MemoryLogStore; LogStoreError
//   SealedCheckpoint<T> { seq, state, prevSeal, seal }  sealCheckpoint / verifyCheckpoint: a server-sealed snapshot replacing entries < seq
//   SessionDefinition<S, B> { initial, apply, reply? }
//   SessionHandler<S, B> { initiate, keyOf, has, state, position, checkpoint, receive(sessionId, entry, recall), delete, heartbeat, events$, close }
//   SessionClient<B> { open(config), sessionId, append(body), chain(from, upTo), answerRecall(upTo), acceptCheckpoint(cp), checkpoint(), keepsCheckpoints, recaller(), recalls, close }
//   FailureDetector / SessionWatch; HeartbeatFailureDetector { timeoutMs }
export { canonicalJson, CanonicalJsonError } from './canonicalJson.js';
export { ChainError, type ChainErrorCode, type ChainErrorDetails } from './ChainError.js';
export { LogStoreError, type LogStoreErrorCode } from './LogStoreError.js';
export { toHex, fromHex } from '../internal/hex.js';
export { writeSeq, type Sealing, type SealFunction } from './Sealing.js';
export { nobleSealing } from './nobleSealing.js';
export { jsSealing } from './jsSealing.js';
export { defaultSealing, setDefaultSealing } from './defaultSealing.js';
export { deriveSessionKey } from './deriveSessionKey.js';
export { GENESIS, GENESIS_SEAL, MAX_SEQ, parseSealedEntry, type ChainPosition, type SealedEntry } from './SealedEntry.js';
export { Sealer, type SealerConfig } from './Sealer.js';
export { ChainVerifier, type ChainVerifierConfig, type CheckedRun } from './ChainVerifier.js';
export { assertAppendable } from './assertAppendable.js';
export type { SealedLogStore } from './SealedLogStore.js';
export { checkpointSeal, sealCheckpoint, verifyCheckpoint, type SealedCheckpoint } from './SealedCheckpoint.js';
export { assertCompactable } from './assertCompactable.js';
export { MemoryLogStore } from './MemoryLogStore.js';
export type { SessionDefinition } from './SessionDefinition.js';
export type { FailureDetector, SessionWatch } from './FailureDetector.js';
export { HeartbeatFailureDetector, type HeartbeatConfig } from './HeartbeatFailureDetector.js';
export {
  SessionHandler,
  type InitiatedSession,
  type Received,
  type RecallFunction,
  type RecallOptions,
  type RecallPage,
  type SessionEvent,
  type SessionHandlerConfig,
} from './SessionHandler.js';
export { SessionClient, type SessionClientConfig } from './SessionClient.js';
