// A user's most recently published outcomes (id → outcome JSON), so live pushes need no store read. Outcome ids are
// consecutive per user, so a ring indexed by id is enough: O(1) put and get, nothing to delete. (A Map evicting
// its oldest key with keys().next() slowed down as deleted entries piled up at its front.)
export class RecentOutcomes {
  private readonly ids: Float64Array;
  private readonly json: (string | undefined)[];

  constructor(private readonly capacity: number) {
    this.ids = new Float64Array(capacity);
    this.json = new Array<string | undefined>(capacity);
  }

  /** Keeps `json` as outcome `id`, replacing whichever outcome held its slot. */
  put(id: number, json: string): void {
    const slot = id % this.capacity;
    this.ids[slot] = id;
    this.json[slot] = json;
  }

  /** The outcome's JSON if it is still held. */
  get(id: number): string | undefined {
    const slot = id % this.capacity;
    return this.ids[slot] === id ? this.json[slot] : undefined;
  }
}
