// The engine: runs machines. One FIFO queue of deliveries per engine; each delivery runs one
// handler to completion before the next starts (run-to-completion); a state change requested by
// `goto` runs leave(old) then enter(new). Event-source emissions join the same queue. The trace
// stream gets one line per delivery in the seed's format.
import { Observable, Subject } from 'rxjs';
import { Deque } from '../internal/Deque.js';
import type { MessageMap, PayloadArgs } from './EventTag.js';
import type { MachineRef } from './MachineRef.js';
import type { MachineDefinition } from './defineMachine.js';
import { Machine } from './Machine.js';
import type { Channel, ChannelSink } from './Channel.js';
import { DeliveryQueue } from './DeliveryQueue.js';
import { EngineStoppedError, HandlerError, MachineError, UnknownMessageError } from './MachineError.js';
import { deliveryLine, type TraceEntry } from './TraceEntry.js';

export interface EngineConfig {
  /**
   * What an unknown message (no handler in the current state) does: `'trace'` (default) puts an
   * UnknownMessageError on the trace stream and the machine stays put; `'throw'` stops the
   * engine with it (`done` rejects).
   */
  readonly onUnknown?: 'trace' | 'throw' | undefined;
  /**
   * Deliveries run back to back before the engine yields to the host event loop, so machines
   * that keep messaging each other cannot starve sockets and timers. Default 4096.
   */
  readonly sliceSize?: number | undefined;
  /**
   * When queued deliveries run. `'microtask'` (default): right after the code that queued them,
   * lowest latency. `'task'`: in a task of their own (setImmediate in Node), so every I/O event
   * of one event-loop turn is queued first and handled in one batch, the way an epoll loop handles
   * all events of one epoll_wait. I/O-heavy engines (the echo server) spend less per event.
   */
  readonly drainOn?: 'microtask' | 'task' | undefined;
}

export interface SpawnOptions {
  /** Instance name; default `KIND-n`, n counting from 1 per kind. */
  readonly name?: string | undefined;
}

type AnyMachine = Machine<MessageMap<unknown>, unknown, string>;


const resolved = Promise.resolve();

/**
 * Runs `run` in a task of its own: setImmediate in Node; a MessageChannel in browsers, where
 * setTimeout(0) is clamped to 4 ms once nested; setTimeout as the last resort.
 */
const yieldToHost: (run: () => void) => void =
  typeof globalThis.setImmediate === 'function'
    ? (run) => globalThis.setImmediate(run)
    : typeof globalThis.MessageChannel === 'function'
      ? messageChannelYield()
      : (run) => setTimeout(run, 0);

// The slice of the web platform's MessageChannel used here, typed structurally: Node's and the
// DOM's declarations of MessageChannel disagree, and the core must compile against both.
interface YieldChannel {
  readonly port1: { onmessage: ((event: unknown) => void) | null };
  readonly port2: { postMessage(message: null): void };
}

function messageChannelYield(): (run: () => void) => void {
  let channel: YieldChannel | null = null;
  const waiting = new Deque<() => void>();
  return (run) => {
    if (channel === null) {
      channel = new globalThis.MessageChannel() as unknown as YieldChannel;
      channel.port1.onmessage = () => waiting.shift()?.();
    }
    waiting.push(run);
    channel.port2.postMessage(null);
  };
}

export class Engine implements ChannelSink {
  private readonly onUnknown: 'trace' | 'throw';
  private readonly sliceSize: number;
  private readonly drainInTask: boolean;
  private readonly traceSubject = new Subject<TraceEntry>();
  private readonly all: AnyMachine[] = [];
  private readonly counters = new Map<string, number>();
  private readonly queue = new DeliveryQueue<AnyMachine, Channel>();
  private scheduled = false;
  private draining = false;
  private stopRequested = false;
  private failure: MachineError | null = null;
  private isStopped = false;
  private resolveDone!: () => void;
  private rejectDone!: (error: MachineError) => void;
  private delivered = 0;
  private idleWaiters: (() => void)[] = [];

  /** One entry per delivery (plus notes and errors). Completes when the engine stops. */
  readonly trace$: Observable<TraceEntry> = this.traceSubject.asObservable();
  /** Settles when the engine stops: resolves on `stop()`, rejects with the error that stopped it. */
  readonly done: Promise<void>;

