// The set of routing rules with the indexes that answer "which rules cover
// (iif, S, G)?" without scanning: single (S,G) rules by key, templates by
// inbound interface, then group prefix length, then masked group. Pure.

import { addrKey, contains, mask, type Addr, type Family } from '../model/addr.js';
import { isSingleSG, sgKey, sgRuleKey, type Rule } from './rule.js';

interface TemplateBucket {
  /** Group prefix lengths present, so a lookup probes each length once. */
  lens: number[];
  byLen: Map<number, Map<string, Rule[]>>;
}

export class RuleTable {
  /** Insertion order is kept: it is the order `show` lists rules in. */
  private readonly rules = new Map<string, Rule>();
  /** Templates by family, then inbound interface. */
  private readonly templates = new Map<Family, Map<string, TemplateBucket>>();
  /**
   * Rules by every interface they name, inbound or outbound: made the first
   * time it is asked for (a VIF came or went) and kept up to date from then
   * on, so a table that is only ever rebuilt whole (start-up, reloads) never
   * pays for it.
   */
  private byIface?: Map<string, Set<Rule>>;

  get size(): number {
    return this.rules.size;
  }

  get(key: string): Rule | undefined {
    return this.rules.get(key);
  }

  values(): IterableIterator<Rule> {
    return this.rules.values();
  }

  /** Adds a rule the caller knows is not there yet (a state being built): no lookup first. */
  insert(rule: Rule): void {
    this.rules.set(rule.key, rule);
    this.index(rule);
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

  /** Rules naming `name` as inbound or outbound interface (a snapshot). */
  naming(name: string): Rule[] {
    if (!this.byIface) {
      this.byIface = new Map();
      for (const rule of this.rules.values()) indexIfaces(this.byIface, rule);
    }
    const set = this.byIface.get(name);
    return set ? [...set] : [];
  }

  /**
   * Every rule covering a packet from `source` to `group` arriving on `iif`;
   * `exactKey` is the key of the single-(S,G) rule on `iif` for that flow,
   * when the caller has it already.
   */
  match(family: Family, iif: string, source: Addr, group: Addr, exactKey: string = sgRuleKey(iif, sgKey(source, group))): Rule[] {
    const exact = this.rules.get(exactKey);
    const bucket = this.templates.get(family)?.get(iif);
    // Without templates on `iif` (every configured (S,G) route) the answer is made at its size.
    if (!bucket) return exact ? [exact] : [];
    const out: Rule[] = exact ? [exact] : [];
    for (const len of bucket.lens) {
      const rules = bucket.byLen.get(len)?.get(addrKey(mask(group, len)));
      if (!rules) continue;
      for (const r of rules) if (r.source === null || contains(r.source, source)) out.push(r);
    }
    return out;
  }

  private index(rule: Rule): void {
    if (this.byIface) indexIfaces(this.byIface, rule);
    if (isSingleSG(rule)) return; // found through the main map by key
    let byIif = this.templates.get(rule.family);
    if (!byIif) this.templates.set(rule.family, (byIif = new Map<string, TemplateBucket>()));
    let bucket = byIif.get(rule.iif);
    if (!bucket) {
      bucket = { lens: [], byLen: new Map() };
      byIif.set(rule.iif, bucket);
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
    const byIface = this.byIface;
    for (const name of byIface ? [rule.iif, ...rule.oifs] : []) {
      const set = byIface?.get(name);
      set?.delete(rule);
      if (set?.size === 0) byIface?.delete(name);
    }
    if (isSingleSG(rule)) return;
    const byIif = this.templates.get(rule.family);
    const bucket = byIif?.get(rule.iif);
    const byGroup = bucket?.byLen.get(rule.group.len);
    const gk = addrKey(mask(rule.group.addr, rule.group.len));
    const list = byGroup?.get(gk);
    if (!byIif || !bucket || !byGroup || !list) return;
    const i = list.findIndex((r) => r.key === rule.key);
    if (i >= 0) list.splice(i, 1);
    if (list.length > 0) return;
    byGroup.delete(gk);
    if (byGroup.size > 0) return;
    bucket.byLen.delete(rule.group.len);
    bucket.lens = bucket.lens.filter((l) => l !== rule.group.len);
    if (bucket.lens.length > 0) return;
    byIif.delete(rule.iif);
    if (byIif.size === 0) this.templates.delete(rule.family);
  }
}

function indexIfaces(byIface: Map<string, Set<Rule>>, rule: Rule): void {
  for (const name of [rule.iif, ...rule.oifs]) {
    let set = byIface.get(name);
    if (!set) byIface.set(name, (set = new Set()));
    set.add(rule);
  }
}
