// The kernel's multicast state as seen from inside one lab namespace: MFC, VIFs/MIFs, memberships.
// Reads only (cat /proc/net/..., ip mroute show); parsing lives in procnet.ts.
import type { Family } from '../../src/model/addr.js';
import type { Lab } from './netns.js';
import {
  parseIgmp,
  parseIgmp6,
  parseIp6MrCache,
  parseIp6MrVif,
  parseIpMrCache,
  parseIpMrouteJson,
  parseIpMrVif,
  parseMcfilter,
  parseMcfilter6,
  type MembershipRow,
  type MfcRow,
  type MrouteRow,
  type SourceFilterRow,
  type VifRow,
} from './procnet.js';

/** An MFC entry with VIF/MIF numbers turned into interface names. */
export interface NamedMfc {
  source: string;
  group: string;
  /** Undefined while unresolved. */
  iif?: string;
  oifs: string[];
  packets: number;
  bytes: number;
  wrongIf: number;
}

export class KernelView {
  constructor(
    private readonly lab: Lab,
    readonly ns: string,
  ) {}

  /** /proc/net/NAME inside the namespace. */
  read(name: string): string {
    return this.lab.exec(this.ns, 'cat', [`/proc/net/${name}`]).stdout;
  }

  /** The default table's MFC (the /proc files show no other table; use mroutes() for those). */
  mfc(family: Family): MfcRow[] {
    return family === 'inet' ? parseIpMrCache(this.read('ip_mr_cache')) : parseIp6MrCache(this.read('ip6_mr_cache'));
  }

  vifs(family: Family): VifRow[] {
    return family === 'inet' ? parseIpMrVif(this.read('ip_mr_vif')) : parseIp6MrVif(this.read('ip6_mr_vif'));
  }

  memberships(family: Family): MembershipRow[] {
    return family === 'inet' ? parseIgmp(this.read('igmp')) : parseIgmp6(this.read('igmp6'));
  }

  /** Incomplete by a kernel quirk (see parseMcfilter): fine to find entries, not to prove their absence. */
  sourceFilters(family: Family): SourceFilterRow[] {
    return family === 'inet' ? parseMcfilter(this.read('mcfilter')) : parseMcfilter6(this.read('mcfilter6'));
  }

  /**
   * `ip mroute show [table N]`; an empty list when the table does not exist. Without a table this
   * is the default one, which is table 253 ("default") for IPv4 but 254 ("main") for IPv6.
   */
  mroutes(family: Family, table?: number): MrouteRow[] {
    const args = ['-json', ...(family === 'inet6' ? ['-6'] : []), 'mroute', 'show'];
    if (table !== undefined) args.push('table', String(table));
    const r = this.lab.exec(this.ns, 'ip', args, { check: false });
    if (r.status !== 0) {
      if (/table does not exist/i.test(r.stderr)) return [];
      throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
    }
    return parseIpMrouteJson(r.stdout);
  }

  /** The default table's MFC with interface names, for assertions that read like the config. */
  routes(family: Family): NamedMfc[] {
    const names = new Map(this.vifs(family).map((v) => [v.vif, v.name]));
    const name = (vif: number): string => names.get(vif) ?? `vif${vif}`;
    return this.mfc(family).map((m) => ({
      source: m.source,
      group: m.group,
      iif: m.resolved ? name(m.iif) : undefined,
      oifs: m.oifs.map((o) => name(o.vif)),
      packets: m.packets,
      bytes: m.bytes,
      wrongIf: m.wrongIf,
    }));
  }
}
