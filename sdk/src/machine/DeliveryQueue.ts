// The engine's FIFO of pending deliveries: a growable ring buffer of parallel arrays, so queueing
// a message allocates nothing (the echo server queues about a dozen per round trip). Internal.

export class DeliveryQueue<T, C> {
  private targets: (T | undefined)[];
  private tags: (string | undefined)[];
  private payloads: unknown[];
  private froms: (T | null)[];
  private channels: (C | null)[];
  private head = 0;
  private count = 0;
  private mask: number;

  // What `shift` took out; read these right after it.
  target!: T;
  tag!: string;
  payload: unknown;
  from: T | null = null;
  channel: C | null = null;

  constructor(capacity = 64) {
    let size = 1;
    while (size < capacity) size <<= 1;
    this.mask = size - 1;
    this.targets = new Array<T | undefined>(size).fill(undefined);
    this.tags = new Array<string | undefined>(size).fill(undefined);
    this.payloads = new Array<unknown>(size).fill(undefined);
    this.froms = new Array<T | null>(size).fill(null);
    this.channels = new Array<C | null>(size).fill(null);
  }

  get length(): number {
    return this.count;
  }

  push(target: T, tag: string, payload: unknown, from: T | null, channel: C | null): void {
    if (this.count > this.mask) this.grow();
    const at = (this.head + this.count) & this.mask;
    this.targets[at] = target;
    this.tags[at] = tag;
    this.payloads[at] = payload;
    this.froms[at] = from;
    this.channels[at] = channel;
    this.count++;
  }

  /** Takes the oldest delivery into `target`, `tag`, `payload`, `from`, `channel`. Call only when length > 0. */
  shift(): void {
    const at = this.head;
    this.target = this.targets[at]!;
    this.tag = this.tags[at]!;
    this.payload = this.payloads[at];
    this.from = this.froms[at]!;
    this.channel = this.channels[at]!;
    // Let go of references so delivered payloads can be collected.
    this.targets[at] = undefined;
    this.payloads[at] = undefined;
    this.froms[at] = null;
    this.channels[at] = null;
    this.head = (at + 1) & this.mask;
    this.count--;
  }

  clear(): void {
    while (this.count > 0) this.shift();
    this.payload = undefined;
    this.from = null;
    this.channel = null;
  }

  private grow(): void {
    const size = this.mask + 1;
    const order = (list: unknown[]): unknown[] => [...list.slice(this.head), ...list.slice(0, this.head), ...new Array(size).fill(undefined)];
    this.targets = order(this.targets) as (T | undefined)[];
    this.tags = order(this.tags) as (string | undefined)[];
    this.payloads = order(this.payloads);
    this.froms = (order(this.froms) as (T | null | undefined)[]).map((x) => x ?? null);
    this.channels = (order(this.channels) as (C | null | undefined)[]).map((x) => x ?? null);
    this.head = 0;
    this.mask = size * 2 - 1;
  }
}
