// `smcroutectl explain`: what the router does with one flow, and why, worked out from the daemon's
// state and a few facts the caller read from the OS. Pure: reads nothing itself, changes nothing.

import { contains, formatAddr, formatPrefix, parsePrefix, vifWord, type Addr, type Family } from '../model/addr.js';
import { matchIfname } from '../model/ifname.js';
import { DEFAULT_THRESHOLD, MAX_VIFS } from '../model/limits.js';
import { exactCounter } from '../model/json.js';
import { fail, ok, type Result } from '../result.js';
import type { RpFilter } from '../kernel/types.js';
import type { Links } from './links.js';
import type { MfcTable } from './mfc-table.js';
import { settingsOf, type IfaceSettings, type Pending } from './resolve.js';
import { sgKey, type Rule } from './rule.js';
import type { RuleTable } from './rule-table.js';
import type { VifTable } from './vif-table.js';

export type Verdict = 'forwarded' | 'stopped' | 'not-seen' | 'pending';

export type ReasonCode =
  'no-rule' | 'wrong-iif' | 'rp-filter' | 'pending' | 'no-vif' | 'iif-down' | 'no-multicast-flag' | 'ttl-threshold' | 'ttl';

export interface Reason {
  readonly code: ReasonCode;
  readonly text: string;
}

/** The JSON `explain -j` prints, key for key. */
export interface Explanation {
  readonly flow: { readonly iif: string; readonly source: string; readonly group: string };
  readonly verdict: Verdict;
  /** Where the flow goes (the kernel's entry), or would go (the rule), in VIF order. */
  readonly oifs: readonly string[];
  readonly rule: {
    readonly iif: string;
    readonly source: string | null;
    readonly group: string;
    readonly oifs: readonly string[];
  } | null;
  readonly kernel: {
    readonly iif: string;
    readonly oifs: readonly string[];
    readonly learned: boolean;
    /** Exact in JSON: see exactCounter. */
    readonly packets: number | string;
    readonly bytes: number | string;
    readonly wrongIf: number | string;
  } | null;
  readonly reasons: readonly Reason[];
}

/** The parts of the daemon's state explain reads. */
export interface ExplainState {
  readonly rules: RuleTable;
  readonly mfc: MfcTable;
  readonly vifs: Readonly<Record<Family, VifTable>>;
  readonly links: Links;
  readonly settings: ReadonlyMap<string, IfaceSettings>;
  readonly pending: readonly Pending[];
}

/** How the inbound interface was found. */
export type IifSource = 'given' | 'kernel' | 'rule' | 'pending';

/** What the OS said; each part absent when it was not asked or could not tell. */
export interface OsFacts {
  readonly rpFilter?: RpFilter;
  /** The interface the route back to the source leaves through, or that there is none. */
  readonly routeBack?: { readonly via: string } | 'unreachable';
  /** The TTL of a live packet, 'none' when none came within the wait, absent when not sampled. */
  readonly sample?: number | 'none';
  /** How long the sample waited, in ms, for the text. */
  readonly sampleMs?: number;
  readonly counters?: { readonly packets: bigint; readonly bytes: bigint; readonly wrongIf: bigint };
}

/** Rules covering (S,G) from any inbound interface, by interface: the rule table's index, per link. */
function rulesFor(st: ExplainState, source: Addr, group: Addr): Rule[] {
  return st.links.list.flatMap((l) => st.rules.match(source.family, l.name, source, group));
}

/** A pending route that would cover the flow once its interfaces exist. */
function pendingCovers(p: Pending, iif: string | undefined, source: Addr, group: Addr): boolean {
  if (p.kind !== 'mroute') return false;
  if (iif !== undefined && !matchIfname(p.iif, iif)) return false;
  const g = parsePrefix(p.group);
  if (!g.ok || g.value.addr.family !== group.family || !contains(g.value, group)) return false;
  if (p.source === undefined) return true;
  const s = parsePrefix(p.source);
  return s.ok && s.value.addr.family === source.family && contains(s.value, source);
}

/**
 * The inbound interface to explain the flow on: the one given, else the
 * kernel entry's, else that of the only rule (or pending rule) covering it.
 */
