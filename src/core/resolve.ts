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
import { internOifs, makeRule, ruleKey, type Rule } from './rule.js';

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
  readonly oifsMissing: readonly string[];
  readonly problems: readonly Problem[];
  /** Why the first inbound interface that cannot be used cannot (also among `problems`). */
  readonly iifRefused?: string;
}

/** One interface, if a route or join may use it; else why not. */
function usable(l: LinkInfo, settings: ReadonlyMap<string, IfaceSettings>): Result<LinkInfo> {
  if (!l.multicast) return fail(`${l.name} is not multicast capable`);
  if (settingsOf(settings, l.name).disabled) return fail(`${l.name} is disabled by phyint`);
  return ok(l);
}

/** What one outbound list comes to against one set of interfaces and phyint settings. */
interface Outbound {
  readonly usable: readonly LinkInfo[];
  readonly missing: readonly string[];
  /** Why some matching interfaces cannot be used, as messages. */
  readonly refused: readonly string[];
  /** The outbound set of a rule on each inbound interface ("*" marks a wildcard route), shared. */
  readonly sets: Map<string, ReadonlySet<string>>;
}

const NO_PROBLEMS: readonly Problem[] = [];

/**
 * Outbound lists resolved, per interface list and settings map. Tens of thousands of routes
 * name the same few lists (the .conf reader hands them one array per distinct list), and
 * resolving each route's list anew was a fifth of a large start-up's garbage. A settings map
 * is filled by its phyint lines before any route is resolved against it, then only read: a
 * new configuration or new interfaces come with new objects, so nothing here goes stale. Weak
 * all the way down: the list of an `add` that was since removed goes with it.
 */
const outboundCache = new WeakMap<Links, WeakMap<ReadonlyMap<string, IfaceSettings>, WeakMap<readonly string[], Outbound>>>();

function outbound(oifs: readonly string[], links: Links, settings: ReadonlyMap<string, IfaceSettings>): Outbound {
  let bySettings = outboundCache.get(links);
  if (!bySettings)
    outboundCache.set(
      links,
      (bySettings = new WeakMap<ReadonlyMap<string, IfaceSettings>, WeakMap<readonly string[], Outbound>>()),
    );
  let byList = bySettings.get(settings);
  if (!byList) bySettings.set(settings, (byList = new WeakMap<readonly string[], Outbound>()));
  const known = byList.get(oifs);
  if (known) return known;
  const found: LinkInfo[] = [];
  const missing: string[] = [];
  const refused: string[] = [];
  for (const pattern of oifs) {
    const matched = links.resolve(pattern);
    if (matched.length === 0) missing.push(pattern);
    for (const l of matched) {
      const use = usable(l, settings);
      if (use.ok) found.push(l);
      else refused.push(`outbound ${use.error}`);
    }
  }
  const made: Outbound = { usable: found, missing, refused, sets: new Map() };
  byList.set(oifs, made);
  return made;
}

/** The outbound set of a rule on `iif`: a wildcard that also matches the inbound interface must not send traffic back. */
function outboundSet(out: Outbound, iif: string, wildcard: boolean): ReadonlySet<string> {
  const key = wildcard ? `${iif}*` : iif;
  let set = out.sets.get(key);
  if (!set) {
    const names = out.usable.filter((o) => !(wildcard && o.name === iif)).map((o) => o.name);
    set = internOifs(names);
    out.sets.set(key, set);
  }
  return set;
}

export function resolveRoute(r: RouteIntent, links: Links, settings: ReadonlyMap<string, IfaceSettings>): ResolvedRoute {
  const iifs = links.resolve(r.iif);
  if (iifs.length === 0) return { rules: [], iifMissing: true, oifsMissing: [], problems: NO_PROBLEMS };
  const out = outbound(r.oifs, links, settings);
  let problems: Problem[] | undefined;
  for (let i = 0; i < out.refused.length; i++) (problems ??= []).push({ origin: r.origin, message: out.refused[i] ?? '' });
  const wildcard = isWildcard(r.iif) || r.oifs.some(isWildcard);
  // Index loops: this runs for every configured route, and an iterator per loop is garbage. A
  // route names one inbound interface, nearly always: its one rule goes in an array of one.
  let rules: Rule[] | undefined;
  let iifRefused: string | undefined;
  for (let i = 0; i < iifs.length; i++) {
    const iif = iifs[i];
    if (!iif) continue;
    const use = usable(iif, settings);
    if (!use.ok) {
      iifRefused ??= `inbound ${use.error}`;
      (problems ??= []).push({ origin: r.origin, message: iifRefused });
      continue;
    }
    const rule = makeRule(iif.name, r.source ?? null, r.group, outboundSet(out, iif.name, wildcard));
    if (rules) rules.push(rule);
    else rules = [rule];
  }
  const res = { rules: rules ?? [], iifMissing: false, oifsMissing: out.missing, problems: problems ?? NO_PROBLEMS };
  return iifRefused === undefined ? res : { ...res, iifRefused };
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
