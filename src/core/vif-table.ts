// Which interface holds which VIF (IPv4) or MIF (IPv6) index: lowest free
// index first, at most MAX_VIFS. Pure bookkeeping; the router makes the calls.

import { MAX_VIFS } from '../model/limits.js';

export interface VifSlot {
  readonly vif: number;
  readonly name: string;
  readonly ifindex: number;
  readonly threshold: number;
}

export class VifTable {
  private readonly slots: (VifSlot | undefined)[] = new Array<VifSlot | undefined>(MAX_VIFS).fill(undefined);
  private readonly byName = new Map<string, VifSlot>();

  get(name: string): VifSlot | undefined {
    return this.byName.get(name);
  }

  at(vif: number): VifSlot | undefined {
    return this.slots[vif];
  }

  /** The interfaces a kernel TTL vector sends to (a TTL set and a VIF there), in VIF order. */
  namesOf(ttls: Uint8Array): string[] {
    const names: string[] = [];
    for (let vif = 0; vif < ttls.length; vif++) {
      const slot = (ttls[vif] ?? 0) > 0 ? this.slots[vif] : undefined;
      if (slot) names.push(slot.name);
    }
    return names;
  }

  /**
   * Sets in `ttls` what traffic out of `oifs` needs at each one's VIF: its TTL threshold, at least 1.
   * Interfaces without a VIF get nothing. What the router installs, and what explain predicts.
   */
  addTtls(oifs: Iterable<string>, ttls: Uint8Array): void {
    for (const o of oifs) {
      const slot = this.byName.get(o);
      if (slot) ttls[slot.vif] = Math.max(1, slot.threshold);
    }
  }

  /** Lowest free index, or undefined when all MAX_VIFS are taken. */
  freeIndex(): number | undefined {
    const i = this.slots.indexOf(undefined);
    return i < 0 ? undefined : i;
  }

  put(slot: VifSlot): void {
    this.slots[slot.vif] = slot;
    this.byName.set(slot.name, slot);
  }

  remove(name: string): VifSlot | undefined {
    const slot = this.byName.get(name);
    if (!slot) return undefined;
    this.byName.delete(name);
    this.slots[slot.vif] = undefined;
    return slot;
  }

  values(): VifSlot[] {
    return this.slots.filter((s): s is VifSlot => s !== undefined);
  }
}
