// How a route or join names interfaces, resolved against the interfaces
// present now: rules per inbound interface, kernel joins per address, and
// what is missing or unusable. Pure; no state of its own.

import { addrKey, expand, maxLen, type Addr, type Family, type Prefix } from '../model/addr.js';
import type { LinkInfo } from '../kernel/types.js';
import { DEFAULT_THRESHOLD } from '../model/limits.js';
import type { JoinIntent, Origin, RouteIntent } from '../model/intents.js';
import { isWildcard } from '../model/ifname.js';
import { fail, ok, type Result } from '../result.js';
import type { Links } from './links.js';
import { makeRule, ruleKey, type Rule } from './rule.js';

export interface IfaceSettings {
  readonly threshold: number;
  /** Explicit `phyint X disable`: no VIF/MIF, routes through it refused. */
  readonly disabled: boolean;
  /** `phyint X ... mrdisc`: advertise as a multicast router (RFC 4286) unless disabled. */
  readonly mrdisc: boolean;
}

/** One kernel membership: an (S,G) or (*,G) on one interface. */
export interface JoinSpec {
  readonly key: string;
  readonly ifname: string;
  readonly ifindex: number;
  readonly family: Family;
  readonly group: Addr;
  readonly source?: Addr;
  /**
   * Prefix lengths of the configured entry this join came from: upstream's
   * kernel membership list prints every address with its range's length.
   */
  readonly shownLens: { readonly source: number; readonly group: number };
}

/** A join as configured (a /LEN range stays one entry), for show and leave. */
export interface GroupEntry {
  readonly key: string;
  readonly iif: string;
  readonly source: Prefix | null;
  readonly group: Prefix;
}

/** A route or join that waits for an interface to appear, as the operator wrote it. */
export interface Pending {
  readonly kind: 'mroute' | 'mgroup';
  readonly iif: string;
  readonly source?: string;
  readonly group: string;
  readonly oifs: readonly string[];
}

export interface Problem {
  readonly origin: Origin;
  readonly message: string;
}

export function settingsOf(settings: ReadonlyMap<string, IfaceSettings>, name: string): IfaceSettings {
  return settings.get(name) ?? { threshold: DEFAULT_THRESHOLD, disabled: false, mrdisc: false };
}

export interface ResolvedRoute {
  readonly rules: Rule[];
  /** The inbound pattern matched no interface at all: the whole route waits. */
  readonly iifMissing: boolean;
  /** Outbound names that do not exist yet: the route waits for them too. */
  readonly oifsMissing: string[];
  readonly problems: Problem[];
}

/** One interface, if a route or join may use it; else why not. */
function usable(l: LinkInfo, settings: ReadonlyMap<string, IfaceSettings>): Result<LinkInfo> {
  if (!l.multicast) return fail(`${l.name} is not multicast capable`);
  if (settingsOf(settings, l.name).disabled) return fail(`${l.name} is disabled by phyint`);
  return ok(l);
}

export function resolveRoute(r: RouteIntent, links: Links, settings: ReadonlyMap<string, IfaceSettings>): ResolvedRoute {
  const problems: Problem[] = [];
  const iifs = links.resolve(r.iif);
  if (iifs.length === 0) return { rules: [], iifMissing: true, oifsMissing: [], problems };
  const oifsMissing: string[] = [];
  const oifLinks: LinkInfo[] = [];
  for (const pattern of r.oifs) {
    const found = links.resolve(pattern);
    if (found.length === 0) oifsMissing.push(pattern);
    for (const l of found) {
      const use = usable(l, settings);
      if (use.ok) oifLinks.push(l);
      else problems.push({ origin: r.origin, message: `outbound ${use.error}` });
    }
  }
  const rules: Rule[] = [];
  for (const iif of iifs) {
    const use = usable(iif, settings);
    if (!use.ok) {
      problems.push({ origin: r.origin, message: `inbound ${use.error}` });
      continue;
    }
    const oifs = new Set<string>();
    for (const o of oifLinks) {
      // A wildcard that also matches the inbound interface must not send
      // traffic back where it came from.
      if (o.name === iif.name && (isWildcard(r.iif) || r.oifs.some(isWildcard))) continue;
      oifs.add(o.name);
    }
    rules.push(makeRule(iif.name, r.source ?? null, r.group, oifs));
  }
  return { rules, iifMissing: false, oifsMissing, problems };
}

export function routePending(r: RouteIntent, res: ResolvedRoute): Pending | undefined {
  if (!res.iifMissing && res.oifsMissing.length === 0) return undefined;
  return { kind: 'mroute', iif: r.iif, source: r.text.source, group: r.text.group, oifs: [...r.oifs] };
}

export interface ResolvedJoin {
  readonly entry: GroupEntry;
  readonly joins: JoinSpec[];
  readonly iifMissing: boolean;
  readonly problems: Problem[];
}

export function joinKey(ifname: string, group: Addr, source?: Addr): string {
  return `${ifname}|${source ? addrKey(source) : '*'}|${addrKey(group)}`;
}

export function resolveJoin(j: JoinIntent, links: Links, settings: ReadonlyMap<string, IfaceSettings>): ResolvedJoin {
  const source = j.source ?? null;
  const entry: GroupEntry = { key: ruleKey(j.iif, source, j.group), iif: j.iif, source, group: j.group };
  const problems: Problem[] = [];
  const iifs = links.resolve(j.iif);
  if (iifs.length === 0) return { entry, joins: [], iifMissing: true, problems };
  const joins: JoinSpec[] = [];
  for (const l of iifs) {
    const use = usable(l, settings);
    if (!use.ok) {
      problems.push({ origin: j.origin, message: `join: ${use.error}` });
      continue;
    }
    const sources: (Addr | undefined)[] = source ? [...expand(source)] : [undefined];
    for (const s of sources) {
      for (const g of expand(j.group)) {
        joins.push({
          key: joinKey(l.name, g, s),
          ifname: l.name,
          ifindex: l.index,
          family: g.family,
          group: g,
          source: s,
          shownLens: { source: source?.len ?? maxLen(j.group.addr.family), group: j.group.len },
        });
      }
    }
  }
  return { entry, joins, iifMissing: false, problems };
}

export function joinPending(j: JoinIntent): Pending {
  return { kind: 'mgroup', iif: j.iif, source: j.text.source, group: j.text.group, oifs: [] };
}
