// A user's most recently published outcomes (id → push body, see pushFrame), so live pushes need no store read. Outcome ids are
// consecutive per user, so a ring indexed by id is enough: O(1) put and get, nothing to delete. (A Map evicting
// its oldest key with keys().next() slowed down as deleted entries piled up at its front.) The ring starts small
// and doubles up to its capacity, so the many users who receive little hold little.
export class RecentOutcomes {
  private ids: number[] = [];
  private bodies: Buffer[] = [];

  constructor(private readonly capacity: number) {}

  /** Keeps `body` as outcome `id`, replacing the oldest outcome once `capacity` are held. */
  put(id: number, body: Buffer): void {
    let size = this.ids.length;
    if (size === 0 || (size < this.capacity && this.ids[id % size]! > 0)) size = this.grow();
    const slot = id % size;
    this.ids[slot] = id;
    this.bodies[slot] = body;
  }

  /** The outcome's push body if it is still held. */
  get(id: number): Buffer | undefined {
    const size = this.ids.length;
    if (size === 0) return undefined;
    const slot = id % size;
    return this.ids[slot] === id ? this.bodies[slot] : undefined;
  }

  private grow(): number {
    const size = Math.min(this.capacity, Math.max(8, this.ids.length * 2));
    const ids = this.ids;
    const bodies = this.bodies;
    this.ids = new Array<number>(size).fill(0);
    this.bodies = new Array<Buffer>(size);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id > 0) {
        this.ids[id % size] = id;
        this.bodies[id % size] = bodies[i]!;
      }
    }
    return size;
  }
}
