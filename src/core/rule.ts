// A routing rule as the daemon holds it once interface names are resolved:
// one inbound interface, a source (or any) prefix, a group prefix, the
// outbound interfaces. Pure values and their identity keys.

import { SharedValues } from '../model/shared-values.js';
import { addrKey, maxLen, type Addr, type Family, type Prefix } from '../model/addr.js';

export interface Rule {
  /** Identity: inbound interface, source prefix, group prefix. */
  readonly key: string;
  readonly family: Family;
  readonly iif: string;
  /** null means any source: a (*,G) rule. */
  readonly source: Prefix | null;
  readonly group: Prefix;
  /** Outbound interface names; order is irrelevant (the kernel orders by VIF). Shared between rules: never change it. */
  readonly oifs: ReadonlySet<string>;
  /** The forwarding-cache key (sgKey) of the one (S,G) a single-(S,G) rule installs; absent for templates. */
  readonly sg?: string;
}

/** A rule that names exactly one source and one group: installed in the kernel as it stands. */
export interface SingleRule extends Rule {
  readonly source: Prefix;
  readonly sg: string;
}

// Keys are joined rather than concatenated: a concatenation of 13 characters
// or more is a tree of string pieces, about twice the size of one flat string,
// and tens of thousands of keys live as long as their routes.

/** Key of an (S,G) in the forwarding cache. */
export function sgKey(source: Addr, group: Addr): string {
  return [addrKey(source), addrKey(group)].join('|');
}

/** Identity of anything keyed by inbound interface, source and group (rules, joined entries). */
export function ruleKey(iif: string, source: Prefix | null, group: Prefix): string {
  const w = maxLen(group.addr.family);
  if (source && source.len === w && group.len === w) return sgRuleKey(iif, sgKey(source.addr, group.addr));
  const src = source ? `${addrKey(source.addr)}/${source.len}` : '*';
  return [iif, src, `${addrKey(group.addr)}/${group.len}`].join('|');
}

/** Key of the single-(S,G) rule on `iif` for the (S,G) whose sgKey is `sg`. */
export function sgRuleKey(iif: string, sg: string): string {
  return [iif, sg].join('|');
}

export function makeRule(iif: string, source: Prefix | null, group: Prefix, oifs: Iterable<string>): Rule {
  const family = group.addr.family;
  const w = maxLen(family);
  const oifSet = internOifs(oifs);
  if (source && source.len === w && group.len === w) {
    const sg = sgKey(source.addr, group.addr);
    return { key: sgRuleKey(iif, sg), family, iif, source, group, oifs: oifSet, sg };
  }
  return { key: ruleKey(iif, source, group), family, iif, source, group, oifs: oifSet };
}

/** The rule with `more` outbound interfaces added, as .conf duplicates and IPC add merge. */
export function withMoreOifs(rule: Rule, more: Iterable<string>): Rule {
  return { ...rule, oifs: internOifs([...rule.oifs, ...more]) };
}

export function isSingleSG(rule: Rule): rule is SingleRule {
  return rule.sg !== undefined;
}

export function sameOifs(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/**
 * Rules share their outbound sets: tens of thousands of routes name the same
 * few interfaces, and a Set per rule would cost more than the rest of the rule.
 */
const oifSets = new SharedValues<ReadonlySet<string>>(4096);

/** The shared set of these names, in the order given. */
export function internOifs(oifs: Iterable<string>): ReadonlySet<string> {
  if (oifs instanceof Set && oifSets.has(oifs)) return oifs as ReadonlySet<string>;
  // In the order given: it decides which interface gets a VIF first.
  const names = [...new Set(oifs)];
  // Interface names hold no whitespace (ifname.ts), so a space separates them unambiguously.
  return oifSets.get(names.join(' '), () => new Set(names));
}
