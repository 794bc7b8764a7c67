// The state the kernel should be in: resolved rules, joins with reference
// counts, interfaces needing a VIF/MIF, and what waits for an interface;
// plus the one way to change it (commit a Change) and to compare two. Pure.

import type { GroupEntry, IfaceSettings, JoinSpec, Pending, Problem } from './resolve.js';
import type { Rule } from './rule.js';
import { sameOifs } from './rule.js';
import { JoinSet } from './join-set.js';
import { RuleTable } from './rule-table.js';

export interface Desired {
  readonly rules: RuleTable;
  /** Kernel joins, counted by how many entries want each (ranges may overlap). */
  readonly joins: JoinSet;
  readonly groups: Map<string, GroupEntry>;
  readonly settings: Map<string, IfaceSettings>;
  /** Interfaces that need a VIF and a MIF, by name. */
  readonly vifNeeds: Set<string>;
  readonly pending: Pending[];
  readonly problems: Problem[];
}

export function emptyDesired(): Desired {
  return {
    rules: new RuleTable(),
    joins: new JoinSet(),
    groups: new Map(),
    settings: new Map(),
    vifNeeds: new Set(),
    pending: [],
    problems: [],
  };
}

/** One rule added (no `before`), replaced, or deleted (no `after`). */
export interface RuleChange {
  readonly before?: Rule;
  readonly after?: Rule;
}

/** A join entry added or dropped, with the kernel joins it holds a reference to. */
export interface GroupChange {
  readonly op: 'add' | 'delete';
  readonly entry: GroupEntry;
  readonly joins: readonly JoinSpec[];
}

/** What one config line or one runtime command does to the desired state. */
export interface Change {
  readonly rules: readonly RuleChange[];
  readonly group?: GroupChange;
  readonly vifNeeds: readonly string[];
  readonly pending?: Pending;
  readonly problems: readonly Problem[];
}

/** Memberships the kernel must gain and lose. */
export interface MembershipPlan {
  readonly join: readonly JoinSpec[];
  readonly leave: readonly JoinSpec[];
}

/** Applies a change to the state; its problems are for the caller to report. */
export function commit(d: Desired, c: Change): void {
  for (const { before, after } of c.rules) {
    if (after) d.rules.set(after);
    else if (before) d.rules.delete(before.key);
  }
  if (c.group?.op === 'add') {
    d.groups.set(c.group.entry.key, c.group.entry);
    d.joins.acquire(c.group.joins);
  } else if (c.group?.op === 'delete') {
    d.groups.delete(c.group.entry.key);
    d.joins.release(c.group.joins);
  }
  for (const n of c.vifNeeds) d.vifNeeds.add(n);
  if (c.pending) d.pending.push(c.pending);
}

/** The kernel memberships a change makes or drops: references leaving or reaching zero. */
export function membershipsOf(d: Desired, c: Change): MembershipPlan {
  const g = c.group;
  if (!g) return { join: [], leave: [] };
  if (g.op === 'add') return { join: g.joins.filter((j) => d.joins.refsOf(j.key) === 0), leave: [] };
  return { join: [], leave: g.joins.filter((j) => d.joins.refsOf(j.key) === 1) };
}

/** The rules that differ between two states, as changes from `from` to `to`. */
export function diffRules(from: RuleTable, to: RuleTable): RuleChange[] {
  const out: RuleChange[] = [];
  for (const before of from.values()) {
    if (!to.get(before.key)) out.push({ before });
  }
  for (const after of to.values()) {
    const before = from.get(after.key);
    if (!before) out.push({ after });
    else if (before !== after && !sameOifs(before.oifs, after.oifs)) out.push({ before, after });
  }
  return out;
}
