// From intents and the interfaces present to the state the kernel should
// be in: resolved rules, individual joins, interfaces needing a VIF/MIF,
// and what must wait for an interface. Pure; the router applies the result.

import { addrKey, expand, type Addr, type Family, type Prefix } from '../model/addr.js';
import type { LinkInfo } from '../kernel/types.js';
import type { PendingView } from '../show/types.js';
import { DEFAULT_THRESHOLD, MAX_JOIN_BITS } from '../model/limits.js';
import { type ConfIntents, type JoinIntent, type Origin, type PhyintIntent, type RouteIntent } from './intents.js';
import { isWildcard } from '../iface/match.js';
import type { Links } from './links.js';
import { makeRule, ruleKey, withMoreOifs, type Rule } from './rule.js';
import { JoinSet } from './join-set.js';
import { RuleTable } from './rule-table.js';

export interface IfaceSettings {
  readonly threshold: number;
  /** Explicit `phyint X disable`: no VIF/MIF, routes through it refused. */
  readonly disabled: boolean;
}

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

export interface Problem {
  readonly origin: Origin;
  readonly message: string;
}

export interface Desired {
  readonly rules: RuleTable;
  /** Kernel joins, counted by how many entries want each (ranges may overlap). */
  readonly joins: JoinSet;
  readonly groups: Map<string, GroupEntry>;
  readonly settings: Map<string, IfaceSettings>;
  /** Interfaces that need a VIF and a MIF, by name. */
  readonly vifNeeds: Set<string>;
  readonly pending: PendingView[];
  readonly problems: Problem[];
}


export function emptyDesired(): Desired {
  return {
    rules: new RuleTable(),
    joins: new JoinSet(),
    groups: new Map(),
    settings: new Map(),
    vifNeeds: new Set(),
    pending: [],
    problems: [],
  };
}

export function buildDesired(intents: ConfIntents, links: Links): Desired {
  const d = emptyDesired();
  applyPhyints(d, intents.phyints, links);
  for (const r of intents.routes) {
    const res = resolveRoute(r, links, d.settings);
    recordRoute(d, r, res);
  }
  for (const j of intents.joins) {
    const res = resolveJoin(j, links, d.settings);
    recordJoin(d, j, res);
  }
  return d;
}

function applyPhyints(d: Desired, phyints: readonly PhyintIntent[], links: Links): void {
  for (const p of phyints) {
    const matched = links.resolve(p.ifname);
    if (matched.length === 0) {
      d.problems.push({ origin: p.origin, message: `phyint ${p.ifname} does not exist (yet?) on this system` });
      continue;
    }
    if (p.mrdisc) {
      d.problems.push({ origin: p.origin, message: `phyint ${p.ifname}: mrdisc (multicast router discovery) is not supported yet, ignored` });
    }
    // A bare `phyint X` enables X, as upstream does without -N (and -N is a no-op in 2.6).
    const enable = p.enable ?? true;
    for (const l of matched) {
      d.settings.set(l.name, { threshold: p.threshold, disabled: !enable });
      if (enable && l.multicast) d.vifNeeds.add(l.name);
      else d.vifNeeds.delete(l.name);
    }
  }
}

export function settingsOf(settings: ReadonlyMap<string, IfaceSettings>, name: string): IfaceSettings {
  return settings.get(name) ?? { threshold: DEFAULT_THRESHOLD, disabled: false };
}

export interface ResolvedRoute {
  readonly rules: Rule[];
  /** The inbound pattern matched no interface at all: the whole route waits. */
  readonly iifMissing: boolean;
  /** Outbound names that do not exist yet: the route waits for them too. */
  readonly oifsMissing: string[];
  readonly problems: Problem[];
}

/** Checks one interface for use in a route or join; a message when unusable. */
function unusable(l: LinkInfo, settings: ReadonlyMap<string, IfaceSettings>): string | undefined {
  if (!l.multicast) return `${l.name} is not multicast capable`;
  if (settingsOf(settings, l.name).disabled) return `${l.name} is disabled by phyint`;
  return undefined;
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
      const why = unusable(l, settings);
      if (why) problems.push({ origin: r.origin, message: `outbound ${why}` });
      else oifLinks.push(l);
    }
  }
  const rules: Rule[] = [];
  for (const iif of iifs) {
    const why = unusable(iif, settings);
    if (why) {
      problems.push({ origin: r.origin, message: `inbound ${why}` });
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

export function routePending(r: RouteIntent, res: ResolvedRoute): PendingView | undefined {
  if (!res.iifMissing && res.oifsMissing.length === 0) return undefined;
  return { kind: 'mroute', iif: r.iif, source: r.text.source, group: r.text.group, oifs: [...r.oifs] };
}

/** Adds a resolved route to `d`; equal rules (same file, or file and IPC) merge their outbound sets. */
export function recordRoute(d: Desired, r: RouteIntent, res: ResolvedRoute): void {
  d.problems.push(...res.problems);
  const pending = routePending(r, res);
  if (pending) d.pending.push(pending);
  for (const rule of res.rules) {
    const old = d.rules.get(rule.key);
    d.rules.set(old ? withMoreOifs(old, rule.oifs) : rule);
    d.vifNeeds.add(rule.iif);
    for (const o of rule.oifs) d.vifNeeds.add(o);
  }
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
  const count = (1n << BigInt(widthOf(j.group) - j.group.len)) * (source ? 1n << BigInt(widthOf(source) - source.len) : 1n);
  if (count > 1n << BigInt(MAX_JOIN_BITS)) {
    problems.push({ origin: j.origin, message: `join of ${count} (S,G) pairs refused, at most ${2 ** MAX_JOIN_BITS} per line` });
    return { entry, joins: [], iifMissing: false, problems };
  }
  const joins: JoinSpec[] = [];
  for (const l of iifs) {
    const why = unusable(l, settings);
    if (why) {
      problems.push({ origin: j.origin, message: `join: ${why}` });
      continue;
    }
    const sources: (Addr | undefined)[] = source ? [...expand(source)] : [undefined];
    for (const s of sources) {
      for (const g of expand(j.group)) {
        joins.push({
          key: joinKey(l.name, g, s), ifname: l.name, ifindex: l.index, family: g.family, group: g, source: s,
          shownLens: { source: source?.len ?? widthOf(j.group), group: j.group.len },
        });
      }
    }
  }
  return { entry, joins, iifMissing: false, problems };
}

function widthOf(p: Prefix): number {
  return p.addr.family === 'inet' ? 32 : 128;
}

export function recordJoin(d: Desired, j: JoinIntent, res: ResolvedJoin): void {
  d.problems.push(...res.problems);
  if (res.iifMissing) {
    d.pending.push({ kind: 'mgroup', iif: j.iif, source: j.text.source, group: j.text.group, oifs: [] });
    return;
  }
  if (res.joins.length === 0) return;
  if (d.groups.has(res.entry.key)) {
    d.problems.push({ origin: j.origin, message: `already joined ${j.text.source ?? '*'},${j.text.group} on ${j.iif}` });
    return;
  }
  d.groups.set(res.entry.key, res.entry);
  d.joins.acquire(res.joins);
  for (const js of res.joins) d.vifNeeds.add(js.ifname);
}
