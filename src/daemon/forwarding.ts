// The kernel's multicast forwarding cache as we keep it: which (S,G) is
// installed with which inbound VIF and outbound TTLs, learning flows on
// upcalls, moving them on WRONGVIF, expiring idle ones. Rules are read, never changed.

import { KernelError, describeError } from '../errors.js';
import type { Kernel, Upcall } from '../kernel/types.js';
import type { Logger } from '../log.js';
import { contains, formatAddr, vifWord, type Family } from '../model/addr.js';
import { MAX_VIFS } from '../model/limits.js';
import { MfcEntry, MfcTable } from '../core/mfc-table.js';
import { DEFAULT_MAX_LEARNED, EvictionReport, LearnedOrder } from '../core/learned-cap.js';
import { isSingleSG, sgKey, sgRuleKey, type Rule, type SingleRule } from '../core/rule.js';
import { SharedValues } from '../model/shared-values.js';
import type { RuleTable } from '../core/rule-table.js';
import type { Counters } from './counters.js';
import type { EventBus, ExpiryReason } from './events.js';
import type { Vifs } from './vifs.js';

/**
 * The (S,G)s whose kernel entry must be worked out again, by sgKey: each
 * with the single-(S,G) rule or the entry that marked it, whose inbound
 * interface is where recompute looks first.
 */
export type Dirty = Map<string, SingleRule | MfcEntry>;

/** An entry's kernel state worked out (Forwarding.place), to be put in the kernel (Forwarding.put). */
interface Placement {
  readonly e: MfcEntry;
  /** Inbound VIF/MIF. */
  readonly parent: number;
  readonly ttls: Uint8Array;
  readonly forwards: boolean;
}

/**
 * What an upcall came to: `resolved` when the kernel now has the flow as the rules say (installed,
 * moved or stopped); `forwards` when it was learned from a template and forwards somewhere (what
 * -e reports).
 */
export interface UpcallOutcome {
  readonly resolved: boolean;
  readonly forwards: boolean;
}

const UNRESOLVED: UpcallOutcome = { resolved: false, forwards: false };

/** Whether the kernel has the entry as placed, and whether it forwards somewhere. */
interface Installed {
  readonly placed: boolean;
  readonly forwards: boolean;
}

// The three outcomes, shared: a large start-up places 50,000 entries.
const FORWARDING: Installed = { placed: true, forwards: true };
const STOPPED: Installed = { placed: true, forwards: false };
const NOT_PLACED: Installed = { placed: false, forwards: false };

/** Distinct TTL vectors remembered; past that the memo starts over (vectors in use stay valid). */
const MAX_TTL_VECTORS = 4096;

export class Forwarding {
  readonly mfc = new MfcTable();
  /** Entries share their TTL vectors: routes out of the same interfaces have equal ones. */
  private readonly ttlVectors = new SharedValues<Uint8Array>(MAX_TTL_VECTORS);
  /** The shared vectors with some TTL set: whether an entry forwards, without scanning its vector. */
  private readonly forwardingVectors = new WeakSet<Uint8Array>();
  /** The vector of each rule's outbound set, per family, for the VIFs of `vectorsOf`. */
  private readonly byOifs: Record<Family, Map<ReadonlySet<string>, Uint8Array>> = { inet: new Map(), inet6: new Map() };
  /** Vifs.generation the vectors in byOifs were worked out for. */
  private vectorsOf = -1;
  private readonly scratch = new Uint8Array(MAX_VIFS);
  /** Learned and stop-filter entries, stalest first: a storm of new sources evicts these, never configured ones. */
  private readonly learnedOrder: LearnedOrder;
  private readonly evictions = new EvictionReport();
  /** Keys of entries the kernel refused to install (they stay listed, not installed). */
  private readonly refused = new Set<string>();

  constructor(
    private readonly kernel: Kernel,
    private readonly log: Logger,
    private readonly vifs: Vifs,
    private readonly clock: () => number,
    private readonly events: EventBus,
    private readonly counters: Counters,
    maxLearned: number = DEFAULT_MAX_LEARNED,
  ) {
    this.learnedOrder = new LearnedOrder(maxLearned);
  }

