// The runtime commands (smcroutectl add/remove/join/leave) as operations on
// a rule and group store. The same code edits the live state on a command
// and replays the command log onto a fresh desired state after a link
// change, so both paths agree. Pure.

import { formatPrefix } from '../model/addr.js';
import type { PendingView } from '../show/types.js';
import { resolveJoin, resolveRoute, routePending, type GroupEntry, type IfaceSettings, type JoinSpec } from './desired.js';
import type { JoinIntent, RouteIntent } from './intents.js';
import type { Links } from './links.js';
import { makeRule, withMoreOifs, type Rule } from './rule.js';

export type IpcOp =
  | { readonly op: 'add'; readonly intent: RouteIntent }
  | { readonly op: 'remove'; readonly intent: RouteIntent }
  | { readonly op: 'join'; readonly intent: JoinIntent }
  | { readonly op: 'leave'; readonly intent: JoinIntent };

export interface RuleStore {
  get(key: string): Rule | undefined;
  set(rule: Rule): void;
  delete(key: string): void;
}

export interface GroupStore {
  getEntry(key: string): GroupEntry | undefined;
  /** Adds the entry and its joins, or changes nothing and says why. */
  addEntry(entry: GroupEntry, joins: readonly JoinSpec[]): string | undefined;
  deleteEntry(key: string, joins: readonly JoinSpec[]): void;
}

export interface OpContext {
  readonly links: Links;
  readonly settings: ReadonlyMap<string, IfaceSettings>;
  readonly rules: RuleStore;
  readonly groups: GroupStore;
  /** Interfaces that now need a VIF/MIF. */
  needVif(name: string): void;
}

export interface OpResult {
  /** Refused: nothing changed. */
  readonly error?: string;
  readonly warnings: string[];
  readonly pending?: PendingView;
}

export function applyOp(op: IpcOp, ctx: OpContext): OpResult {
  switch (op.op) {
    case 'add': return addRoute(op.intent, ctx);
    case 'remove': return removeRoute(op.intent, ctx);
    case 'join': return join(op.intent, ctx);
    case 'leave': return leave(op.intent, ctx);
  }
}

function addRoute(intent: RouteIntent, ctx: OpContext): OpResult {
  const res = resolveRoute(intent, ctx.links, ctx.settings);
  const warnings = res.problems.map((p) => p.message);
  if (res.iifMissing) return { error: `Unknown inbound interface ${intent.iif}`, warnings };
  if (res.rules.length === 0) return { error: warnings[0] ?? `No usable inbound interface ${intent.iif}`, warnings };
  for (const rule of res.rules) {
    const old = ctx.rules.get(rule.key);
    ctx.rules.set(old ? withMoreOifs(old, rule.oifs) : rule);
    ctx.needVif(rule.iif);
    for (const o of rule.oifs) ctx.needVif(o);
  }
  return { warnings, pending: routePending(intent, res) };
}

function removeRoute(intent: RouteIntent, ctx: OpContext): OpResult {
  const res = resolveRoute(intent, ctx.links, ctx.settings);
  const warnings = res.problems.map((p) => p.message);
  if (res.iifMissing) return { error: `Unknown inbound interface ${intent.iif}`, warnings };
  const found = res.rules.filter((r) => ctx.rules.get(r.key));
  if (found.length === 0) {
    const src = intent.source ? formatPrefix(intent.source) : '*';
    return { error: `No such route (${src}, ${formatPrefix(intent.group)}) from ${intent.iif}`, warnings };
  }
  for (const rule of found) {
    const old = ctx.rules.get(rule.key)!;
    if (intent.oifs.length === 0) {
      ctx.rules.delete(rule.key);
      continue;
    }
    // Only the named outbound interfaces go; with none left the route stays as a stop filter.
    const left = [...old.oifs].filter((o) => !rule.oifs.has(o));
    ctx.rules.set(makeRule(old.iif, old.source, old.group, left));
  }
  return { warnings };
}

function describe(intent: JoinIntent): string {
  const src = intent.source ? formatPrefix(intent.source) : '*';
  return `(${src},${formatPrefix(intent.group)}) on ${intent.iif}`;
}

function join(intent: JoinIntent, ctx: OpContext): OpResult {
  const res = resolveJoin(intent, ctx.links, ctx.settings);
  const warnings = res.problems.map((p) => p.message);
  if (ctx.groups.getEntry(res.entry.key)) return { error: `Already joined ${describe(intent)}`, warnings };
  if (res.iifMissing) return { error: `Unknown interface ${intent.iif}`, warnings };
  if (res.joins.length === 0) return { error: warnings[0] ?? `Cannot join ${describe(intent)}`, warnings };
  const failed = ctx.groups.addEntry(res.entry, res.joins);
  if (failed) return { error: failed, warnings };
  for (const j of res.joins) ctx.needVif(j.ifname);
  return { warnings };
}

function leave(intent: JoinIntent, ctx: OpContext): OpResult {
  const res = resolveJoin(intent, ctx.links, ctx.settings);
  if (!ctx.groups.getEntry(res.entry.key)) return { error: `No group ${describe(intent)} to leave`, warnings: [] };
  ctx.groups.deleteEntry(res.entry.key, res.joins);
  return { warnings: [] };
}