  constructor(config: EngineConfig = {}) {
    this.onUnknown = config.onUnknown ?? 'trace';
    const sliceSize = config.sliceSize ?? 4096;
    if (!Number.isInteger(sliceSize) || sliceSize < 1) {
      throw new RangeError(`Engine: sliceSize must be an integer >= 1, got ${sliceSize}.`);
    }
    this.sliceSize = sliceSize;
    this.drainInTask = config.drainOn === 'task';
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // Whoever does not await `done` must not get an unhandled rejection; awaiting it still throws.
    this.done.catch(() => undefined);
  }

  /** True once the engine has stopped (by `stop()` or a failure). */
  get stopped(): boolean {
    return this.isStopped;
  }

  /** True while someone watches `trace$`; lets machines skip formatting lines nobody reads. */
  get tracing(): boolean {
    return this.traceSubject.observed;
  }

  /** Deliveries made so far. */
  get deliveries(): number {
    return this.delivered;
  }

  /** Every machine spawned on this engine, in spawn order. */
  get machines(): readonly MachineRef<never>[] {
    return this.all;
  }

  /**
   * Creates a machine in its initial state and runs that state's `enter` right away (it usually
   * prepares channels and sends `M0` to itself).
   */
  spawn<M extends MessageMap<M>, D, S extends string>(
    definition: MachineDefinition<M, D, S>,
    ...args: undefined extends D ? [data?: D, options?: SpawnOptions] : [data: D, options?: SpawnOptions]
  ): Machine<M, D, S> {
    if (this.isStopped || this.stopRequested) throw new EngineStoppedError(`spawn(${definition.kind})`);
    const [data, options] = args;
    let name = options?.name;
    if (name === undefined) {
      const n = (this.counters.get(definition.kind) ?? 0) + 1;
      this.counters.set(definition.kind, n);
      name = `${definition.kind}-${n}`;
    }
    const machine = new Machine<M, D, S>(this, definition, name, data as D);
    const any = machine as unknown as AnyMachine;
    this.all.push(any);
    const enter = machine.currentSpec.enter;
    if (enter !== undefined) {
      try {
        enter(machine);
      } catch (error) {
        this.fail(new HandlerError(machine.name, machine.currentState, 'enter', error));
        return machine;
      }
      if (machine.pendingState !== undefined) this.transition(any);
    }
    return machine;
  }

  /** Sends a message from outside any machine (traced `from OS`). */
  msgTo<TM extends MessageMap<TM>, K extends keyof TM & string>(
    target: MachineRef<TM>,
    tag: K,
    ...payload: PayloadArgs<TM[K]>
  ): void {
    if (this.isStopped || this.stopRequested) throw new EngineStoppedError(`msgTo(${target.name}, '${tag}')`);
    this.enqueue(target as unknown as AnyMachine, tag, payload[0], null);
  }

  /**
   * Stops the event loop: once the running handler returns, every machine's current `leave` runs,
   * every channel is disabled, queued messages are dropped and `done` resolves.
   */
  stop(): void {
    if (this.isStopped || this.stopRequested) return;
    this.stopRequested = true;
    if (!this.draining) this.finish();
  }

