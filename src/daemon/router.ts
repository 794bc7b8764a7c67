// The one stateful object: holds the live rules, VIFs/MIFs, joins and the
// MFC copy, and turns every change (config reload, IPC command, upcall,
// link event, expiry timer) into the smallest set of kernel calls.
// It never reads files or sockets itself; the Daemon feeds it.

import { KernelError } from '../errors.js';
import type { Logger } from '../log.js';
import { contains, formatAddr, type Addr, type Family } from '../model/addr.js';
import type { Kernel, Upcall } from '../kernel/types.js';
import { MAX_VIFS } from '../model/limits.js';
import type { GroupsSnapshot, InterfacesSnapshot, PendingView, RoutesSnapshot, ShowMode } from '../show/types.js';
import { buildDesired, settingsOf, type Desired, type GroupEntry, type IfaceSettings, type JoinSpec } from '../core/desired.js';
import type { ConfIntents } from '../core/intents.js';
import { CommandLog } from '../core/command-log.js';
import { applyOp, type IpcOp, type OpContext } from '../core/ipc-ops.js';
import { Links } from '../core/links.js';
import { MfcTable, sgKey, type MfcEntry } from '../core/mfc-table.js';
import { isSingleSG, sameOifs, sgRuleKey, type Rule } from '../core/rule.js';
import { JoinSet } from '../core/join-set.js';
import { RuleTable } from '../core/rule-table.js';
import { groupsView, interfacesView, routesView, type ViewState } from './views.js';
import { VifTable, type VifSlot } from '../core/vif-table.js';

export interface RouterOptions {
  /** Multicast routing table (-t). */
  readonly table: number;
  /** Learned routes idle this long are flushed (-c), in seconds; 0 = never. */
  readonly cacheTimeout: number;
}

/** The kernel entry an affected (S,G) should be recomputed for. */
interface Dirty {
  readonly family: Family;
  readonly source: Addr;
  readonly group: Addr;
  readonly iif: string;
}

export type CommandResult = { ok: true; warnings: string[] } | { ok: false; error: string };

const FAMILIES: readonly Family[] = ['inet', 'inet6'];

export class Router {
  private links: Links = new Links([]);
  private conf: ConfIntents = { phyints: [], routes: [], joins: [] };
  /** Runtime commands since the last reload, replayed after link changes. */
  private readonly commands = new CommandLog();
  private settings: ReadonlyMap<string, IfaceSettings> = new Map();
  private readonly rules = new RuleTable();
  private groups = new Map<string, GroupEntry>();
  private readonly joins = new JoinSet();
  private pending: PendingView[] = [];
  /** Problems reported by the last reconcile, so repeats stay quiet. */
  private problems = new Set<string>();
  private vifNeeds = new Set<string>();
  private readonly vifs: Record<Family, VifTable> = { inet: new VifTable(), inet6: new VifTable() };
  private readonly mfc = new MfcTable();
  private readonly open = new Set<Family>();

