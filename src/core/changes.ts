// What each request does to the desired state, as a Change to commit: a
// configuration line and the runtime command of the same kind share one
// function, as upstream's IPC handler calls its config-line functions.
// Runtime commands are stricter only in what they refuse. Pure.

import { formatPrefix } from '../model/addr.js';
import type { Command, ConfIntents, JoinIntent, PhyintIntent, RouteIntent } from '../model/intents.js';
import { fail, ok, type Result } from '../result.js';
import { commit, emptyDesired, type Change, type Desired, type RuleChange } from './desired.js';
import type { Links } from './links.js';
import { joinPending, resolveJoin, resolveRoute, routePending, type ResolvedJoin, type ResolvedRoute } from './resolve.js';
import type { ResolveMemo } from './resolve-memo.js';
import { makeRule, withMoreOifs, type Rule } from './rule.js';

/**
 * The configuration's state, then the runtime commands replayed on top: the
 * state every reload and every interface change starts from. With a memo,
 * a route resolved cleanly last time against the same interfaces is not
 * resolved again.
 */
export function buildDesired(conf: ConfIntents, links: Links, commands: Iterable<Command> = [], memo?: ResolveMemo): Desired {
  const d = emptyDesired();
  applyPhyints(d, conf.phyints, links);
  memo?.begin(links, d.settings);
  const record = (change: Change) => {
    if (change.problems.length > 0) d.problems.push(...change.problems);
    commit(d, change);
  };
  const needs = new VifNeeds(d);
  for (const r of conf.routes) {
    const known = memo?.get(r);
    if (known) {
      addRule(d, known, needs);
      continue;
    }
    const res = resolveRoute(r, links, d.settings);
    const rule = res.rules.length === 1 && isClean(res) ? res.rules[0] : undefined;
    if (!rule) {
      record(addRoute(d, r, res));
      continue;
    }
    // The common case, a route that resolved cleanly to one rule: what commit(d, addRoute(...))
    // does, without building the Change (a large start-up does this 50,000 times).
    addRule(d, rule, needs);
    memo?.remember(r, rule);
  }
  memo?.end(conf.routes);
  for (const j of conf.joins) {
    const res = resolveJoin(j, links, d.settings);
    record(d.groups.has(res.entry.key) ? alreadyJoined(j, res) : addJoin(j, res));
  }
  // Their problems were told to the operator when the commands came.
  for (const cmd of commands) {
    const change = planCommand(d, cmd, links);
    if (change.ok) commit(d, change.value);
  }
  return d;
}

/**
 * Adds rules' interfaces to the VIF needs of a state being built, each outbound set once:
 * routes share a few sets, and walking each route's set again was garbage for nothing.
 */
class VifNeeds {
  private readonly seen = new Set<ReadonlySet<string>>();

  constructor(private readonly d: Desired) {}

  add(rule: Rule): void {
    this.d.vifNeeds.add(rule.iif);
    if (this.seen.has(rule.oifs)) return;
    this.seen.add(rule.oifs);
    for (const o of rule.oifs) this.d.vifNeeds.add(o);
  }
}

function isClean(res: ResolvedRoute): boolean {
  return !res.iifMissing && res.oifsMissing.length === 0 && res.problems.length === 0;
}

function applyPhyints(d: Desired, phyints: readonly PhyintIntent[], links: Links): void {
  for (const p of phyints) {
    const matched = links.resolve(p.ifname);
    if (matched.length === 0) {
      d.problems.push({ origin: p.origin, message: `phyint ${p.ifname} does not exist (yet?) on this system` });
      continue;
    }
    // A bare `phyint X` enables X, as upstream does without -N (and -N is a no-op in 2.6).
    const enable = p.enable ?? true;
    if (p.mrdisc && !enable) {
      d.problems.push({ origin: p.origin, message: `phyint ${p.ifname}: mrdisc has no effect on a disabled interface` });
    }
    for (const l of matched) {
      if (p.mrdisc && enable && !l.multicast) {
        d.problems.push({ origin: p.origin, message: `phyint ${p.ifname}: ${l.name} is not multicast capable, no mrdisc there` });
      }
      d.settings.set(l.name, { threshold: p.threshold, disabled: !enable, mrdisc: p.mrdisc });
      if (enable && l.multicast) d.vifNeeds.add(l.name);
      else d.vifNeeds.delete(l.name);
    }
  }
}

