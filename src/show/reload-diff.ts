// `smcroutectl reload --dry-run`: a reload plan as text (one line per
// difference) or as one JSON object. Pure; loaded by the daemon on the first
// dry run only, so a daemon that never gets one never loads it.

import type { Diagnostic } from '../conf/directives.js';
import type { JoinSpec } from '../core/resolve.js';
import type { Rule } from '../core/rule.js';
import type { VifStep } from '../core/vif-plan.js';
import { formatAddr, formatPrefix, vifWord, type Family } from '../model/addr.js';
import { count, jsonSource, jstr, routeSg } from './format.js';
import type { ReloadPlan } from './types.js';

/** The differences, each list in the order the reload would act. */
interface Diff {
  readonly routesAdd: readonly Rule[];
  readonly routesRemove: readonly Rule[];
  readonly routesChange: readonly { readonly rule: Rule; readonly add: readonly string[]; readonly remove: readonly string[] }[];
  readonly joinsAdd: readonly JoinSpec[];
  readonly joinsRemove: readonly JoinSpec[];
  readonly vifsAdd: readonly Extract<VifStep, { op: 'make' }>[];
  readonly vifsRemove: readonly Extract<VifStep, { op: 'release' }>[];
  readonly vifsChange: readonly Extract<VifStep, { op: 'threshold' }>[];
}

function diffOf(plan: ReloadPlan): Diff {
  const c = plan.changes;
  const routesAdd: Rule[] = [];
  const routesRemove: Rule[] = [];
  const routesChange: { rule: Rule; add: string[]; remove: string[] }[] = [];
  for (const { before, after } of c?.rules ?? []) {
    if (before && after) {
      const add = [...after.oifs].filter((o) => !before.oifs.has(o));
      const remove = [...before.oifs].filter((o) => !after.oifs.has(o));
      routesChange.push({ rule: after, add, remove });
    } else if (after) routesAdd.push(after);
    else if (before) routesRemove.push(before);
  }
  const steps = c?.vifs ?? [];
  return {
    routesAdd,
    routesRemove,
    routesChange,
    joinsAdd: c?.joins.join ?? [],
    joinsRemove: c?.joins.leave ?? [],
    vifsAdd: steps.filter((s) => s.op === 'make'),
    vifsRemove: steps.filter((s) => s.op === 'release'),
    vifsChange: steps.filter((s) => s.op === 'threshold'),
  };
}

function joinSg(j: JoinSpec): string {
  return `(${j.source ? formatAddr(j.source) : '*'}, ${formatAddr(j.group)})`;
}

/**
 * Text: a verdict first ("No changes", or "Reload would apply: ..."), which
 * is how smcroutectl tells it from a refusal; then one line per difference,
 * `+` added, `-` removed, `~` changed; then warnings and what is dropped.
 */
export function reloadPlanText(plan: ReloadPlan): string {
  const d = diffOf(plan);
  const lines: string[] = [];
  for (const r of d.routesAdd) lines.push(`+ route ${routeSg(r)} ${r.iif} >${[...r.oifs].map((o) => ` ${o}`).join('')}`);
  for (const r of d.routesRemove) lines.push(`- route ${routeSg(r)} ${r.iif} >${[...r.oifs].map((o) => ` ${o}`).join('')}`);
  for (const { rule, add, remove } of d.routesChange) {
    const oifs = [...add.map((o) => ` +${o}`), ...remove.map((o) => ` -${o}`)].join('');
    lines.push(`~ route ${routeSg(rule)} ${rule.iif} >${oifs}`);
  }
  for (const j of d.joinsAdd) lines.push(`+ join ${joinSg(j)} ${j.ifname}`);
  for (const j of d.joinsRemove) lines.push(`- join ${joinSg(j)} ${j.ifname}`);
  for (const v of d.vifsAdd) {
    const vif = v.vif === undefined ? `${vifWord(v.family)} (none free)` : `${vifWord(v.family)} ${v.vif}`;
    lines.push(`+ ${vif} ${v.name} ttl-threshold ${v.threshold}`);
  }
  for (const v of d.vifsRemove) lines.push(`- ${vifWord(v.family)} ${v.slot.vif} ${v.slot.name}`);
  for (const v of d.vifsChange) {
    lines.push(`~ ${vifWord(v.family)} ${v.slot.vif} ${v.slot.name} ttl-threshold ${v.slot.threshold} -> ${v.threshold}`);
  }
  const summary = [
    parts(
      ['route', 'routes'],
      ['added', d.routesAdd.length],
      ['removed', d.routesRemove.length],
      ['changed', d.routesChange.length],
    ),
    parts(['join', 'joins'], ['added', d.joinsAdd.length], ['removed', d.joinsRemove.length]),
    parts(
      ['VIF/MIF', 'VIFs/MIFs'],
      ['made', d.vifsAdd.length],
      ['released', d.vifsRemove.length],
      ['changed', d.vifsChange.length],
    ),
  ].filter((p) => p !== '');
  const head = summary.length === 0 ? 'No changes' : `Reload would apply: ${summary.join('; ')}`;
  const dropped = plan.changes?.runtimeDropped ?? 0;
  const notes = [
    ...plan.warnings,
    ...problems(plan),
    ...(dropped > 0 ? [`${count(dropped, 'runtime change')} (smcroutectl add/remove/join/leave) dropped`] : []),
  ];
  return [head, ...lines, ...notes].join('\n') + '\n';
}