  constructor(
    private readonly kernel: Kernel,
    private readonly log: Logger,
    private readonly opts: RouterOptions,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /**
   * Opens the IPv4 and IPv6 routing sockets. At least one must open; the
   * errors of those that failed are returned for the caller to report.
   */
  start(): KernelError[] {
    const errors: KernelError[] = [];
    for (const family of FAMILIES) {
      try {
        this.kernel.openMroute(family, this.opts.table);
        this.open.add(family);
      } catch (e) {
        if (!(e instanceof KernelError)) throw e;
        errors.push(e);
      }
    }
    return errors; // interfaces are read by loadConfig, which always follows
  }

  isOpen(family: Family): boolean {
    return this.open.has(family);
  }

  /** Replaces the configuration: runtime additions are dropped, differences applied. */
  loadConfig(conf: ConfIntents): void {
    this.conf = conf;
    this.commands.clear();
    this.problems.clear(); // a reload reports everything again
    // As upstream re-reads interfaces on reload, in case an event was missed.
    this.links = new Links(this.kernel.links());
    this.reconcile();
  }

  /** Interfaces came or went: re-resolve everything against what exists now. */
  linksChanged(): void {
    const links = new Links(this.kernel.links());
    // Netlink also reports changes that do not matter here (up/down, MTU, ...).
    if (links.sameAs(this.links)) return;
    this.links = links;
    this.reconcile();
  }

  private reconcile(): void {
    const d = buildDesired(this.conf, this.links);
    const ctx = desiredContext(d, this.links);
    for (const op of this.commands.replay()) {
      const res = applyOp(op, ctx);
      if (res.pending) d.pending.push(res.pending);
    }
    this.applyDesired(d);
  }

  private applyDesired(d: Desired): void {
    // Link events re-resolve everything; say each problem once, not at every event.
    const problems = new Set(d.problems.map((p) => `${p.origin}: ${p.message}`));
    for (const p of problems) if (!this.problems.has(p)) this.log.warning(p);
    this.problems = problems;
    this.settings = d.settings;
    const dirty = new Map<string, Dirty>();
    for (const rule of [...this.rules.values()]) {
      if (!d.rules.get(rule.key)) this.deleteRule(rule.key, dirty);
    }
    for (const rule of d.rules.values()) {
      const old = this.rules.get(rule.key);
      if (!old || !sameOifs(old.oifs, rule.oifs)) this.setRule(rule, dirty);
    }
    this.vifNeeds = new Set(d.vifNeeds);
    this.syncVifs(dirty);
    this.recompute(dirty);
    this.syncJoins(d);
    this.groups = d.groups;
    this.pending = d.pending;
  }

  // ---- rules and the MFC entries they cover ----

  private setRule(rule: Rule, dirty: Map<string, Dirty>): void {
    this.rules.set(rule);
    this.markCovered(rule, dirty);
  }

  private deleteRule(key: string, dirty: Map<string, Dirty>): void {
    const old = this.rules.delete(key);
    if (old) this.markCovered(old, dirty);
  }

  private markCovered(rule: Rule, dirty: Map<string, Dirty>): void {
    if (isSingleSG(rule)) {
      const { addr: source } = rule.source!;
      const group = rule.group.addr;
      dirty.set(sgKey(source, group), { family: rule.family, source, group, iif: rule.iif });
      return;
    }
    // A template covers learned flows on its inbound interface only.
    for (const k of this.mfc.keysOnIif(rule.family, rule.iif)) {
      const e = this.mfc.get(k)!;
      if (!contains(rule.group, e.group)) continue;
      if (rule.source && !contains(rule.source, e.source)) continue;
      dirty.set(k, { family: e.family, source: e.source, group: e.group, iif: e.iif });
    }
  }

  private recompute(dirty: Map<string, Dirty>): void {
    for (const [k, d] of dirty) this.recomputeOne(k, d);
  }

  private recomputeOne(k: string, d: Dirty): void {
    let e = this.mfc.get(k);
    let iif = e?.iif ?? d.iif;
    // A configured (S,G) on the hinted interface wins over a flow learned elsewhere.
    if (e && e.iif !== d.iif && this.rules.get(sgRuleKey(d.iif, d.source, d.group))) iif = d.iif;
    const matched = this.rules.match(d.family, iif, d.source, d.group);
    const configured = matched.some(isSingleSG);
    if (!e && !configured) return;
    if (matched.length === 0) {
      this.removeEntry(k);
      return;
    }
    if (!e) {
      e = newEntry(k, d.family, d.source, d.group, iif, false, this.clock());
      this.mfc.add(e);
    } else if (e.iif !== iif) {
      this.mfc.moveIif(e, iif);
    }
    e.learned = !configured;
    this.install(e, matched);
  }

  private install(e: MfcEntry, matched: readonly Rule[]): void {
    const table = this.vifs[e.family];
    const parent = table.get(e.iif);
    if (!parent) {
      this.log.warning(`No ${vifWord(e.family)} for inbound ${e.iif}, dropping (${formatAddr(e.source)},${formatAddr(e.group)})`);
      this.removeEntry(e.key);
      return;
    }
    const ttls = new Uint8Array(MAX_VIFS);
    for (const r of matched) {
      for (const o of r.oifs) {
        const slot = table.get(o);
        if (slot) ttls[slot.vif] = Math.max(1, slot.threshold);
      }
    }
    const cur = e.installed;
    if (cur && cur.parent === parent.vif && equalBytes(cur.ttls, ttls)) return;
    try {
      this.kernel.addMfc(e.family, { source: e.source, group: e.group, iif: parent.vif, ttls });
      e.installed = { parent: parent.vif, ttls };
    } catch (err) {
      this.log.err(`Failed installing (${formatAddr(e.source)},${formatAddr(e.group)}) from ${e.iif}: ${errText(err)}`);
    }
  }

  private removeEntry(k: string): void {
    const e = this.mfc.delete(k);
    if (!e?.installed) return;
    try {
      this.kernel.delMfc(e.family, e.source, e.group, e.installed.parent);
    } catch (err) {
      if (!(err instanceof KernelError && err.code === 'ENOENT')) {
        this.log.err(`Failed removing (${formatAddr(e.source)},${formatAddr(e.group)}): ${errText(err)}`);
      }
    }
  }

  // ---- VIFs / MIFs ----

  private syncVifs(dirty: Map<string, Dirty>): void {
    for (const family of this.open) {
      const table = this.vifs[family];
      for (const slot of table.values()) {
        const link = this.links.byName(slot.name);
        const want = this.vifNeeds.has(slot.name) && link !== undefined && link.multicast;
        if (want && link.index === slot.ifindex && settingsOf(this.settings, slot.name).threshold === slot.threshold) continue;
        this.releaseVif(family, slot, link !== undefined, dirty);
      }
    }
    for (const name of this.vifNeeds) this.ensureVif(name, dirty);
  }

  private releaseVif(family: Family, slot: VifSlot, linkExists: boolean, dirty: Map<string, Dirty>): void {
    this.vifs[family].remove(slot.name);
    try {
      this.kernel.delVif(family, slot.vif);
    } catch (err) {
      // The kernel drops the VIF itself when the interface goes away.
      if (linkExists) this.log.err(`Failed removing ${vifWord(family)} ${slot.vif} of ${slot.name}: ${errText(err)}`);
    }
    this.markUsing(family, slot.name, dirty);
  }

  /**
   * Marks every MFC entry that may use `name`: flows arriving on it, and the
   * entries of rules naming it (a rule deleted in this same change was
   * marked when it went).
   */
  private markUsing(family: Family, name: string, dirty: Map<string, Dirty>): void {
    for (const k of this.mfc.keysOnIif(family, name)) {
      const e = this.mfc.get(k)!;
      dirty.set(k, { family, source: e.source, group: e.group, iif: e.iif });
    }
    for (const rule of this.rules.naming(name)) if (rule.family === family) this.markCovered(rule, dirty);
  }

  /**
   * Gives `name` a VIF and a MIF if it lacks them; a message when none is free.
   * A rule naming `name` may predate its VIF (all 32 were taken when it was
   * resolved), so the entries such rules cover are marked for recomputing.
   */
  private ensureVif(name: string, dirty: Map<string, Dirty>): string | undefined {
    const link = this.links.byName(name);
    if (!link || !link.multicast) return undefined;
    let problem: string | undefined;
    const threshold = settingsOf(this.settings, name).threshold;
    for (const family of this.open) {
      const table = this.vifs[family];
      if (table.get(name)) continue;
      const vif = table.freeIndex();
      if (vif === undefined) {
        const msg = `No free ${vifWord(family)} for ${name}: all ${MAX_VIFS} are in use`;
        this.log.err(msg);
        problem ??= msg;
        continue;
      }
      try {
        this.kernel.addVif(family, vif, link.index, threshold);
        table.put({ vif, name, ifindex: link.index, threshold });
        this.log.debug(`Map ${name} => ${vifWord(family)} ${vif} ifindex ${link.index} TTL threshold ${threshold}`);
        this.markUsing(family, name, dirty);
      } catch (err) {
        const msg = `Failed creating ${vifWord(family)} for ${name}: ${errText(err)}`;
        this.log.err(msg);
        problem ??= msg;
      }
    }
    return problem;
  }

  // ---- group memberships ----

  private syncJoins(d: Desired): void {
    for (const live of [...this.joins.values()]) {
      const want = d.joins.get(live.key);
      if (want && want.ifindex === live.ifindex) {
        this.joins.put(live, d.joins.refsOf(live.key));
        continue;
      }
      this.leaveKernel(live);
      this.joins.delete(live.key);
    }
    for (const spec of d.joins.values()) {
      if (!this.joins.has(spec.key) && this.joinKernel(spec) === undefined) this.joins.put(spec, d.joins.refsOf(spec.key));
    }
  }

  private joinKernel(spec: JoinSpec): string | undefined {
    try {
      this.kernel.join(spec.ifindex, spec.group, spec.source);
      return undefined;
    } catch (err) {
      const msg = `Failed joining ${describeJoin(spec)}: ${errText(err)}`;
      this.log.err(msg);
      return msg;
    }
  }

  private leaveKernel(spec: JoinSpec): void {
    try {
      this.kernel.leave(spec.ifindex, spec.group, spec.source);
    } catch (err) {
      // A vanished interface took its memberships with it.
      if (this.links.byName(spec.ifname)?.index === spec.ifindex) this.log.err(`Failed leaving ${describeJoin(spec)}: ${errText(err)}`);
    }
  }

  // ---- runtime commands ----

  command(op: IpcOp): CommandResult {
    const dirty = new Map<string, Dirty>();
    const needs: string[] = [];
    const ctx: OpContext = {
      links: this.links,
      settings: this.settings,
      rules: {
        get: (k) => this.rules.get(k),
        set: (r) => this.setRule(r, dirty),
        delete: (k) => this.deleteRule(k, dirty),
      },
      groups: {
        getEntry: (k) => this.groups.get(k),
        addEntry: (entry, joins) => {
          // All of the entry's joins or none: a half-made entry would answer
          // "Already joined" to the operator's retry.
          const made: JoinSpec[] = [];
          for (const j of joins) {
            if (this.joins.has(j.key)) continue;
            const err = this.joinKernel(j);
            if (err) {
              for (const m of made) this.leaveKernel(m);
              return err;
            }
            made.push(j);
          }
          this.joins.acquire(joins);
          this.groups.set(entry.key, entry);
          return undefined;
        },
        deleteEntry: (key, joins) => {
          this.groups.delete(key);
          for (const gone of this.joins.release(joins)) this.leaveKernel(gone);
        },
      },
      needVif: (n) => void needs.push(n),
    };
    const res = applyOp(op, ctx);
    if (res.error) return { ok: false, error: res.error };
    for (const w of res.warnings) this.log.warning(`ipc: ${w}`);
    const problems: string[] = [];
    for (const n of needs) {
      this.vifNeeds.add(n);
      const p = this.ensureVif(n, dirty);
      if (p) problems.push(p);
    }
    this.recompute(dirty);
    this.commands.record(op);
    if (res.pending) this.pending.push(res.pending);
    // The command took effect as far as it could; say what is missing.
    if (problems.length > 0) return { ok: false, error: `${problems[0]!}; the rest of the command was applied` };
    return { ok: true, warnings: res.warnings };
  }

  // ---- kernel upcalls ----

  upcalls(batch: readonly Upcall[]): void {
    for (const u of batch) {
      if (!this.open.has(u.family)) continue;
      const slot = this.vifs[u.family].at(u.vif);
      if (!slot) {
        this.log.warning(`No matching interface for ${vifWord(u.family)} ${u.vif}, cannot handle upcall ${u.type}`);
        continue;
      }
      switch (u.kind) {
        case 'nocache':
          this.learn(u, slot.name);
          break;
        case 'wrongvif':
          this.wrongVif(u, slot.name);
          break;
        case 'wholepkt':
          this.log.warning(`Receiving PIM register data from ${formatAddr(u.source)}, group ${formatAddr(u.group)}`);
          break;
        default:
          this.log.debug(`Unknown upcall ${u.type} from kernel`);
      }
    }
  }

  private learn(u: Upcall, iif: string): void {
    const k = sgKey(u.source, u.group);
    let e = this.mfc.get(k);
    // Several upcalls for one new flow can arrive in a burst: resolve once.
    if (e?.installed && e.iif === iif) return;
    const matched = this.rules.match(u.family, iif, u.source, u.group);
    // A burst brings thousands of these: build the text only when it is logged.
    const src = () => formatAddr(u.source);
    const grp = () => formatAddr(u.group);
    this.log.debug(() => `New multicast data from ${src()} to group ${grp()} on ${iif}`);
    if (!e) {
      e = newEntry(k, u.family, u.source, u.group, iif, true, this.clock());
      this.mfc.add(e);
    } else if (e.iif !== iif) {
      this.mfc.moveIif(e, iif);
    }
    e.learned = !matched.some(isSingleSG);
    if (matched.length === 0) this.log.info(() => `Multicast from ${src()}, group ${grp()}, on ${iif} does not match any (*,G) rule`);
    this.install(e, matched);
  }

  private wrongVif(u: Upcall, iif: string): void {
    const matched = this.rules.match(u.family, iif, u.source, u.group);
    const src = formatAddr(u.source);
    const grp = formatAddr(u.group);
    if (!matched.some((r) => !isSingleSG(r))) {
      this.log.info(`Multicast from ${src}, group ${grp} on wrong ${vifWord(u.family)} ${u.vif}, iface ${iif}`);
      return;
    }
    const k = sgKey(u.source, u.group);
    let e = this.mfc.get(k);
    if (!e) {
      e = newEntry(k, u.family, u.source, u.group, iif, true, this.clock());
      this.mfc.add(e);
    } else {
      this.mfc.moveIif(e, iif);
    }
    this.install(e, matched);
    this.log.notice(`Moved (${src},${grp}) inbound to ${iif} after WRONG${vifWord(u.family)}`);
  }

  // ---- expiry ----

  /** Removes learned routes whose packet count stood still for `maxIdle` seconds. */
  expire(maxIdle: number = this.opts.cacheTimeout): number {
    const now = this.clock();
    let removed = 0;
    for (const e of [...this.mfc.values()]) {
      if (!e.learned || !e.installed) continue;
      const c = this.kernel.counters(e.family, e.source, e.group);
      if (!c) {
        this.mfc.delete(e.key); // the kernel no longer has it
        continue;
      }
      const valid = c.packets - c.wrongIf;
      if (valid !== e.lastValid) {
        e.lastValid = valid;
        e.lastActive = now;
        continue;
      }
      if (now - e.lastActive >= maxIdle * 1000) {
        this.removeEntry(e.key);
        removed++;
      }
    }
    return removed;
  }

  /** `smcroutectl flush`: every learned route goes now; live flows are re-learned on their next packet. */
  flush(): number {
    let removed = 0;
    for (const e of [...this.mfc.values()]) {
      if (!e.learned) continue;
      this.removeEntry(e.key);
      removed++;
    }
    return removed;
  }

  // ---- teardown ----

  /** Leaves every group and closes the routing sockets (the kernel flushes the table). */
  stop(): void {
    for (const j of this.joins.values()) this.leaveKernel(j);
    this.joins.clear();
    for (const family of this.open) {
      try {
        this.kernel.closeMroute(family);
      } catch (err) {
        this.log.err(`Failed closing ${family} multicast routing: ${errText(err)}`);
      }
    }
    this.open.clear();
  }

  // ---- views for show (built in views.ts from the state held here) ----

  private viewState(): ViewState {
    return { rules: this.rules, mfc: this.mfc, vifs: this.vifs, joins: this.joins, groups: this.groups, links: this.links, kernel: this.kernel };
  }

  showRoutes(mode: ShowMode): RoutesSnapshot {
    return routesView(this.viewState(), mode);
  }

  showGroups(): GroupsSnapshot {
    return groupsView(this.viewState());
  }

  showInterfaces(): InterfacesSnapshot {
    return interfacesView(this.viewState());
  }

  showPending(): readonly PendingView[] {
    return this.pending;
  }

  /** Counts for logs and tests. */
  stats(): { rules: number; mfc: number; learned: number; joins: number } {
    let learned = 0;
    for (const e of this.mfc.values()) if (e.learned) learned++;
    return { rules: this.rules.size, mfc: this.mfc.size, learned, joins: this.joins.size };
  }
}

/** A store view of a Desired, so the runtime command log can be replayed onto it. */
function desiredContext(d: Desired, links: Links): OpContext {
  return {
    links,
    settings: d.settings,
    rules: { get: (k) => d.rules.get(k), set: (r) => d.rules.set(r), delete: (k) => void d.rules.delete(k) },
    groups: {
      getEntry: (k) => d.groups.get(k),
      addEntry: (entry, joins) => {
        d.groups.set(entry.key, entry);
        d.joins.acquire(joins);
        return undefined; // the kernel is not touched here: nothing can fail
      },
      deleteEntry: (key, joins) => {
        d.groups.delete(key);
        d.joins.release(joins);
      },
    },
    needVif: (n) => void d.vifNeeds.add(n),
  };
}

function newEntry(key: string, family: Family, source: Addr, group: Addr, iif: string, learned: boolean, now: number): MfcEntry {
  return { key, family, source, group, iif, learned, lastValid: 0n, lastActive: now };
}

function vifWord(family: Family): string {
  return family === 'inet' ? 'VIF' : 'MIF';
}

function describeJoin(j: JoinSpec): string {
  return `(${j.source ? formatAddr(j.source) : '*'},${formatAddr(j.group)}) on ${j.ifname}`;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
