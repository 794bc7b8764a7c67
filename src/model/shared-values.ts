// Values shared by key: routes name the same few interface sets and TTL vectors, and one object
// for each, not one per route, is most of what keeps a large table small. Pure bookkeeping.

/**
 * Equal values (by a string key) as one object. At most `cap` are remembered; past that the
 * memo starts over: values handed out stay valid, later ones are simply not shared with them.
 */
export class SharedValues<V extends object> {
  private readonly byKey = new Map<string, V>();
  private readonly issued = new WeakSet<V>();

  constructor(private readonly cap: number) {}

  /** Whether `v` was handed out here: given one back, it is the shared value already. */
  has(v: V): boolean {
    return this.issued.has(v);
  }

  /** The value for `key` if one is remembered. */
  peek(key: string): V | undefined {
    return this.byKey.get(key);
  }

  /** The value for `key`, made by `make` the first time (and again after the memo started over). */
  get(key: string, make: () => V): V {
    const known = this.byKey.get(key);
    if (known) return known;
    if (this.byKey.size >= this.cap) this.byKey.clear();
    const made = make();
    this.byKey.set(key, made);
    this.issued.add(made);
    return made;
  }
}
