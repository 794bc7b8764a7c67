// A routing rule as the daemon holds it once interface names are resolved:
// one inbound interface, a source (or any) prefix, a group prefix, the
// outbound interfaces. Pure values and their identity keys.

import { addrKey, maxLen, type Addr, type Family, type Prefix } from '../model/addr.js';

export interface Rule {
  /** Identity: inbound interface, source prefix, group prefix. */
  readonly key: string;
  readonly family: Family;
  readonly iif: string;
  /** null means any source: a (*,G) rule. */
  readonly source: Prefix | null;
  readonly group: Prefix;
  /** Outbound interface names; order is irrelevant (the kernel orders by VIF). */
  readonly oifs: ReadonlySet<string>;
}

/** Identity of anything keyed by inbound interface, source and group (rules, joined entries). */
export function ruleKey(iif: string, source: Prefix | null, group: Prefix): string {
  const src = source ? `${addrKey(source.addr)}/${source.len}` : '*';
  return `${iif}|${src}|${addrKey(group.addr)}/${group.len}`;
}

/** Key of the single-(S,G) rule an upcall for (S,G) on `iif` would hit. */
export function sgRuleKey(iif: string, source: Addr, group: Addr): string {
  const w = maxLen(group.family);
  return `${iif}|${addrKey(source)}/${w}|${addrKey(group)}/${w}`;
}

export function makeRule(iif: string, source: Prefix | null, group: Prefix, oifs: Iterable<string>): Rule {
  return {
    key: ruleKey(iif, source, group),
    family: group.addr.family,
    iif,
    source,
    group,
    oifs: new Set(oifs),
  };
}

/**
 * A rule that names exactly one source and one group: installed in the
 * kernel as it stands. Everything else is a template resolved on upcalls.
 */
/** The rule with `more` outbound interfaces added, as .conf duplicates and IPC add merge. */
export function withMoreOifs(rule: Rule, more: Iterable<string>): Rule {
  return makeRule(rule.iif, rule.source, rule.group, [...rule.oifs, ...more]);
}

export function isSingleSG(rule: Rule): boolean {
  const w = maxLen(rule.family);
  return rule.source !== null && rule.source.len === w && rule.group.len === w;
}

export function sameOifs(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}
