// The kernel's multicast forwarding cache as we keep it: which (S,G) is
// installed with which inbound VIF and outbound TTLs, learning flows on
// upcalls, moving them on WRONGVIF, expiring idle ones. Rules are read, never changed.

import { KernelError, describeError } from '../errors.js';
import type { Kernel, Upcall } from '../kernel/types.js';
import type { Logger } from '../log.js';
import { contains, formatAddr, type Addr, type Family } from '../model/addr.js';
import { MAX_VIFS } from '../model/limits.js';
import { MfcTable, sgKey, type MfcEntry } from '../core/mfc-table.js';
import { DEFAULT_MAX_LEARNED, EvictionReport, LearnedOrder } from '../core/learned-cap.js';
import { isSingleSG, sgRuleKey, type Rule } from '../core/rule.js';
import type { RuleTable } from '../core/rule-table.js';
import { vifWord, type Vifs } from './vifs.js';

/** An (S,G) whose kernel entry must be worked out again, keyed by sgKey. */
export type Dirty = Map<string, { readonly family: Family; readonly source: Addr; readonly group: Addr; readonly iif: string }>;

export class Forwarding {
  readonly mfc = new MfcTable();
  /** Learned and stop-filter entries, stalest first: a storm of new sources evicts these, never configured ones. */
  private readonly learnedOrder: LearnedOrder;
  private readonly evictions = new EvictionReport();

  constructor(
    private readonly kernel: Kernel,
    private readonly log: Logger,
    private readonly vifs: Vifs,
    private readonly clock: () => number,
    maxLearned: number = DEFAULT_MAX_LEARNED,
  ) {
    this.learnedOrder = new LearnedOrder(maxLearned);
  }

  /** Marks the entries a rule decides: its own (S,G), or the flows a template covers on its inbound interface. */
  markCovered(rule: Rule, dirty: Dirty): void {
    if (isSingleSG(rule) && rule.source) {
      const source = rule.source.addr;
      const group = rule.group.addr;
      dirty.set(sgKey(source, group), { family: rule.family, source, group, iif: rule.iif });
      return;
    }
    for (const e of this.mfc.onIif(rule.family, rule.iif)) {
      if (!contains(rule.group, e.group)) continue;
      if (rule.source && !contains(rule.source, e.source)) continue;
      mark(e, dirty);
    }
  }

  /**
   * Marks every entry that may use interface `name`: flows arriving on it,
   * and the entries of the rules naming it (which may predate its VIF).
   */
  markUsing(family: Family, name: string, rules: RuleTable, dirty: Dirty): void {
    for (const e of this.mfc.onIif(family, name)) mark(e, dirty);
    for (const rule of rules.naming(name)) if (rule.family === family) this.markCovered(rule, dirty);
  }

  /** Marks the configured (S,G)s the kernel does not hold (an install it refused), to try again. */
  markUninstalled(rules: RuleTable, dirty: Dirty): void {
    for (const rule of rules.values()) {
      if (!isSingleSG(rule) || !rule.source) continue;
      const source = rule.source.addr;
      const group = rule.group.addr;
      const key = sgKey(source, group);
      if (!this.mfc.get(key)?.installed) dirty.set(key, { family: rule.family, source, group, iif: rule.iif });
    }
  }

  recompute(dirty: Dirty, rules: RuleTable): void {
    for (const [key, d] of dirty) {
      const e = this.mfc.get(key);
      let iif = e?.iif ?? d.iif;
      // A configured (S,G) on the hinted interface wins over a flow learned elsewhere.
      if (e && e.iif !== d.iif && rules.get(sgRuleKey(d.iif, d.source, d.group))) iif = d.iif;
      const matched = rules.match(d.family, iif, d.source, d.group);
      const configured = matched.some(isSingleSG);
      if (!e && !configured) continue;
      if (matched.length === 0) {
        this.remove(key);
        continue;
      }
      const entry = this.mfc.upsert(d.source, d.group, iif, this.clock());
      entry.learned = !configured;
      this.install(entry, matched);
    }
  }

  /**
   * NOCACHE: a new flow arrived on `iif`; install it as the rules covering it say, or stop it.
   * True when it was learned from a template and now forwards somewhere (what -e reports).
   */
  learn(u: Upcall, iif: string, rules: RuleTable): boolean {
    const existing = this.mfc.get(sgKey(u.source, u.group));
    // Several upcalls for one new flow can arrive in a burst: resolve once.
    if (existing?.installed && existing.iif === iif) return false;
    const matched = rules.match(u.family, iif, u.source, u.group);
    // A burst brings thousands of these: build the text only when it is logged.
    const src = () => formatAddr(u.source);
    const grp = () => formatAddr(u.group);
    this.log.debug(() => `New multicast data from ${src()} to group ${grp()} on ${iif}`);
    const e = this.mfc.upsert(u.source, u.group, iif, this.clock());
    e.learned = !matched.some(isSingleSG);
    if (matched.length === 0)
      this.log.info(() => `Multicast from ${src()}, group ${grp()}, on ${iif} does not match any (*,G) rule`);
    const forwards = this.install(e, matched) && e.learned;
    if (e.learned && this.mfc.get(e.key)) this.capLearned(e.key);
    return forwards;
  }