export function chooseIif(
  st: ExplainState,
  given: string | undefined,
  source: Addr,
  group: Addr,
): Result<{ iif: string; from: IifSource }> {
  if (given !== undefined) return ok({ iif: given, from: 'given' });
  const entry = st.mfc.get(sgKey(source, group));
  if (entry?.installed) return ok({ iif: entry.iif, from: 'kernel' });
  const flow = `${formatAddr(source)} ${formatAddr(group)}`;
  const iifs = [...new Set(rulesFor(st, source, group).map((r) => r.iif))];
  const [only] = iifs;
  if (iifs.length === 1 && only !== undefined) return ok({ iif: only, from: 'rule' });
  if (iifs.length > 1)
    return fail(`explain: rules on ${iifs.join(', ')} cover ${flow}; say which inbound interface: explain IIF ${flow}`);
  const waiting = [...new Set(st.pending.filter((p) => pendingCovers(p, undefined, source, group)).map((p) => p.iif))];
  const [pend] = waiting;
  if (waiting.length === 1 && pend !== undefined) return ok({ iif: pend, from: 'pending' });
  return fail(`explain: no rule or kernel entry names an inbound interface for ${flow}; give one: explain IIF ${flow}`);
}

/** The sysctl name of an interface's rp_filter; a name with a dot needs the slash form. */
function rpSysctl(iif: string): string {
  return iif.includes('.') ? `net/ipv4/conf/${iif}/rp_filter` : `net.ipv4.conf.${iif}.rp_filter`;
}

/** Where a TTL vector sends, in VIF order, with each interface's TTL. */
function oifsOf(table: VifTable, ttls: Uint8Array): { name: string; ttl: number }[] {
  return table.namesOf(ttls).map((name) => ({ name, ttl: ttls[table.get(name)?.vif ?? -1] ?? 0 }));
}

/** Where the router would send a flow these rules cover: the TTL vector it installs for them. */
function oifsOfRules(st: ExplainState, family: Family, rules: readonly Rule[]): { name: string; ttl: number }[] {
  const table = st.vifs[family];
  const ttls = new Uint8Array(MAX_VIFS);
  for (const r of rules) table.addTtls(r.oifs, ttls);
  return oifsOf(table, ttls);
}

/** Why an interface has no VIF/MIF, as the end of a sentence. */
function whyNoVif(st: ExplainState, family: Family, name: string): string {
  if (settingsOf(st.settings, name).disabled) return `\`phyint ${name} disable\` keeps it from getting one`;
  if (st.vifs[family].freeIndex() === undefined) return `all ${MAX_VIFS} are in use`;
  return 'no rule or phyint line asks for one';
}

