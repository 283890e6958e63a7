// Typed errors of the machine engine. Each carries a stable `code` and a message that names the
// machine, the state and the fix, so a trace line or a thrown error is enough to act on.

export type MachineErrorCode =
  | 'UNKNOWN_MESSAGE'
  | 'HANDLER_FAILED'
  | 'ENGINE_STOPPED'
  | 'POOL_EXHAUSTED'
  | 'POOL_MISUSE'
  | 'CHANNEL_FAILED'
  | 'BAD_DEFINITION';

/** Base class of every error the machine engine raises. */
export class MachineError extends Error {
  override readonly name: string = 'MachineError';
  constructor(
    readonly code: MachineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A machine got a message its current state has no handler for. The machine stays in its state. */
export class UnknownMessageError extends MachineError {
  override readonly name = 'UnknownMessageError';
  constructor(
    readonly machine: string,
    readonly state: string,
    readonly tag: string,
    readonly from: string,
  ) {
    super(
      'UNKNOWN_MESSAGE',
      `${machine} @ ${state} has no handler for '${tag}' from ${from}; the message was dropped and ` +
        `${machine} stays in ${state}. Add a '${tag}' handler to state ${state} or do not send it there.`,
    );
  }
}

/** A handler, `enter` or `leave` threw. The engine stops with this error. */
export class HandlerError extends MachineError {
  override readonly name = 'HandlerError';
  constructor(
    readonly machine: string,
    readonly state: string,
    readonly step: string,
    cause: unknown,
  ) {
    super(
      'HANDLER_FAILED',
      `${machine} @ ${state}: ${step} threw (${cause instanceof Error ? cause.message : String(cause)}); ` +
        `the engine stopped. Handlers must not throw: turn failures into messages (e.g. 'M2').`,
      { cause },
    );
  }
}

/** Something was asked of an engine that has already stopped. */
export class EngineStoppedError extends MachineError {
  override readonly name = 'EngineStoppedError';
  constructor(what: string) {
    super('ENGINE_STOPPED', `${what}: the engine has stopped; create a new Engine to run machines again.`);
  }
}
