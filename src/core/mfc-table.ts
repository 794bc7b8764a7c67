// The daemon's copy of the kernel multicast forwarding cache: one entry per
// (S,G), indexed by inbound interface so a changed rule finds the flows it
// covers without scanning the table. Pure bookkeeping.

import type { Addr, Family } from '../model/addr.js';

/** TTLs of an entry the kernel does not hold (yet). */
const NONE = new Uint8Array(0);

/** One (S,G); a class so that fifty thousand of them share one compact layout. */
export class MfcEntry {
  /** Inbound VIF/MIF the kernel holds the entry with; -1 until installed. */
  parent = -1;
  /** Outbound TTLs the kernel holds, by VIF; shared between entries, never changed in place. */
  ttls: Uint8Array = NONE;
  /** Packet count (minus wrong-interface hits) seen at the last expiry check. */
  lastValid = 0n;

  constructor(
    readonly key: string,
    readonly family: Family,
    readonly source: Addr,
    readonly group: Addr,
    /** Inbound interface name. */
    public iif: string,
    /** Learned from a template on an upcall (so it may expire), not configured. */
    public learned: boolean,
    /** Monotonic milliseconds of the last time the count was seen moving. */
    public lastActive: number,
  ) {}

  get installed(): boolean {
    return this.parent >= 0;
  }
}

export class MfcTable {
  private readonly entries = new Map<string, MfcEntry>();
  /**
   * Entries by family and inbound interface: made the first time it is asked
   * for with entries present, kept up to date from then on. A table of
   * configured (S,G)s alone never needs it (their rules find them).
   */
  private byIif?: Map<Family, Map<string, Set<MfcEntry>>>;

  get size(): number {
    return this.entries.size;
  }

  get(key: string): MfcEntry | undefined {
    return this.entries.get(key);
  }

  values(): IterableIterator<MfcEntry> {
    return this.entries.values();
  }

  /**
   * The entry for (S,G) (whose sgKey is `key`), arriving on `iif` from now
   * on: `existing` as get(key) returned it, or made (as learned, with `now`
   * as its last activity) when there is none.
   */
  upsert(existing: MfcEntry | undefined, key: string, source: Addr, group: Addr, iif: string, now: number): MfcEntry {
    if (!existing) {
      const made = new MfcEntry(key, source.family, source, group, iif, true, now);
      this.entries.set(key, made);
      this.indexIif(made);
      return made;
    }
    if (existing.iif !== iif) {
      this.unindexIif(existing);
      existing.iif = iif;
      this.indexIif(existing);
    }
    return existing;
  }

  delete(key: string): MfcEntry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    this.unindexIif(e);
    return e;
  }

  /** Entries arriving on `iif` (a snapshot, safe to change the table after). */
  onIif(family: Family, iif: string): MfcEntry[] {
    if (!this.byIif) {
      if (this.entries.size === 0) return [];
      this.byIif = new Map();
      for (const e of this.entries.values()) this.indexIif(e);
    }
    const set = this.byIif.get(family)?.get(iif);
    return set ? [...set] : [];
  }

  private indexIif(e: MfcEntry): void {
    if (!this.byIif) return;
    let byName = this.byIif.get(e.family);
    if (!byName) this.byIif.set(e.family, (byName = new Map<string, Set<MfcEntry>>()));
    let set = byName.get(e.iif);
    if (!set) byName.set(e.iif, (set = new Set()));
    set.add(e);
  }

  private unindexIif(e: MfcEntry): void {
    const byName = this.byIif?.get(e.family);
    const set = byName?.get(e.iif);
    if (!byName || !set) return;
    set.delete(e);
    if (set.size === 0) byName.delete(e.iif);
  }
}