export function explain(st: ExplainState, iif: string, source: Addr, group: Addr, facts: OsFacts): Explanation {
  const family = source.family;
  const v4 = family === 'inet';
  const vif = vifWord(family);
  const ttlWord = v4 ? 'TTL' : 'hop limit';
  const S = formatAddr(source);
  const G = formatAddr(group);
  const reasons: Reason[] = [];
  const say = (code: ReasonCode, text: string) => reasons.push({ code, text });

  const link = st.links.byName(iif);
  const found = st.mfc.get(sgKey(source, group));
  const entry = found?.installed ? found : undefined;
  const here = st.rules.match(family, iif, source, group);
  const [rule] = here;
  const elsewhere = rulesFor(st, source, group).filter((r) => r.iif !== iif);
  const waiting = st.pending.filter((p) => pendingCovers(p, iif, source, group));

  const entryOifs = entry && entry.iif === iif ? oifsOf(st.vifs[family], entry.ttls) : undefined;
  const oifs = entryOifs ?? oifsOfRules(st, family, here);
  const verdict: Verdict = entry
    ? entry.iif === iif && oifs.length > 0
      ? 'forwarded'
      : 'stopped'
    : waiting.length > 0
      ? 'pending'
      : 'not-seen';

  for (const p of waiting) {
    const missing = [p.iif, ...p.oifs].filter((name) => st.links.resolve(name).length === 0);
    const words = [p.iif, p.source, p.group].filter((w) => w !== undefined).join(' ');
    const what = missing.length > 0 ? `waits for ${missing.join(', ')} to appear` : 'waits for its interfaces';
    say(
      'pending',
      `The route ${words} -> ${p.oifs.join(' ')} ${what}; it is installed as soon as they exist (see: smcroutectl show pending).`,
    );
  }

  if (!link) {
    say('iif-down', `${iif} does not exist, so nothing arrives on it.`);
  } else {
    if (!link.up) say('iif-down', `${iif} is down; bring it up: ip link set ${iif} up`);
    if (!link.multicast) {
      say('no-multicast-flag', `${iif} has no MULTICAST flag, so it gets no ${vif}: ip link set ${iif} multicast on`);
    } else if (!st.vifs[family].get(iif)) {
      say('no-vif', `${iif} has no ${vif}, so the kernel routes nothing arriving on it: ${whyNoVif(st, family, iif)}.`);
    }
  }
  for (const name of rule ? rule.oifs : []) {
    if (name === iif) continue;
    const out = st.links.byName(name);
    if (out && !out.multicast)
      say('no-multicast-flag', `Outbound ${name} has no MULTICAST flag: ip link set ${name} multicast on`);
    else if (out && !st.vifs[family].get(name)) say('no-vif', `Outbound ${name} has no ${vif}: ${whyNoVif(st, family, name)}.`);
  }

  if (v4 && facts.rpFilter && facts.routeBack) {
    const { all, iface } = facts.rpFilter;
    // Linux applies the larger of conf/all and conf/IIF.
    const effective = Math.max(all, iface);
    const back = facts.routeBack;
    const values = `conf/all=${all}, conf/${iif}=${iface}`;
    if (back === 'unreachable' && effective > 0) {
      say(
        'rp-filter',
        `Reverse-path filtering is on for ${iif} (rp_filter ${effective}: ${values}) and there is no route back to ${S}, so the kernel drops these packets before routing them. Add a route to ${S} through ${iif}, or turn the filter off: sysctl -w ${rpSysctl(iif)}=0 (and net.ipv4.conf.all.rp_filter=0 if that is set)`,
      );
    } else if (back !== 'unreachable' && effective === 1 && back.via !== iif) {
      say(
        'rp-filter',
        `Strict reverse-path filtering on ${iif} (rp_filter 1: ${values}) and the route back to ${S} leaves through ${back.via}, not ${iif}, so the kernel drops these packets before routing them. Use loose mode: sysctl -w ${rpSysctl(iif)}=2 (or route ${S} through ${iif})`,
      );
    }
  }

  const moved = entry && entry.iif !== iif ? entry.iif : undefined;
  if (here.length === 0 && waiting.length === 0) {
    const stop =
      moved !== undefined
        ? `the kernel's entry for it expects ${moved}, so what arrives on ${iif} is dropped`
        : entry
          ? 'the kernel holds a stop filter for it'
          : 'the kernel gets a stop filter for it on its first packet';
    say('no-rule', `No rule covers ${S} -> ${G} arriving on ${iif}: ${stop}. Add one: smcroutectl add ${iif} ${S} ${G} OIF...`);
  }
  const others = new Set(here.length === 0 ? elsewhere.map((r) => r.iif) : []);
  if (moved !== undefined) others.add(moved);
  if (others.size > 0) {
    say(
      'wrong-iif',
      `This flow is routed when it arrives on ${[...others].join(', ')}, not on ${iif}: packets on ${iif} count as wrong-interface and are dropped. Check which interface the sender's packets really come in on (ip mroute), or add a rule for ${iif}.`,
    );
  }

  // IPv6 keeps no per-MIF threshold in its forwarding entries: the hop limit only has to exceed 1.
  const needs = oifs.map((o) => ({ name: o.name, ttl: v4 ? o.ttl : 1 }));
  for (const o of needs) {
    if (o.ttl > DEFAULT_THRESHOLD) {
      say(
        'ttl-threshold',
        `Outbound ${o.name} has TTL threshold ${o.ttl}: only packets arriving with TTL ${o.ttl + 1} or more go out there.`,
      );
    }
  }
  const sampled = facts.sample;
  if (typeof sampled === 'number') {
    if (sampled <= 1) {
      say(
        'ttl',
        `A packet of this flow arrived on ${iif} with ${ttlWord} ${sampled}: a router forwards only packets with ${ttlWord} 2 or more. Raise the sender's ${ttlWord} (e.g. IP_MULTICAST_TTL, or iperf -T, socat ip-multicast-ttl).`,
      );
    } else {
      const blocked = needs.filter((o) => sampled <= o.ttl);
      if (blocked.length > 0) {
        const list = blocked.map((o) => `${o.name} (needs ${o.ttl + 1})`).join(', ');
        say(
          'ttl',
          `A packet of this flow arrived on ${iif} with ${ttlWord} ${sampled}, too low to go out ${list}: raise the sender's ${ttlWord} or lower the threshold.`,
        );
      }
    }
  }

  const ruleJson = rule
    ? {
        iif: rule.iif,
        source: rule.source ? formatPrefix(rule.source) : null,
        group: formatPrefix(rule.group),
        oifs: oifsOfRules(st, family, [rule]).map((o) => o.name),
      }
    : null;
  const c = facts.counters;
  const kernelJson = entry
    ? {
        iif: entry.iif,
        oifs: st.vifs[family].namesOf(entry.ttls),
        learned: entry.learned,
        packets: exactCounter(c?.packets ?? 0n),
        bytes: exactCounter(c?.bytes ?? 0n),
        wrongIf: exactCounter(c?.wrongIf ?? 0n),
      }
    : null;
  return {
    flow: { iif, source: S, group: G },
    verdict,
    oifs: oifs.map((o) => o.name),
    rule: ruleJson,
    kernel: kernelJson,
    reasons,
  };
}