  /** Marks the entries a rule decides: its own (S,G), or the flows a template covers on its inbound interface. */
  markCovered(rule: Rule, dirty: Dirty): void {
    if (isSingleSG(rule)) {
      dirty.set(rule.sg, rule);
      return;
    }
    for (const e of this.mfc.onIif(rule.family, rule.iif)) {
      if (!contains(rule.group, e.group)) continue;
      if (rule.source && !contains(rule.source, e.source)) continue;
      dirty.set(e.key, e);
    }
  }

  /**
   * Marks every entry that may use interface `name`: flows arriving on it,
   * and the entries of the rules naming it (which may predate its VIF);
   * `rules` is undefined when every rule's entries are marked already.
   */
  markUsing(family: Family, name: string, rules: RuleTable | undefined, dirty: Dirty): void {
    for (const e of this.mfc.onIif(family, name)) dirty.set(e.key, e);
    for (const rule of rules?.naming(name) ?? []) if (rule.family === family) this.markCovered(rule, dirty);
  }

  /** Marks the entries whose install the kernel refused, to try again: as many as were refused, not the table. */
  markRefused(dirty: Dirty): void {
    for (const key of this.refused) {
      const e = this.mfc.get(key);
      if (e) dirty.set(key, e);
      else this.refused.delete(key);
    }
  }

  recompute(dirty: Dirty, rules: RuleTable): void {
    const now = this.now();
    const placements: Placement[] = [];
    // forEach rather than for-of: no [key, value] pair is made per entry (50,000 at a large start-up).
    dirty.forEach((d, key) => {
      const rule = d instanceof MfcEntry ? undefined : d;
      const source = d instanceof MfcEntry ? d.source : d.source.addr;
      const group = d instanceof MfcEntry ? d.group : d.group.addr;
      const e = this.mfc.get(key);
      let iif = e?.iif ?? d.iif;
      // A configured (S,G) on the hinted interface wins over a flow learned elsewhere.
      if (e && e.iif !== d.iif && rules.get(sgRuleKey(d.iif, key))) iif = d.iif;
      // The rule that marked the flow is looked up by its own key, so no key is built for it.
      const exactKey = rule?.iif === iif ? rule.key : sgRuleKey(iif, key);
      const matched = rules.match(d.family, iif, source, group, exactKey);
      // An index loop rather than some(): no callback per entry at a 50,000-route start-up.
      let configured = false;
      for (let i = 0; i < matched.length; i++) {
        const r = matched[i];
        if (r && isSingleSG(r)) {
          configured = true;
          break;
        }
      }
      if (!e && !configured) return;
      if (matched.length === 0) {
        this.remove(key);
        return;
      }
      const entry = this.mfc.upsert(e, key, source, group, iif, now);
      entry.learned = !configured;
      const p = this.place(entry, matched);
      if (typeof p !== 'boolean') placements.push(p);
    });
    // The kernel is told after the work, call after call: a system call that follows a stretch
    // of JavaScript finds the caches cold, and 50,000 of them took about 6% longer interleaved.
    for (let i = 0; i < placements.length; i++) {
      const p = placements[i];
      if (p && this.put(p).placed && this.events.active) this.announce(p.e, p.forwards);
    }
  }

  /** NOCACHE: a new flow arrived on `iif`; install it as the rules covering it say, or stop it. */
  learn(u: Upcall, iif: string, rules: RuleTable): UpcallOutcome {
    const key = sgKey(u.source, u.group);
    const existing = this.mfc.get(key);
    // Several upcalls for one new flow can arrive in a burst: resolve once.
    if (existing?.installed && existing.iif === iif) return UNRESOLVED;
    const matched = rules.match(u.family, iif, u.source, u.group, sgRuleKey(iif, key));
    // A burst brings thousands of these: build the text only when it is logged.
    const src = () => formatAddr(u.source);
    const grp = () => formatAddr(u.group);
    this.log.debug(() => `New multicast data from ${src()} to group ${grp()} on ${iif}`);
    const e = this.mfc.upsert(existing, key, u.source, u.group, iif, this.now());
    e.learned = !matched.some(isSingleSG);
    if (matched.length === 0)
      this.log.info(() => `Multicast from ${src()}, group ${grp()}, on ${iif} does not match any (*,G) rule`);
    const done = this.install(e, matched);
    const forwards = done.forwards && e.learned;
    if (done.placed) {
      this.counters.upcallsResolved++;
      if (forwards) this.counters.routesLearned++;
      else if (e.learned) this.counters.stopFilters++;
    }
    if (e.learned && this.mfc.get(e.key)) this.capLearned(e.key);
    return { resolved: done.placed, forwards };
  }