  /** The entry `key` was just learned: it is the newest, and the stalest beyond the cap go. */
  private capLearned(key: string): void {
    this.learnedOrder.touch(key);
    if (this.learnedOrder.size <= this.learnedOrder.cap) return;
    let evicted = 0;
    for (const k of this.learnedOrder.over((k) => this.mfc.get(k)?.learned === true)) {
      this.remove(k);
      evicted++;
    }
    const report = this.evictions.add(evicted, this.clock());
    if (report !== undefined) {
      const cap = this.learnedOrder.cap;
      this.log.warning(
        `Learned route limit ${cap} reached: removed ${report} least recently active learned or stop-filter routes`,
        {
          evicted: report,
          cap,
        },
      );
    }
  }

  /** WRONGVIF: a flow a template covers moved to `iif`; follow it. True when it forwards from there. */
  wrongVif(u: Upcall, iif: string, rules: RuleTable): boolean {
    const matched = rules.match(u.family, iif, u.source, u.group);
    const src = formatAddr(u.source);
    const grp = formatAddr(u.group);
    if (!matched.some((r) => !isSingleSG(r))) {
      this.log.info(`Multicast from ${src}, group ${grp} on wrong ${vifWord(u.family)} ${u.vif}, iface ${iif}`);
      return false;
    }
    const forwards = this.install(this.mfc.upsert(u.source, u.group, iif, this.clock()), matched);
    this.log.notice(`Moved (${src},${grp}) inbound to ${iif} after WRONG${vifWord(u.family)}`, { source: src, group: grp, iif });
    return forwards;
  }

  /** Removes learned routes whose packet count stood still for `maxIdle` seconds. */
  expire(maxIdle: number): number {
    const now = this.clock();
    let removed = 0;
    for (const e of [...this.mfc.values()]) {
      if (!e.learned || !e.installed) continue;
      const c = this.kernel.counters(e.family, e.source, e.group);
      if (!c) {
        this.mfc.delete(e.key); // the kernel no longer has it
        this.learnedOrder.forget(e.key);
        continue;
      }
      const valid = c.packets - c.wrongIf;
      if (valid !== e.lastValid) {
        e.lastValid = valid;
        e.lastActive = now;
        this.learnedOrder.touch(e.key);
        continue;
      }
      if (now - e.lastActive >= maxIdle * 1000) {
        this.remove(e.key);
        removed++;
      }
    }
    return removed;
  }

  /** Every learned route goes now; live flows are learned again from their next packet. */
  flush(): number {
    let removed = 0;
    for (const e of [...this.mfc.values()]) {
      if (!e.learned) continue;
      this.remove(e.key);
      removed++;
    }
    return removed;
  }

  /** Puts the entry in the kernel as `matched` says; true when it is there and forwards somewhere. */
  private install(e: MfcEntry, matched: readonly Rule[]): boolean {
    const table = this.vifs.tables[e.family];
    const parent = table.get(e.iif);
    if (!parent) {
      this.log.warning(`No ${vifWord(e.family)} for inbound ${e.iif}, dropping (${formatAddr(e.source)},${formatAddr(e.group)})`);
      this.remove(e.key);
      return false;
    }
    const ttls = new Uint8Array(MAX_VIFS);
    for (const r of matched) {
      for (const o of r.oifs) {
        const slot = table.get(o);
        if (slot) ttls[slot.vif] = Math.max(1, slot.threshold);
      }
    }
    const forwards = ttls.some((t) => t > 0);
    const cur = e.installed;
    if (cur && cur.parent === parent.vif && equalBytes(cur.ttls, ttls)) return forwards;
    try {
      this.kernel.addMfc(e.family, { source: e.source, group: e.group, iif: parent.vif, ttls });
      e.installed = { parent: parent.vif, ttls };
      return forwards;
    } catch (err) {
      const source = formatAddr(e.source);
      const group = formatAddr(e.group);
      this.log.err(`Failed installing (${source},${group}) from ${e.iif}: ${describeError(err)}`, { source, group, iif: e.iif });
      return false;
    }
  }

  private remove(key: string): void {
    this.learnedOrder.forget(key);
    const e = this.mfc.delete(key);
    if (!e?.installed) return;
    try {
      this.kernel.delMfc(e.family, e.source, e.group, e.installed.parent);
    } catch (err) {
      if (!(err instanceof KernelError && err.code === 'ENOENT')) {
        this.log.err(`Failed removing (${formatAddr(e.source)},${formatAddr(e.group)}): ${describeError(err)}`);
        // The kernel still forwards it: keep it, so `show` tells the truth and a later change can retry.
        Object.assign(this.mfc.upsert(e.source, e.group, e.iif, e.lastActive), { learned: e.learned, installed: e.installed });
      }
    }
  }
}

/** A snapshot: the entry's inbound interface is the hint recompute starts from. */
function mark(e: MfcEntry, dirty: Dirty): void {
  dirty.set(e.key, { family: e.family, source: e.source, group: e.group, iif: e.iif });
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
