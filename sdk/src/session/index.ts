// @stage/sdk session: sessions, the scope they run in, and the four session patterns (seed 000).
//
//   const scope = new Scope<T>({ name?, signal? (parent), failFast? = true })
//   await Scope.run(async (scope) => ..., config)    // ends the scope when the body settles
//   scope.spawn(body | observable, { name? }): Task<U>  // body: (ctx: { signal, name, scope, onTeardown }) => Promise | Observable | value
//   scope.join(): Promise<Settled<T> | undefined>     // next to finish: { task, state: 'completed', value } | { task, state: 'failed' | 'cancelled', error }
//   scope.joinAll(): Promise<T[]>                     // spawn order; rejects SessionFailedError / CancelledError
//   scope.size; scope.state; scope.signal; scope.error; scope.finished(); scope.idle()
//   scope.complete(); scope.cancel(reason)            // both cancel running children and resolve once they ended
//   task.result; task.state; task.signal; task.cancel(reason)
//
// Patterns, each a Session<T> — an Observable (subscribe to run, unsubscribe to cancel, spawn it
// into a scope) with `result({ signal })`, `ended({ signal })` and `values({ signal })` for async/await:
//   collector(input, { seed, step, until, result?, onInputEnd? })   streaming in, one result; ends on its own condition
//   listener((ctx) => source, { shutdown })                        one-shot in, streaming out; runs until shutdown
//   server(input, { seed, step, shutdown?, isShutdown?, result? }) runs until shutdown signal/message (or input end)
//   service(requests, handle, { concurrency? })                    one correlated Reply per request; ends when input completes
// `input` is an Observable, any ObservableInput (async iterable, array, promise) or a MailboxReceiver
// (messages are acked once handled and go back to the mailbox if the session dies first).
export { Scope, type ScopeConfig, type ScopeState, type SessionBody, type SessionContext, type SpawnOptions as ScopeSpawnOptions } from './Scope.js';
export { Task, type TaskState, type Settled } from './Task.js';
export { SessionError, CancelledError, SessionFailedError, type SessionErrorCode } from './SessionError.js';
export { Session, type RunOptions } from './Session.js';
export { collector, type CollectorConfig } from './collector.js';
export { listener, type ListenerConfig, type ListenerContext } from './listener.js';
export { server, type ServerConfig } from './server.js';
export { service, type Reply as ServiceReply, type ServiceConfig, type ServiceContext } from './service.js';
export type { StepContext } from './foldSession.js';
export type { SessionInput } from './sessionInput.js';
export type { Shutdown } from './shutdownSignal.js';
