// A running machine: the `me` every handler gets. It knows its state and data, sends messages
// (`msgTo`), changes state (`goto`, applied when the handler returns: leave(old), then
// enter(new)) and enables event sources it owns (`on`, `timer`).
import type { Observable } from 'rxjs';
import type { BareTags, MessageMap, PayloadArgs } from './EventTag.js';
import type { Envelope, MachineRef } from './MachineRef.js';
import type { MachineDefinition, StateSpec } from './defineMachine.js';
import type { Engine } from './Engine.js';
import { Channel, type ChannelConfig } from './Channel.js';
import { MachineError } from './MachineError.js';
import { ChannelSource } from './ChannelSource.js';

export class Machine<M extends MessageMap<M>, D = undefined, S extends string = string> implements MachineRef<M> {
  declare readonly '~accepts'?: (message: Envelope<M>) => void;

  /** Per-instance data the handlers own (the seed's `me.data`). */
  data: D;

  /** @internal */ currentState: S;
  /** @internal */ currentSpec: StateSpec<M, D, S>;
  /** @internal the state `goto` asked for, applied when the running handler returns */
  pendingState: S | undefined = undefined;
  /** @internal */ alive = true;
  /** @internal channels disabled when the current state is left */
  stateChannels: Channel[] = [];
  /** @internal channels disabled when the engine stops */
  lifeChannels: Channel[] = [];

  constructor(
    /** The engine this machine runs on. */
    readonly engine: Engine,
    readonly definition: MachineDefinition<M, D, S>,
    /** Instance name used in traces, `KIND-n` by default. */
    readonly name: string,
    data: D,
  ) {
    this.data = data;
    this.currentState = definition.initial;
    this.currentSpec = definition.states[definition.initial];
  }

  get kind(): string {
    return this.definition.kind;
  }

  /** The current state. */
  get state(): S {
    return this.currentState;
  }

  /**
   * Moves to `state` once the running handler (or `enter`) returns: `leave` of the old state runs,
   * its channels are disabled, then `enter` of the new one runs. The last call wins.
   */
  goto(state: S): void {
    if (!Object.hasOwn(this.definition.states, state)) {
      throw new MachineError('BAD_DEFINITION', `${this.name}: goto('${state}'), but ${this.kind} has no such state.`);
    }
    this.pendingState = state;
  }

  /** Sends `tag` with `payload` to `target` (or to itself). Delivered in FIFO order after this handler. */
  msgTo<TM extends MessageMap<TM>, K extends keyof TM & string>(
    target: MachineRef<TM>,
    tag: K,
    ...payload: PayloadArgs<TM[K]>
  ): void {
    this.engine.enqueue(
      target as unknown as Machine<MessageMap<unknown>, unknown, string>,
      tag,
      payload[0],
      this as unknown as Machine<MessageMap<unknown>, unknown, string>,
    );
  }

  /**
   * Enables an event source owned by this machine: every value it emits is delivered to this
   * machine as `tag` (traced `from OS`). Disabled when this state is left unless `until: 'stop'`.
   */
  on<K extends keyof M & string>(tag: K, source: Observable<M[K]>, config: ChannelConfig = {}): Channel {
    const channel = this.addChannel(tag, config);
    if (source instanceof ChannelSource) channel.watch(source as ChannelSource<unknown>);
    else channel.attach(source.subscribe(channel));
    return channel;
  }

  /**
   * Disables, now, every channel enabled in the current state (leaving the state would do it
   * too). A handler that has finished the state's job calls it so that events already queued
   * (a hang-up racing a read, a timeout racing a reply) are dropped instead of delivered.
   */
  disableChannels(): void {
    const channels = this.stateChannels;
    // Disabling never enables another channel, so the list can be emptied in place afterwards.
    for (let i = 0; i < channels.length; i++) channels[i]!.disable();
    channels.length = 0;
  }

  /**
   * Starts a one-shot timer delivering `tag` after `delayMs`; stopped when this state is left
   * (the same as `on(tag, timerSource(delayMs))`, without the Observable).
   */
  timer<K extends BareTags<M>>(tag: K, delayMs: number, config: ChannelConfig = {}): Channel {
    if (!Number.isFinite(delayMs) || delayMs < 0) {
      throw new RangeError(`${this.name}: timer('${tag}', ${delayMs}): delayMs must be a finite number >= 0.`);
    }
    const channel = this.addChannel(tag, config);
    channel.startTimer(delayMs);
    return channel;
  }

  private addChannel(tag: string, config: ChannelConfig): Channel {
    const channel = new Channel(tag, this, this.engine);
    const list = config.until === 'stop' ? this.lifeChannels : this.stateChannels;
    if (list.length > 16) prune(list);
    list.push(channel);
    return channel;
  }

  /** Prints `NAME : text` on the trace stream (the seed's `WORKER-1 : connected to ...`). */
  note(text: string): void {
    this.engine.print(this.name, `${this.name} : ${text}`);
  }

  /** Prints a raw line on the trace stream (the seed's `<<< 4 bytes: { ... }`). */
  print(line: string): void {
    this.engine.print(this.name, line);
  }
}

function prune(list: Channel[]): void {
  let kept = 0;
  for (const channel of list) if (channel.active) list[kept++] = channel;
  list.length = kept;
}
