// The interfaces present right now, and how an interface pattern from the
// configuration ("eth0", "eth+", "eth0:1") resolves to them. Pure.

import type { LinkInfo } from '../kernel/types.js';
import { foldAlias, isWildcard, matchIfname } from '../model/ifname.js';

const NONE: readonly LinkInfo[] = [];

export class Links {
  /** Each interface as the one-element answer to its own name, made once: every route resolves its names. */
  private readonly alone = new Map<string, readonly [LinkInfo]>();
  readonly list: readonly LinkInfo[];

  constructor(links: readonly LinkInfo[]) {
    this.list = [...links].sort((a, b) => a.index - b.index);
    for (const l of this.list) this.alone.set(l.name, [l]);
  }

  byName(name: string): LinkInfo | undefined {
    return this.alone.get(name)?.[0];
  }

  /** Existing interfaces a pattern names, in ifindex order. */
  resolve(pattern: string): readonly LinkInfo[] {
    if (!isWildcard(pattern)) return this.alone.get(foldAlias(pattern)) ?? NONE;
    return this.list.filter((l) => matchIfname(pattern, l.name));
  }

  /** Same names, indexes and multicast capability: nothing to re-resolve. */
  sameAs(other: Links): boolean {
    if (other.list.length !== this.list.length) return false;
    return this.list.every((l, i) => {
      const o = other.list[i];
      return o !== undefined && l.name === o.name && l.index === o.index && l.multicast === o.multicast;
    });
  }

  /** Width of the widest interface name, for show's IIF column. */
  maxNameLength(): number {
    let w = 0;
    for (const l of this.list) w = Math.max(w, l.name.length);
    return w;
  }
}
