// The one stateful object: the desired state and the kernel state that
// follows it. Every input (a reload, a command, a link event, an upcall,
// the expiry timer) ends in the same apply step: memberships, then VIFs,
// then the forwarding entries the change touched. Reads no files or sockets.

import { KernelError, describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { FAMILIES, formatAddr, vifWord, type Addr, type Family } from '../model/addr.js';
import type { Command, ConfIntents } from '../model/intents.js';
import { fail, ok, type Result } from '../result.js';
import type { ExplainState } from '../core/explain.js';
import type { Kernel, MrdiscHeard, Upcall } from '../kernel/types.js';
import type { GroupsSnapshot, InterfacesSnapshot, PendingView, RoutesSnapshot, ShowMode } from '../show/types.js';
import { buildDesired, planCommand } from '../core/changes.js';
import { CommandLog } from '../core/command-log.js';
import {
  commit,
  diffRules,
  emptyDesired,
  membershipsOf,
  type Desired,
  type MembershipPlan,
  type RuleChange,
} from '../core/desired.js';
import type { ConfigPlan } from '../core/config-plan.js';
import { Links } from '../core/links.js';
import { MRDISC_INTERVAL } from '../model/limits.js';
import { ResolveMemo } from '../core/resolve-memo.js';
import type { Pending } from '../core/resolve.js';
import { planVifs } from '../core/vif-plan.js';
import { Forwarding, type Dirty, type UpcallOutcome } from './forwarding.js';
import { Memberships } from './memberships.js';
import { Mrdisc, realTimers, type Timers } from './mrdisc.js';
import type { StatsSnapshot } from './stats.js';
import { groupsView, interfacesView, routesView, type ViewState } from './views.js';
import { Vifs } from './vifs.js';
import { Counters } from './counters.js';
import { EventBus } from './events.js';

export interface RouterOptions {
  /** Multicast routing table (-t). */
  readonly table: number;
  /** Learned routes idle this long are flushed (-c), in seconds; 0 = never. */
  readonly cacheTimeout: number;
  /** Learned and stop-filter entries kept at most (--max-learned); the least recently active go first. */
  readonly maxLearned?: number;
  /** Seconds between router discovery advertisements (-m); default RFC 4286's 20. */
  readonly mrdiscInterval?: number;
  /** Told of each route learned from a template (or moved after WRONGVIF) that now forwards. */
  readonly onLearned?: (route: LearnedRoute) => void;
  /** Where the router tells what it does (for `smcroutectl monitor`); a bus of its own by default. */
  readonly events?: EventBus;
  /** Counted into these (for `Daemon.counters()`); counters of its own by default. */
  readonly counters?: Counters;
}

/** What a configuration load changed. */
export interface LoadSummary {
  readonly routesAdded: number;
  readonly routesRemoved: number;
  readonly joinsChanged: number;
}

/** A flow a template covers, installed forwarding somewhere. */
export interface LearnedRoute {
  readonly family: Family;
  readonly source: Addr;
  readonly group: Addr;
  readonly iif: string;
}

/** A command applied, with what looked wrong but did not stop it. */
export interface Applied {
  readonly warnings: readonly string[];
}

export class Router {
  private links: Links = new Links([]);
  private conf: ConfIntents = { phyints: [], routes: [], joins: [] };
  /** Runtime commands since the last reload, replayed after link changes. */
  private readonly commands = new CommandLog();
  /** What each configured route resolved to at the last rebuild. */
  private readonly resolved = new ResolveMemo();
  private desired: Desired = emptyDesired();
  /** Problems reported by the last rebuild, so repeats stay quiet. */
  private problems = new Set<string>();
  private readonly open = new Set<Family>();
  private readonly vifs: Vifs;
  private readonly memberships: Memberships;
  private readonly forwarding: Forwarding;
  private readonly mrdisc: Mrdisc;
  readonly events: EventBus;
  readonly counters: Counters;

  constructor(
    private readonly kernel: Kernel,
    private readonly log: Logger,
    private readonly opts: RouterOptions,
    clock: () => number = () => performance.now(),
    timers: Timers = realTimers,
  ) {
    this.events = opts.events ?? new EventBus();
    this.counters = opts.counters ?? new Counters();
    this.vifs = new Vifs(kernel, log, this.events);
    this.memberships = new Memberships(kernel, log);
    this.forwarding = new Forwarding(kernel, log, this.vifs, clock, this.events, this.counters, opts.maxLearned);
    this.mrdisc = new Mrdisc(kernel, log, opts.mrdiscInterval ?? MRDISC_INTERVAL.default, clock, timers);
  }

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

  /** Replaces the configuration: runtime additions are dropped, differences applied. */
  loadConfig(conf: ConfIntents): LoadSummary {
    this.conf = conf;
    this.commands.clear();
    this.problems.clear(); // a reload reports everything again
    // As upstream re-reads interfaces on reload, in case an event was missed.
    this.links = new Links(this.kernel.links());
    return this.rebuild(true);
  }

  /**
   * Indexes what the last rebuild remembered for the next one (resolve-memo.ts). Loading puts
   * it off so the routes reach the kernel first; the daemon calls this once the load is done.
   */
  settle(): void {
    this.resolved.settle();
  }

  /** Interfaces came or went: re-resolve everything against what exists now. */
  linksChanged(): void {
    const links = new Links(this.kernel.links());
    // A link coming up matters to router discovery only.
    this.mrdisc.linksChanged(links);
    // Netlink also reports changes that do not matter here (up/down, MTU, ...).
    if (links.sameAs(this.links)) return;
    this.links = links;
    const pendingBefore = this.events.active ? this.desired.pending : [];
    this.rebuild();
    if (pendingBefore.length > 0) this.announceActivated(pendingBefore);
  }

  /**
   * The configuration is the same across a link event, so a rule no longer pending is one whose
   * interface appeared.
   */
  private announceActivated(before: readonly Pending[]): void {
    const key = (p: Pending) => JSON.stringify([p.kind, p.iif, p.source, p.group, p.oifs]);
    const still = new Set(this.desired.pending.map(key));
    for (const p of before) {
      if (still.has(key(p))) continue;
      const { kind, iif, group, oifs } = p;
      this.events.emit({ event: 'pending-activated', kind, iif, source: p.source ?? null, group, oifs });
    }
  }

  /** A runtime command: planned on the desired state, then applied as a reload is. */
  command(cmd: Command): Result<Applied> {
    const planned = planCommand(this.desired, cmd, this.links);
    if (!planned.ok) return planned;
    const change = planned.value;
    const joined = this.memberships.apply(membershipsOf(this.desired, change), 'all-or-nothing', this.links);
    if (!joined.ok) return joined;
    // Made from nothing (every rule new, or a join, which is refused when already there).
    const created = cmd.op === 'join' || (cmd.op === 'add' && change.rules.every((r) => !r.before));
    commit(this.desired, change);
    this.commands.record(cmd, created);
    const warnings = change.problems.map((p) => p.message);
    for (const w of warnings) this.log.warning(`ipc: ${w}`, { cmd: cmd.op, iif: cmd.intent.iif });
    const [missing] = this.converge(change.rules, change.vifNeeds);
    // The command took effect as far as it could; say what is missing.
    if (missing !== undefined) return fail(`${missing}; the rest of the command was applied`);
    return ok({ warnings });
  }

  /**
   * What loadConfig(conf) would change, found by the code it runs and
   * changing nothing: no kernel call, and neither the state, the command
   * log nor the resolve memo is touched (the next real reload starts from
   * what this one would have).
   */
  planConfig(conf: ConfIntents): ConfigPlan {
    // loadConfig clears the command log: the runtime changes do not come back.
    const next = buildDesired(conf, this.links);
    const { rules, joins } = this.planTo(next);
    // What Vifs.sync would do, done by nobody.
    const vifs = planVifs(this.vifs.tables, this.open, next.vifNeeds, next.vifNeeds, next.settings, this.links);
    return { rules, joins, vifs, problems: next.problems, runtimeDropped: this.commands.size };
  }

  /** The rules and memberships that differ between now and `next`: the first part of every rebuild. */
  private planTo(next: Desired): { rules: RuleChange[]; joins: MembershipPlan } {
    return { rules: diffRules(this.desired.rules, next.rules), joins: this.memberships.diff(next.joins) };
  }

  /** `retry`: routes the kernel refused before are tried again, as an operator's reload expects. */
  private rebuild(retry = false): LoadSummary {
    const next = buildDesired(this.conf, this.links, this.commands.replay(), this.resolved);
    // Link events re-resolve everything; say each problem once, not at every event.
    const problems = new Set(next.problems.map((p) => `${p.origin}: ${p.message}`));
    for (const p of problems) if (!this.problems.has(p)) this.log.warning(p);
    this.problems = problems;
    const { rules, joins } = this.planTo(next);
    this.memberships.apply(joins, 'best-effort', this.links);
    this.desired = next;
    this.converge(rules, next.vifNeeds, retry);
    this.mrdisc.sync(this.mrdiscLinks(), this.links);
    let routesAdded = 0;
    let routesRemoved = 0;
    for (const r of rules) {
      if (r.after) routesAdded++;
      if (r.before) routesRemoved++;
    }
    return { routesAdded, routesRemoved, joinsChanged: joins.join.length + joins.leave.length };
  }

  /**
   * Links that advertise themselves as a multicast router (RFC 4286, IPv4):
   * those a phyint flags `mrdisc` and does not disable, present and
   * multicast-capable, while IPv4 multicast routing is open.
   */
  private mrdiscLinks(): Map<string, number> {
    const out = new Map<string, number>();
    if (!this.open.has('inet')) return out;
    for (const [name, s] of this.desired.settings) {
      const link = this.links.byName(name);
      if (s.mrdisc && !s.disabled && link?.multicast) out.set(name, link.index);
    }
    return out;
  }

  /** A router discovery message heard on a link (the kernel's onMrdisc). */
  mrdiscHeard(h: MrdiscHeard): void {
    this.mrdisc.heard(h);
  }

  /**
   * Second half of the apply step every change goes through (the first is
   * memberships, then committing the desired state): VIFs for what is
   * needed now, then the forwarding entries the rules and VIFs touched.
   * Returns the VIFs that could not be made.
   */
  private converge(rules: readonly RuleChange[], vifsToMake: Iterable<string>, retry = false): string[] {
    const d = this.desired;
    const dirty: Dirty = new Map();
    // Every change's `after` is in the desired state already (committed, or the state rebuilt).
    let added = 0;
    for (const { before, after } of rules) {
      if (before) this.forwarding.markCovered(before, dirty);
      if (!after) continue;
      this.forwarding.markCovered(after, dirty);
      added++;
    }
    // Every rule changed (a start-up): their entries are marked, whatever VIFs come.
    const unmarked = added === d.rules.size ? undefined : d.rules;
    const synced = this.vifs.sync(this.open, d.vifNeeds, vifsToMake, d.settings, this.links);
    for (const c of synced.changed) this.forwarding.markUsing(c.family, c.name, unmarked, dirty);
    if (retry) this.forwarding.markRefused(dirty);
    this.forwarding.recompute(dirty, d.rules);
    return synced.problems;
  }

  upcalls(batch: readonly Upcall[]): void {
    const counters = this.counters;
    for (const u of batch) {
      counters.upcalls[u.kind]++;
      if (!this.open.has(u.family)) continue;
      const slot = this.vifs.tables[u.family].at(u.vif);
      if (!slot) {
        this.log.warning(`No matching interface for ${vifWord(u.family)} ${u.vif}, cannot handle upcall ${u.type}`);
        continue;
      }
      if (this.events.active) this.announceUpcall('upcall', u, slot.name);
      let outcome: UpcallOutcome | undefined;
      switch (u.kind) {
        case 'nocache':
          outcome = this.forwarding.learn(u, slot.name, this.desired.rules);
          break;
        case 'wrongvif':
          outcome = this.forwarding.wrongVif(u, slot.name, this.desired.rules);
          break;
        case 'wholepkt':
          this.log.warning(() => `Receiving PIM register data from ${formatAddr(u.source)}, group ${formatAddr(u.group)}`);
          break;
        default:
          this.log.debug(`Unknown upcall ${u.type} from kernel`);
      }
      if (outcome?.forwards) this.learned(u, slot.name);
      if (outcome?.resolved && this.events.active) this.announceUpcall('resolved', u, slot.name);
    }
  }

  private announceUpcall(event: 'upcall' | 'resolved', u: Upcall, iif: string): void {
    const { family, kind } = u;
    this.events.emit({ event, family, kind, iif, source: formatAddr(u.source), group: formatAddr(u.group) });
  }

  private learned(u: Upcall, iif: string): void {
    this.opts.onLearned?.({ family: u.family, source: u.source, group: u.group, iif });
  }

  /** Removes learned routes whose packet count stood still for `maxIdle` seconds. */
  expire(maxIdle: number = this.opts.cacheTimeout): number {
    return this.forwarding.expire(maxIdle);
  }

  /** `smcroutectl flush`: every learned route goes now; live flows are re-learned on their next packet. */
  flush(): number {
    return this.forwarding.flush();
  }

  /** Ends router discovery, leaves every group and closes the routing sockets (the kernel flushes the table). */
  stop(): void {
    this.mrdisc.stop();
    this.memberships.leaveAll(this.links);
    for (const family of this.open) {
      try {
        this.kernel.closeMroute(family);
      } catch (err) {
        this.log.err(`Failed closing ${family} multicast routing: ${describeError(err)}`);
      }
    }
    this.open.clear();
  }

  private viewState(): ViewState {
    return {
      rules: this.desired.rules,
      groups: this.desired.groups,
      mfc: this.forwarding.mfc,
      vifs: this.vifs.tables,
      joins: this.memberships,
      links: this.links,
      kernel: this.kernel,
    };
  }

  /** What `explain` reads; the tables themselves, read at once (they change with the next event). */
  explainState(): ExplainState {
    return {
      rules: this.desired.rules,
      mfc: this.forwarding.mfc,
      vifs: this.vifs.tables,
      links: this.links,
      settings: this.desired.settings,
      pending: this.desired.pending,
    };
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
    return this.desired.pending;
  }

  /**
   * The statistics snapshot (daemon/stats.ts), the one source for `smcroutectl top` and metrics.
   * Its module is loaded on the first call: a daemon nobody asks pays nothing for it.
   */
  async statsSnapshot(): Promise<StatsSnapshot> {
    const { statsSnapshot } = await import('./stats.js');
    return statsSnapshot({ mfc: this.forwarding.mfc, vifs: this.vifs.tables, kernel: this.kernel });
  }

  /** Counts for logs and tests. */
  stats(): { rules: number; mfc: number; learned: number; joins: number; commands: number } {
    let learned = 0;
    for (const e of this.forwarding.mfc.values()) if (e.learned) learned++;
    const s = { rules: this.desired.rules.size, mfc: this.forwarding.mfc.size, learned, joins: this.memberships.size };
    return { ...s, commands: this.commands.size };
  }
}
