// What it takes to bring the VIF/MIF tables to what is needed: which slots
// go, which get a new threshold, which interfaces get one and at which number.
// Pure: the daemon's Vifs carries the steps out, a reload dry run lists them.

import type { Family } from '../model/addr.js';
import { MAX_VIFS } from '../model/limits.js';
import type { Links } from './links.js';
import { settingsOf, type IfaceSettings } from './resolve.js';
import type { VifSlot, VifTable } from './vif-table.js';

export type VifStep =
  /** The slot is not wanted any more, or its interface changed; `linkExists` says whether the kernel still has the link. */
  | { readonly op: 'release'; readonly family: Family; readonly slot: VifSlot; readonly linkExists: boolean }
  /** Same interface, new TTL threshold: the same number is made again. */
  | { readonly op: 'threshold'; readonly family: Family; readonly slot: VifSlot; readonly threshold: number }
  /** A VIF/MIF to make; `vif` is the number it will get, undefined when all MAX_VIFS are taken. */
  | {
      readonly op: 'make';
      readonly family: Family;
      readonly name: string;
      readonly ifindex: number;
      readonly threshold: number;
      readonly vif: number | undefined;
    };

/**
 * Releases (and re-thresholds) come first, then makes, in `ensure`'s order;
 * `ensure` is every needed name after a reload, only a command's own after a
 * command. Numbers are the lowest free ones once the releases are done.
 */
export function planVifs(
  tables: Readonly<Record<Family, VifTable>>,
  families: Iterable<Family>,
  needs: ReadonlySet<string>,
  ensure: Iterable<string>,
  settings: ReadonlyMap<string, IfaceSettings>,
  links: Links,
): VifStep[] {
  const steps: VifStep[] = [];
  const open = [...families];
  const released: Record<Family, Set<string>> = { inet: new Set(), inet6: new Set() };
  /** The numbers the kept slots hold: what is left for the makes below. */
  const taken: Record<Family, boolean[]> = { inet: [], inet6: [] };
  for (const family of open) {
    for (const slot of tables[family].values()) {
      const link = links.byName(slot.name);
      const want = needs.has(slot.name) && link !== undefined && link.multicast;
      if (want && link.index === slot.ifindex) {
        taken[family][slot.vif] = true;
        const threshold = settingsOf(settings, slot.name).threshold;
        if (threshold !== slot.threshold) steps.push({ op: 'threshold', family, slot, threshold });
        continue;
      }
      released[family].add(slot.name);
      steps.push({ op: 'release', family, slot, linkExists: link !== undefined });
    }
  }
  const seen = new Set<string>();
  for (const name of ensure) {
    if (seen.has(name)) continue;
    seen.add(name);
    const link = links.byName(name);
    if (!link || !link.multicast || !needs.has(name)) continue;
    const threshold = settingsOf(settings, name).threshold;
    for (const family of open) {
      if (tables[family].get(name) && !released[family].has(name)) continue;
      const vif = lowestFree(taken[family]);
      if (vif !== undefined) taken[family][vif] = true;
      steps.push({ op: 'make', family, name, ifindex: link.index, threshold, vif });
    }
  }
  return steps;
}

function lowestFree(taken: boolean[]): number | undefined {
  for (let i = 0; i < MAX_VIFS; i++) if (taken[i] !== true) return i;
  return undefined;
}