/** The rebuild's problems as the file's own warnings read: `file:line: warning: message`. */
function problems(plan: ReloadPlan): string[] {
  return (plan.changes?.problems ?? []).map((p) => `${p.origin}: warning: ${p.message}`);
}

/** "2 routes added, 1 removed": the noun once, on the first count that is not zero. */
function parts(noun: readonly [string, string], ...counts: readonly (readonly [string, number])[]): string {
  const out: string[] = [];
  for (const [verb, n] of counts) {
    if (n === 0) continue;
    out.push(out.length === 0 ? `${count(n, noun[0], noun[1])} ${verb}` : `${n} ${verb}`);
  }
  return out.join(', ');
}

// ---------------------------------------------------------------- JSON

function ruleJson(r: Rule, extra = ''): string {
  const oifs = [...r.oifs].map(jstr).join(',');
  return `{"iif":${jstr(r.iif)},"source":${jsonSource(r.source)},"group":${jstr(formatPrefix(r.group))},"oifs":[${oifs}]${extra}}`;
}

function joinJson(j: JoinSpec): string {
  const src = j.source ? jstr(formatAddr(j.source)) : 'null';
  return `{"iif":${jstr(j.ifname)},"source":${src},"group":${jstr(formatAddr(j.group))}}`;
}

function vifJson(family: Family, name: string, vif: number | undefined, threshold: number, extra = ''): string {
  const n = vif === undefined ? 'null' : String(vif);
  return `{"family":${jstr(family)},"type":${jstr(vifWord(family))},"name":${jstr(name)},"vif":${n},"threshold":${threshold}${extra}}`;
}

function errorJson(e: Diagnostic): string {
  return `{"file":${jstr(e.where.file)},"line":${e.where.line},"message":${jstr(e.message)}}`;
}

/** One JSON object and a newline; its shape is documented in smcroutectl(8). */
export function reloadPlanJson(plan: ReloadPlan): string {
  const d = diffOf(plan);
  const list = <T>(xs: readonly T[], f: (x: T) => string) => `[${xs.map(f).join(',')}]`;
  const names = (xs: readonly string[]) => `[${xs.map(jstr).join(',')}]`;
  const routes =
    `{"add":${list(d.routesAdd, (r) => ruleJson(r))},"remove":${list(d.routesRemove, (r) => ruleJson(r))},` +
    `"change":${list(d.routesChange, (c) => ruleJson(c.rule, `,"add":${names(c.add)},"remove":${names(c.remove)}`))}}`;
  const joins = `{"add":${list(d.joinsAdd, joinJson)},"remove":${list(d.joinsRemove, joinJson)}}`;
  const vifs =
    `{"add":${list(d.vifsAdd, (v) => vifJson(v.family, v.name, v.vif, v.threshold))},` +
    `"remove":${list(d.vifsRemove, (v) => vifJson(v.family, v.slot.name, v.slot.vif, v.slot.threshold))},` +
    `"change":${list(d.vifsChange, (v) => vifJson(v.family, v.slot.name, v.slot.vif, v.threshold, `,"was":${v.slot.threshold}`))}}`;
  const warnings = [...plan.warnings, ...problems(plan)];
  return (
    `{"apply":${plan.refused === undefined},"file":${jstr(plan.file)},"routes":${routes},"joins":${joins},"vifs":${vifs},` +
    `"runtime_dropped":${plan.changes?.runtimeDropped ?? 0},"errors":${list(plan.errors, errorJson)},` +
    `"warnings":${names(warnings)}}\n`
  );
}
