// @stage/sdk supervision: task groups, supervision trees, actors, dead letters, inspection.
//
// First degree — task groups:
//   group(factory, { name, size = 1, restart = 'permanent' | 'transient' | 'temporary',
//                    intensity = { maxRestarts: 3, withinMs: 5000 }, backoff?, shutdownTimeoutMs = 5000, signal? })
//     factory(ctx: { signal, stopping, id, slot, attempt }) => Observable | Promise | session | void
//   g.upscale(n); await g.downscale(n, { timeoutMs }); await g.shutdown({ timeoutMs }) -> TaskReport[]
//   await g.scope(promiseOrObservable, { timeoutMs = 0 }); g.stats$ (.value: size, running, failed, restarts, iterations)
//   g.done: Promise<Exit>, rejects RestartIntensityError (cause = last failure) when the group gives up
// Second degree — supervision trees:
//   supervisor({ name, strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one', intensity, children: [
//     { id, task }, { id, group, config }, { id, actor, options }, { id, supervisor: {...} } ] })
//     each child: restart?, shutdownTimeoutMs?, backoff?; start in order, stop in reverse
//   s.group(id), s.supervisor(id), s.actor(id, definition), s.children(), s.shutdown(), s.done
// Third degree — actors:
//   defineActor({ name, initial, handle(state, message, ctx) => state, restart?, intensity?, backoff?,
//                 maxDeliveries = 3, capacity = Infinity, shutdownTimeoutMs? })
//   spawn(def) / system.spawn(def) / ctx.spawn(def) -> ActorRef: tell, send, ask(msg, { timeoutMs }) (AskTimeoutError), stop, done
//   messages with `reply: Reply<R>` are askable; a crash redelivers the message; after maxDeliveries it
//   goes to dead letters (system.deadLetters$, system.deadLetters()), and a waiting ask rejects DeadLetteredError
// Systems and inspection:
//   createSystem({ name }) -> { inspect$, deadLetters$, group, supervisor, spawn, shutdown }
//   system.inspect$.pipe(inspectionTree()) -> TreeNode[]; foldInspection / toTree for custom folds
//   serveMailbox(mailbox, handler, { maxDeliveries, onDeadLetter }) -> a TaskFactory for mailbox workers
export { createSystem, group, supervisor, spawn, System, type SystemConfig } from './System.js';
export { Group, type GroupConfig, type GroupStats, type TaskReport, type StopConfig } from './Group.js';
export {
  Supervisor,
  type SupervisorConfig,
  type ChildSpec,
  type TaskChildSpec,
  type GroupChildSpec,
  type ActorChildSpec,
  type SupervisorChildSpec,
  type ChildInfo,
  type Strategy,
} from './Supervisor.js';
export {
  defineActor,
  type ActorDefinition,
  type AnyActorDefinition,
  type ActorRef,
  type ActorContext,
  type ActorOptions,
  type AskOptions,
  type AskMessage,
  type ReplyTo,
  type Reply,
} from './Actor.js';
export type { TaskContext, TaskFactory, TaskResult } from './TaskContext.js';
export type { Exit, ExitReason, RestartPolicy } from './Exit.js';
export type { DeadLetter } from './DeadLetter.js';
export type {
  InspectionEvent,
  NodeKind,
  SpawnedEvent,
  StartedEvent,
  ExitedEvent,
  RestartedEvent,
  EscalatedEvent,
  DeadLetteredEvent,
} from './InspectionEvent.js';
export {
  inspectionTree,
  foldInspection,
  toTree,
  EMPTY_INSPECTION,
  type InspectionState,
  type InspectedNode,
  type TreeNode,
  type NodeStatus,
} from './inspectionTree.js';
export { RestartIntensity, DEFAULT_INTENSITY, type IntensityConfig } from './RestartIntensity.js';
export { backoffDelay, type BackoffConfig } from './backoffDelay.js';
export { ObservableValue } from '../internal/ObservableValue.js';
export {
  SupervisionError,
  InvalidConfigError,
  RestartIntensityError,
  ChildFailedError,
  AskTimeoutError,
  DeadLetteredError,
  StoppedError,
  UnknownChildError,
  type SupervisionErrorCode,
} from './SupervisionError.js';
export { serveMailbox, type ServeMailboxConfig, type MailboxHandler } from './serveMailbox.js';