  /** The entry `key` was just learned: it is the newest, and the stalest beyond the cap go. */
  private capLearned(key: string): void {
    this.learnedOrder.touch(key);
    if (this.learnedOrder.size <= this.learnedOrder.cap) return;
    let evicted = 0;
    for (const k of this.learnedOrder.over((k) => this.mfc.get(k)?.learned === true)) {
      this.remove(k, 'evicted');
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

  /** WRONGVIF: a flow a template covers moved to `iif`; follow it. */
  wrongVif(u: Upcall, iif: string, rules: RuleTable): UpcallOutcome {
    const key = sgKey(u.source, u.group);
    const matched = rules.match(u.family, iif, u.source, u.group, sgRuleKey(iif, key));
    const src = formatAddr(u.source);
    const grp = formatAddr(u.group);
    if (!matched.some((r) => !isSingleSG(r))) {
      this.log.info(`Multicast from ${src}, group ${grp} on wrong ${vifWord(u.family)} ${u.vif}, iface ${iif}`);
      return UNRESOLVED;
    }
    const existing = this.mfc.get(key);
    const from = existing?.iif;
    const e = this.mfc.upsert(existing, key, u.source, u.group, iif, this.now());
    const done = this.install(e, matched, false);
    const resolved = from !== iif && done.placed;
    if (resolved) {
      this.counters.upcallsResolved++;
      if (done.forwards) this.counters.routesLearned++;
      if (this.events.active) {
        const oifs = this.vifs.tables[e.family].namesOf(e.ttls);
        this.events.emit({ event: 'moved', family: e.family, source: src, group: grp, from: from ?? '', to: iif, oifs });
      }
      this.log.notice(`Moved (${src},${grp}) inbound to ${iif} after WRONG${vifWord(u.family)}`, {
        source: src,
        group: grp,
        iif,
      });
    }
    return { resolved, forwards: done.forwards };
  }

  /** Removes learned routes whose packet count stood still for `maxIdle` seconds. */
  expire(maxIdle: number): number {
    const now = this.now();
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
        this.remove(e.key, 'timeout');
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
      this.remove(e.key, 'flush');
      removed++;
    }
    return removed;
  }

  /** Whole milliseconds: an entry then holds its time inline instead of in a boxed double. */
  private now(): number {
    return Math.floor(this.clock());
  }

  /**
   * Puts the entry in the kernel as `matched` says. `announce` false: the caller tells the event
   * bus itself (a move is one event, not an install).
   */
  private install(e: MfcEntry, matched: readonly Rule[], announce = true): Installed {
    const p = this.place(e, matched);
    if (typeof p !== 'boolean') {
      const done = this.put(p);
      if (announce && done.placed && this.events.active) this.announce(e, p.forwards);
      return done;
    }
    // Already as placed, or dropped for want of an inbound VIF.
    if (this.mfc.get(e.key) !== e) return NOT_PLACED;
    return p ? FORWARDING : STOPPED;
  }

  /**
   * What the kernel must be told for the entry to be as `matched` says, or, when nothing
   * (it is there already, or has no VIF to come in on and was dropped), whether it forwards.
   */
  private place(e: MfcEntry, matched: readonly Rule[]): Placement | boolean {
    const table = this.vifs.tables[e.family];
    const parent = table.get(e.iif);
    if (!parent) {
      this.log.warning(`No ${vifWord(e.family)} for inbound ${e.iif}, dropping (${formatAddr(e.source)},${formatAddr(e.group)})`);
      this.remove(e.key);
      return false;
    }
    const ttls = this.ttlsOf(e.family, matched);
    const forwards = this.forwardingVectors.has(ttls);
    if (e.parent === parent.vif && (e.ttls === ttls || equalBytes(e.ttls, ttls))) return forwards;
    return { e, parent: parent.vif, ttls, forwards };
  }

  /** Tells the kernel. */
  private put({ e, parent, ttls, forwards }: Placement): Installed {
    try {
      this.kernel.addMfc(e.family, { source: e.source, group: e.group, iif: parent, ttls });
      e.parent = parent;
      e.ttls = ttls;
      this.refused.delete(e.key);
      return forwards ? FORWARDING : STOPPED;
    } catch (err) {
      this.refused.add(e.key);
      const source = formatAddr(e.source);
      const group = formatAddr(e.group);
      this.log.err(`Failed installing (${source},${group}) from ${e.iif}: ${describeError(err)}`, { source, group, iif: e.iif });
      return NOT_PLACED;
    }
  }

  private announce(e: MfcEntry, forwards: boolean): void {
    const flow = { family: e.family, source: formatAddr(e.source), group: formatAddr(e.group), iif: e.iif };
    if (!forwards) this.events.emit({ event: 'stop-filter', ...flow });
    else
      this.events.emit({ event: e.learned ? 'learned' : 'installed', ...flow, oifs: this.vifs.tables[e.family].namesOf(e.ttls) });
  }

  /** Outbound TTLs by VIF for a flow the `matched` rules cover: the union of their outbound sets. */
  private ttlsOf(family: Family, matched: readonly Rule[]): Uint8Array {
    // One rule, as for every configured (S,G): its outbound set was worked out before.
    const only = matched.length === 1 ? matched[0] : undefined;
    if (this.vectorsOf !== this.vifs.generation) {
      this.byOifs.inet.clear();
      this.byOifs.inet6.clear();
      this.vectorsOf = this.vifs.generation;
    }
    const known = only ? this.byOifs[family].get(only.oifs) : undefined;
    if (known) return known;
    const table = this.vifs.tables[family];
    const ttls = this.scratch.fill(0);
    for (const r of matched) table.addTtls(r.oifs, ttls);
    const shared = this.ttlVector(ttls);
    if (only && this.byOifs[family].size < MAX_TTL_VECTORS) this.byOifs[family].set(only.oifs, shared);
    return shared;
  }

  /** The shared vector equal to `ttls`. */
  private ttlVector(ttls: Uint8Array): Uint8Array {
    let key = '';
    for (let vif = 0; vif < ttls.length; vif++) {
      const ttl = ttls[vif] ?? 0;
      if (ttl > 0) key += String.fromCharCode(vif, ttl);
    }
    return this.ttlVectors.get(key, () => {
      const made = Uint8Array.from(ttls);
      if (key !== '') this.forwardingVectors.add(made);
      return made;
    });
  }

  /** `expiry`: why a learned route goes, when it goes for that reason rather than a change of rules. */
  private remove(key: string, expiry?: ExpiryReason): void {
    this.learnedOrder.forget(key);
    this.refused.delete(key);
    const e = this.mfc.delete(key);
    if (!e?.installed) return;
    try {
      this.kernel.delMfc(e.family, e.source, e.group, e.parent);
    } catch (err) {
      if (!(err instanceof KernelError && err.code === 'ENOENT')) {
        this.log.err(`Failed removing (${formatAddr(e.source)},${formatAddr(e.group)}): ${describeError(err)}`);
        // The kernel still forwards it: keep it, so `show` tells the truth and a later change can retry.
        const kept = this.mfc.upsert(undefined, e.key, e.source, e.group, e.iif, e.lastActive);
        kept.learned = e.learned;
        kept.parent = e.parent;
        kept.ttls = e.ttls;
        return;
      }
    }
    const expired = expiry !== undefined && e.learned;
    if (expired) this.counters.routesExpired++;
    if (!this.events.active) return;
    const flow = { family: e.family, source: formatAddr(e.source), group: formatAddr(e.group), iif: e.iif };
    this.events.emit(expired ? { event: 'expired', ...flow, reason: expiry } : { event: 'removed', ...flow });
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
