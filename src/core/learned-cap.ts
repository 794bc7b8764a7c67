// The order in which learned and stop-filter MFC entries give way when their
// number reaches the cap: least recently active first. Keys only; never touches the MFC itself.

/**
 * The default cap: a learned entry costs about 1.4 KB of heap here (measured with 50,000 on the fake
 * kernel) and a few hundred bytes in the kernel, so a storm is held near 70 MB; still far above the
 * flows one LAN router sees at once.
 */
export const DEFAULT_MAX_LEARNED = 50_000;

/** The largest cap --max-learned takes: well past what the kernel's MFC holds usefully, still bounded. */
export const MAX_MAX_LEARNED = 10_000_000;

export class LearnedOrder {
  /** Map iteration is insertion order: re-inserting a key on activity makes the first key the stalest. */
  private readonly order = new Map<string, true>();

  constructor(readonly cap: number) {}

  /** How many keys are held, stale ones (entries gone or configured since) included. */
  get size(): number {
    return this.order.size;
  }

  /** The entry was learned or seen moving: it goes to the back of the line. */
  touch(key: string): void {
    this.order.delete(key);
    this.order.set(key, true);
  }

  forget(key: string): void {
    this.order.delete(key);
  }

  /**
   * Keys to evict, stalest first, until at most `cap` remain. `isLearned` says whether a key
   * still names a learned entry; stale keys are dropped on the way without counting.
   */
  *over(isLearned: (key: string) => boolean): Generator<string> {
    for (const key of this.order.keys()) {
      if (this.order.size <= this.cap) return;
      this.order.delete(key);
      if (isLearned(key)) yield key;
    }
  }
}

/** One report per minute at most while a storm lasts; what was evicted meanwhile is summed into it. */
export const EVICTION_REPORT_MS = 60_000;

/** Counts evictions and says when they should be reported, so a storm of sources logs one line a minute. */
export class EvictionReport {
  private pending = 0;
  private last: number | undefined;

  /** Adds `n` evictions at `now`; the total to report when it is time, else undefined. */
  add(n: number, now: number): number | undefined {
    this.pending += n;
    if (this.pending === 0) return undefined;
    if (this.last !== undefined && now - this.last < EVICTION_REPORT_MS) return undefined;
    const total = this.pending;
    this.pending = 0;
    this.last = now;
    return total;
  }
}
