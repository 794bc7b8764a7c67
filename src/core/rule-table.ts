// The set of routing rules with the indexes that answer "which rules cover
// (iif, S, G)?" without scanning: single (S,G) rules by key, templates by
// inbound interface, then group prefix length, then masked group. Pure.

import { addrKey, contains, mask, type Addr, type Family } from '../model/addr.js';
import { isSingleSG, sgRuleKey, type Rule } from './rule.js';

interface TemplateBucket {
  /** Group prefix lengths present, so a lookup probes each length once. */
  lens: number[];
  byLen: Map<number, Map<string, Rule[]>>;
}

export class RuleTable {
  /** Insertion order is kept: it is the order `show` lists rules in. */
  private readonly rules = new Map<string, Rule>();
  private readonly templates = new Map<string, TemplateBucket>();
  /** Rules by every interface they name, inbound or outbound. */
  private readonly byIface = new Map<string, Set<string>>();

  get size(): number {
    return this.rules.size;
  }

  get(key: string): Rule | undefined {
    return this.rules.get(key);
  }

  values(): IterableIterator<Rule> {
    return this.rules.values();
  }

  /** Adds or replaces a rule; a replaced rule keeps its place in the order. */
  set(rule: Rule): void {
    const old = this.rules.get(rule.key);
    if (old) this.unindex(old);
    this.rules.set(rule.key, rule);
    this.index(rule);
  }

  delete(key: string): Rule | undefined {
    const old = this.rules.get(key);
    if (!old) return undefined;
    this.rules.delete(key);
    this.unindex(old);
    return old;
  }

  /** Rules naming `name` as inbound or outbound interface. */
  naming(name: string): Rule[] {
    return [...(this.byIface.get(name) ?? [])].flatMap((k) => this.rules.get(k) ?? []);
  }

  /** Every rule covering a packet from `source` to `group` arriving on `iif`. */
  match(family: Family, iif: string, source: Addr, group: Addr): Rule[] {
    const out: Rule[] = [];
    const exact = this.rules.get(sgRuleKey(iif, source, group));
    if (exact) out.push(exact);
    const bucket = this.templates.get(bucketKey(family, iif));
    if (!bucket) return out;
    for (const len of bucket.lens) {
      const rules = bucket.byLen.get(len)?.get(addrKey(mask(group, len)));
      if (!rules) continue;
      for (const r of rules) if (r.source === null || contains(r.source, source)) out.push(r);
    }
    return out;
  }

  private index(rule: Rule): void {
    for (const name of [rule.iif, ...rule.oifs]) {
      let keys = this.byIface.get(name);
      if (!keys) this.byIface.set(name, (keys = new Set()));
      keys.add(rule.key);
    }
    if (isSingleSG(rule)) return; // found through the main map by key
    const bk = bucketKey(rule.family, rule.iif);
    let bucket = this.templates.get(bk);
    if (!bucket) {
      bucket = { lens: [], byLen: new Map() };
      this.templates.set(bk, bucket);
    }
    let byGroup = bucket.byLen.get(rule.group.len);
    if (!byGroup) {
      byGroup = new Map();
      bucket.byLen.set(rule.group.len, byGroup);
      bucket.lens.push(rule.group.len);
    }
    const gk = addrKey(mask(rule.group.addr, rule.group.len));
    const list = byGroup.get(gk);
    if (list) list.push(rule);
    else byGroup.set(gk, [rule]);
  }

  private unindex(rule: Rule): void {
    for (const name of [rule.iif, ...rule.oifs]) {
      const keys = this.byIface.get(name);
      keys?.delete(rule.key);
      if (keys?.size === 0) this.byIface.delete(name);
    }
    if (isSingleSG(rule)) return;
    const bk = bucketKey(rule.family, rule.iif);
    const bucket = this.templates.get(bk);
    const byGroup = bucket?.byLen.get(rule.group.len);
    const gk = addrKey(mask(rule.group.addr, rule.group.len));
    const list = byGroup?.get(gk);
    if (!bucket || !byGroup || !list) return;
    const i = list.findIndex((r) => r.key === rule.key);
    if (i >= 0) list.splice(i, 1);
    if (list.length > 0) return;
    byGroup.delete(gk);
    if (byGroup.size > 0) return;
    bucket.byLen.delete(rule.group.len);
    bucket.lens = bucket.lens.filter((l) => l !== rule.group.len);
    if (bucket.lens.length === 0) this.templates.delete(bk);
  }
}

function bucketKey(family: Family, iif: string): string {
  return `${family}|${iif}`;
}