/** A runtime command as a change, or why it is refused (then nothing changes). */
export function planCommand(d: Desired, cmd: Command, links: Links): Result<Change> {
  switch (cmd.op) {
    case 'add': {
      const res = resolveRoute(cmd.intent, links, d.settings);
      if (res.iifMissing) return fail(`Unknown inbound interface ${cmd.intent.iif}`);
      if (res.rules.length === 0) {
        // No rule means no usable inbound interface: say that, not a complaint about an outbound one.
        return fail(res.iifRefused ?? `No usable inbound interface ${cmd.intent.iif}`);
      }
      return ok(addRoute(d, cmd.intent, res));
    }
    case 'remove':
      return removeRoute(d, cmd.intent, resolveRoute(cmd.intent, links, d.settings));
    case 'join': {
      const res = resolveJoin(cmd.intent, links, d.settings);
      if (d.groups.has(res.entry.key)) return fail(`Already joined ${describe(cmd.intent)}`);
      if (res.iifMissing) return fail(`Unknown interface ${cmd.intent.iif}`);
      if (res.joins.length === 0) return fail(res.problems[0]?.message ?? `Cannot join ${describe(cmd.intent)}`);
      return ok(addJoin(cmd.intent, res));
    }
    case 'leave': {
      const res = resolveJoin(cmd.intent, links, d.settings);
      const entry = d.groups.get(res.entry.key);
      if (!entry) return fail(`No group ${describe(cmd.intent)} to leave`);
      return ok({ rules: [], group: { op: 'delete', entry, joins: res.joins }, vifNeeds: [], problems: [] });
    }
  }
}

/** Equal rules (in one file, or from the file and a command) merge their outbound sets. */
function addRoute(d: Desired, intent: RouteIntent, res: ResolvedRoute): Change {
  const rules: RuleChange[] = [];
  const vifNeeds: string[] = [];
  for (const rule of res.rules) {
    rules.push(merged(d, rule));
    vifNeeds.push(rule.iif, ...rule.oifs);
  }
  return { rules, vifNeeds, pending: routePending(intent, res), problems: res.problems };
}

function merged(d: Desired, rule: Rule): RuleChange {
  const before = d.rules.get(rule.key);
  return { before, after: before ? withMoreOifs(before, rule.oifs) : rule };
}

/** What commit(d, addRoute(...)) does for a route that resolved cleanly to exactly `rule`. */
function addRule(d: Desired, rule: Rule, needs: VifNeeds): void {
  const before = d.rules.get(rule.key);
  const after = before ? withMoreOifs(before, rule.oifs) : rule;
  if (before) d.rules.set(after);
  else d.rules.insert(after);
  needs.add(after);
}

/** Without outbound interfaces the route goes; with some, only those go and the route stays. */
function removeRoute(d: Desired, intent: RouteIntent, res: ResolvedRoute): Result<Change> {
  if (res.iifMissing) return fail(`Unknown inbound interface ${intent.iif}`);
  const rules: RuleChange[] = [];
  for (const named of res.rules) {
    const before = d.rules.get(named.key);
    if (!before) continue;
    if (intent.oifs.length === 0) {
      rules.push({ before });
      continue;
    }
    const left = [...before.oifs].filter((o) => !named.oifs.has(o));
    rules.push({ before, after: makeRule(before.iif, before.source, before.group, left) });
  }
  if (rules.length === 0) {
    const src = intent.source ? formatPrefix(intent.source) : '*';
    return fail(`No such route (${src}, ${formatPrefix(intent.group)}) from ${intent.iif}`);
  }
  return ok({ rules, vifNeeds: [], problems: res.problems });
}

function addJoin(intent: JoinIntent, res: ResolvedJoin): Change {
  const base = { rules: [], problems: res.problems };
  if (res.iifMissing) return { ...base, vifNeeds: [], pending: joinPending(intent) };
  if (res.joins.length === 0) return { ...base, vifNeeds: [] };
  return { ...base, group: { op: 'add', entry: res.entry, joins: res.joins }, vifNeeds: res.joins.map((j) => j.ifname) };
}

function alreadyJoined(j: JoinIntent, res: ResolvedJoin): Change {
  const problems = [...res.problems];
  if (!res.iifMissing && res.joins.length > 0) {
    problems.push({ origin: j.origin, message: `already joined ${j.text.source ?? '*'},${j.text.group} on ${j.iif}` });
  }
  return { rules: [], vifNeeds: [], problems, ...(res.iifMissing && { pending: joinPending(j) }) };
}

function describe(intent: JoinIntent): string {
  const src = intent.source ? formatPrefix(intent.source) : '*';
  return `(${src},${formatPrefix(intent.group)}) on ${intent.iif}`;
}