const VERDICT_TEXT: Readonly<Record<Verdict, string>> = {
  forwarded: 'the kernel forwards it',
  stopped: 'the kernel drops it (stop filter)',
  'not-seen': 'the kernel has no entry for it (no packet reached routing yet)',
  pending: 'its rule waits for an interface',
};

const IIF_FROM: Readonly<Record<Exclude<IifSource, 'given'>, string>> = {
  kernel: "the kernel's entry for the flow",
  rule: 'the only rule covering the flow',
  pending: 'the only pending rule covering the flow',
};

/** The text `explain` prints: the verdict on one line, then numbered steps, then what to do. */
export function formatExplanation(e: Explanation, from: IifSource, facts: OsFacts): string {
  const { iif, source, group } = e.flow;
  const to = e.verdict === 'forwarded' ? ` -> ${e.oifs.join(', ')}` : '';
  const lines = [`Verdict: ${e.verdict} -- ${source} -> ${group} on ${iif}${to}: ${VERDICT_TEXT[e.verdict]}`];
  const steps: string[] = [];
  if (from !== 'given') steps.push(`Inbound interface ${iif}, taken from ${IIF_FROM[from]} (none was given).`);
  if (e.rule) {
    const r = e.rule;
    steps.push(
      `Rule: ${r.iif} ${r.source ?? '*'} ${r.group} -> ${r.oifs.length > 0 ? r.oifs.join(' ') : '(no outbound interface with a VIF)'}`,
    );
  } else {
    steps.push(`Rule: none on ${iif}.`);
  }
  if (e.kernel) {
    const k = e.kernel;
    const outs = k.oifs.length > 0 ? k.oifs.join(' ') : '(none: stop filter)';
    steps.push(
      `Kernel entry: ${k.iif} -> ${outs}${k.learned ? ', learned from a template' : ''}; ${k.packets} packets, ${k.bytes} bytes, ${k.wrongIf} on a wrong interface.`,
    );
  } else {
    steps.push('Kernel entry: none.');
  }
  if (typeof facts.sample === 'number') steps.push(`A live packet sampled on ${iif} had TTL ${facts.sample}.`);
  else if (facts.sample === 'none')
    steps.push(`No packet of this flow arrived on ${iif} within ${(facts.sampleMs ?? 1000) / 1000} s, so no TTL was checked.`);
  else steps.push(`No packet was sampled (${iif} is not up).`);
  if (e.reasons.length === 0) steps.push('Nothing stands in the way of this flow.');
  for (const r of e.reasons) steps.push(`[${r.code}] ${r.text}`);
  steps.forEach((s, i) => lines.push(`${String(i + 1).padStart(2)}. ${s}`));
  return lines.join('\n') + '\n';
}