  /**
   * Resolves when no delivery is queued (right away if none is). Event sources may of course
   * queue more later; this is for "everything sent so far has been handled".
   */
  whenIdle(): Promise<void> {
    if (this.isStopped || (!this.draining && !this.scheduled && this.queue.length === 0)) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** @internal used by Machine.msgTo */
  enqueue(target: AnyMachine, tag: string, payload: unknown, from: AnyMachine | null): void {
    if (this.stopRequested || this.isStopped) return;
    this.queue.push(target, tag, payload, from, null);
    if (!this.draining && !this.scheduled) this.schedule();
  }

  /** @internal used by channels */
  enqueueEvent(target: unknown, channel: Channel, payload: unknown): void {
    if (this.stopRequested || this.isStopped || !channel.active) return;
    this.queue.push(target as AnyMachine, channel.tag, payload, null, channel);
    if (!this.draining && !this.scheduled) this.schedule();
  }

  /** @internal an event source errored: that is a bug in the source, so the engine stops. */
  channelFailed(machine: string, tag: string, error: unknown): void {
    this.fail(
      new MachineError(
        'CHANNEL_FAILED',
        `${machine}: the event source for '${tag}' errored (${error instanceof Error ? error.message : String(error)}); ` +
          `sources must report failures as values (e.g. on a 'D2' source), not as Observable errors.`,
        { cause: error },
      ),
    );
  }

  /** @internal used by Machine.note / print */
  print(machine: string, line: string): void {
    if (this.traceSubject.observed) this.traceSubject.next({ kind: 'note', machine, line });
  }

  private schedule(): void {
    this.scheduled = true;
    // A resolved promise rather than queueMicrotask: Node wraps every queueMicrotask callback in an
    // AsyncResource, which costs more than the deliveries it runs.
    if (this.drainInTask) yieldToHost(this.drain);
    else resolved.then(this.drain);
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    if (this.isStopped) return;
    this.draining = true;
    let budget = this.sliceSize;
    const queue = this.queue;
    while (queue.length > 0 && !this.stopRequested) {
      if (budget-- === 0) {
        this.scheduled = true;
        yieldToHost(this.drain);
        break;
      }
      queue.shift();
      this.deliver(queue.target, queue.tag, queue.payload, queue.from, queue.channel);
    }
    this.draining = false;
    if (this.stopRequested) this.finish();
    else if (this.queue.length === 0 && this.idleWaiters.length > 0) this.wakeIdleWaiters();
  };

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  private deliver(machine: AnyMachine, tag: string, payload: unknown, sender: AnyMachine | null, channel: Channel | null): void {
    if (!machine.alive) return;
    if (channel !== null && !channel.active) return;
    this.delivered++;
    const handler = (machine.currentSpec as Record<string, unknown>)[tag];
    if (this.traceSubject.observed) {
      const from = this.fromLabel(machine, sender);
      this.traceSubject.next({
        kind: 'delivery',
        machine: machine.name,
        state: machine.currentState,
        tag,
        from,
        line: deliveryLine(machine.name, machine.currentState, tag, from),
      });
    }
    if (typeof handler !== 'function' || tag === 'enter' || tag === 'leave') {
      this.unknown(machine, tag, sender);
      return;
    }
    try {
      (handler as (me: AnyMachine, payload: unknown, from: AnyMachine | null) => void)(
        machine,
        payload,
        sender,
      );
    } catch (error) {
      this.fail(new HandlerError(machine.name, machine.currentState, `the '${tag}' handler`, error));
      return;
    }
    if (machine.pendingState !== undefined) this.transition(machine);
  }

  private transition(machine: AnyMachine): void {
    const states = machine.definition.states as Record<string, AnyMachine['currentSpec']>;
    while (machine.pendingState !== undefined && !this.isStopped) {
      const next = machine.pendingState;
      machine.pendingState = undefined;
      const leave = machine.currentSpec.leave;
      if (leave !== undefined) {
        try {
          leave(machine);
        } catch (error) {
          this.fail(new HandlerError(machine.name, machine.currentState, 'leave', error));
          return;
        }
      }
      if (machine.stateChannels.length > 0) machine.disableChannels();
      machine.currentState = next;
      machine.currentSpec = states[next]!;
      const enter = machine.currentSpec.enter;
      if (enter !== undefined) {
        try {
          enter(machine);
        } catch (error) {
          this.fail(new HandlerError(machine.name, machine.currentState, 'enter', error));
          return;
        }
      }
    }
  }

  private unknown(machine: AnyMachine, tag: string, sender: AnyMachine | null): void {
    const error = new UnknownMessageError(machine.name, machine.currentState, tag, this.fromLabel(machine, sender));
    if (this.onUnknown === 'throw') {
      this.fail(error);
      return;
    }
    if (this.traceSubject.observed) this.traceSubject.next({ kind: 'error', error, line: error.message });
  }

  private fromLabel(machine: AnyMachine, from: AnyMachine | null): string {
    return from === null ? 'OS' : from === machine ? 'SELF' : from.name;
  }

  private fail(error: MachineError): void {
    if (this.isStopped) return;
    if (this.failure === null) this.failure = error;
    if (this.traceSubject.observed) this.traceSubject.next({ kind: 'error', error, line: error.message });
    this.stopRequested = true;
    if (!this.draining) this.finish();
  }

  private finish(): void {
    if (this.isStopped) return;
    this.isStopped = true;
    this.queue.clear();
    for (const machine of this.all) {
      // A graceful stop lets every machine say goodbye; after a failure only channels are closed.
      const leave = machine.currentSpec.leave;
      if (this.failure === null && leave !== undefined) {
        try {
          leave(machine);
        } catch (error) {
          this.failure ??= new HandlerError(machine.name, machine.currentState, 'leave (at stop)', error);
        }
      }
      machine.alive = false;
      for (const channel of machine.stateChannels) channel.disable();
      for (const channel of machine.lifeChannels) channel.disable();
      machine.stateChannels = [];
      machine.lifeChannels = [];
    }
    this.traceSubject.complete();
    this.wakeIdleWaiters();
    if (this.failure === null) this.resolveDone();
    else this.rejectDone(this.failure);
  }
}
