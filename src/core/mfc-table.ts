// The daemon's copy of the kernel multicast forwarding cache: one entry per
// (S,G), indexed by inbound interface so a changed rule finds the flows it
// covers without scanning the table. Pure bookkeeping.

import { addrKey, type Addr, type Family } from '../model/addr.js';

export interface MfcEntry {
  readonly key: string;
  readonly family: Family;
  readonly source: Addr;
  readonly group: Addr;
  /** Inbound interface name. */
  iif: string;
  /** Learned from a template on an upcall (so it may expire), not configured. */
  learned: boolean;
  /** What the kernel holds for this (S,G), once installed. */
  installed?: { parent: number; ttls: Uint8Array };
  /** Packet count (minus wrong-interface hits) seen at the last expiry check. */
  lastValid: bigint;
  /** Monotonic milliseconds of the last time the count was seen moving. */
  lastActive: number;
}

export function sgKey(source: Addr, group: Addr): string {
  return `${addrKey(source)}|${addrKey(group)}`;
}

export class MfcTable {
  private readonly entries = new Map<string, MfcEntry>();
  private readonly byIif = new Map<string, Set<string>>();

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
   * The entry for (S,G), made if missing (as learned, with `now` as its last
   * activity), arriving on `iif` from now on.
   */
  upsert(source: Addr, group: Addr, iif: string, now: number): MfcEntry {
    const key = sgKey(source, group);
    const e = this.entries.get(key);
    if (!e) {
      const made: MfcEntry = { key, family: source.family, source, group, iif, learned: true, lastValid: 0n, lastActive: now };
      this.entries.set(key, made);
      this.indexIif(made);
      return made;
    }
    if (e.iif !== iif) {
      this.unindexIif(e);
      e.iif = iif;
      this.indexIif(e);
    }
    return e;
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
    const out: MfcEntry[] = [];
    for (const k of this.byIif.get(`${family}|${iif}`) ?? []) {
      const e = this.entries.get(k);
      if (e) out.push(e);
    }
    return out;
  }

  private indexIif(e: MfcEntry): void {
    const k = `${e.family}|${e.iif}`;
    let set = this.byIif.get(k);
    if (!set) this.byIif.set(k, (set = new Set()));
    set.add(e.key);
  }

  private unindexIif(e: MfcEntry): void {
    const k = `${e.family}|${e.iif}`;
    const set = this.byIif.get(k);
    set?.delete(e.key);
    if (set && set.size === 0) this.byIif.delete(k);
  }
}
