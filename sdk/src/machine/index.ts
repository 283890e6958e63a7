// @stage/sdk machine: interacting state machines (seed 003). Define machine kinds with
// `defineMachine`, run them on an `Engine`, let them `msgTo` each other, own event sources
// (`on`, `timer`) and sit in `Pool`s when idle; watch `engine.trace$` for the seed's trace lines.
export type { EventTag, MessageMap, BareTags, PayloadArgs } from './EventTag.js';
export type { MachineRef, AnyMachineRef, Envelope } from './MachineRef.js';
export { defineMachine, type Handler, type StateSpec, type MachineSpec, type MachineDefinition } from './defineMachine.js';
export { Machine } from './Machine.js';
export { Engine, type EngineConfig, type SpawnOptions } from './Engine.js';
export { Channel, type ChannelConfig } from './Channel.js';
export { ChannelSource, type ChannelSourceConfig, type SourceWatcher } from './ChannelSource.js';
export { Pool, type PoolConfig } from './Pool.js';
export { timerSource, type TimerSourceConfig } from './timerSource.js';
export type { ByteChannel } from './ByteChannel.js';
export { MemoryChannel, type MemoryChannelConfig } from './MemoryChannel.js';
export { deliveryLine, type TraceEntry, type DeliveryTrace, type NoteTrace, type ErrorTrace } from './TraceEntry.js';
export { MachineError, UnknownMessageError, HandlerError, EngineStoppedError, type MachineErrorCode } from './MachineError.js';
export { WebSocketChannel, type WebSocketLike, type WebSocketChannelConfig } from './WebSocketChannel.js';
