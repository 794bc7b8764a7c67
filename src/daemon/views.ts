// What `show` lists, read off the router's state: configured rules, the
// kernel MFC copy, joins and interfaces. Reads only; counters come from the
// kernel in detail mode.

import type { GroupEntry, JoinSpec } from '../core/resolve.js';
import type { Links } from '../core/links.js';
import type { MfcTable } from '../core/mfc-table.js';
import { isSingleSG } from '../core/rule.js';
import type { RuleTable } from '../core/rule-table.js';
import type { VifSlot, VifTable } from '../core/vif-table.js';
import type { Kernel } from '../kernel/types.js';
import { maxLen, type Addr, type Family } from '../model/addr.js';
import type { GroupsSnapshot, InterfacesSnapshot, RouteView, RoutesSnapshot, ShowMode } from '../show/types.js';

export interface ViewState {
  readonly rules: RuleTable;
  readonly mfc: MfcTable;
  readonly vifs: Readonly<Record<Family, VifTable>>;
  /** Memberships the kernel holds now. */
  readonly joins: { values(): IterableIterator<JoinSpec> };
  readonly groups: ReadonlyMap<string, GroupEntry>;
  readonly links: Links;
  readonly kernel: Kernel;
}

export function routesView(st: ViewState, mode: ShowMode): RoutesSnapshot {
  const detail = mode === 'detail';
  const templates: RouteView[] = [];
  const sgRules: RouteView[] = [];
  for (const r of st.rules.values()) {
    const single = isSingleSG(r);
    const view: RouteView = {
      source: r.source,
      group: r.group,
      iif: r.iif,
      oifs: orderByVif(st.vifs[r.family], r.oifs),
      // Upstream asks the kernel for a template's (*,G) too, which never exists: zeros.
      ...(detail ? countersOf(st.kernel, r.family, single && r.source ? r.source.addr : undefined, r.group.addr) : {}),
    };
    (single ? sgRules : templates).push(view);
  }
  const installed: { view: RouteView; forwards: boolean }[] = [];
  for (const e of st.mfc.values()) {
    if (!e.installed) continue;
    const oifs = st.vifs[e.family].namesOf(e.ttls);
    const w = maxLen(e.family);
    const view: RouteView = {
      source: { addr: e.source, len: w },
      group: { addr: e.group, len: w },
      iif: e.iif,
      oifs,
      ...(detail ? countersOf(st.kernel, e.family, e.source, e.group) : {}),
    };
    installed.push({ view, forwards: oifs.length > 0 });
  }
  // Text lists forwarding entries before stop filters; JSON keeps install order, as upstream.
  const kernel =
    mode === 'json'
      ? installed.map((i) => i.view)
      : [...installed.filter((i) => i.forwards), ...installed.filter((i) => !i.forwards)].map((i) => i.view);
  return { templates, sgRules, kernel, ifnameWidth: st.links.maxNameLength() };
}

function countersOf(kernel: Kernel, family: Family, source: Addr | undefined, group: Addr): { packets: bigint; bytes: bigint } {
  const c = source ? kernel.counters(family, source, group) : undefined;
  return { packets: c?.packets ?? 0n, bytes: c?.bytes ?? 0n };
}

function orderByVif(table: VifTable, names: ReadonlySet<string>): string[] {
  return [...names]
    .map((n) => table.get(n))
    .filter((s): s is VifSlot => s !== undefined)
    .sort((a, b) => a.vif - b.vif)
    .map((s) => s.name);
}

export function groupsView(st: ViewState): GroupsSnapshot {
  const conf = [...st.groups.values()].map((g) => ({ source: g.source, group: g.group, iif: g.iif }));
  const kernel = [...st.joins.values()].map((spec) => ({
    source: spec.source ? { addr: spec.source, len: spec.shownLens.source } : null,
    group: { addr: spec.group, len: spec.shownLens.group },
    iif: spec.ifname,
  }));
  return { conf, kernel };
}

export function interfacesView(st: ViewState): InterfacesSnapshot {
  const interfaces = st.links.list.map((l) => ({
    index: l.index,
    name: l.name,
    vif: st.vifs.inet.get(l.name)?.vif,
    mif: st.vifs.inet6.get(l.name)?.vif,
  }));
  return { interfaces, ifnameWidth: st.links.maxNameLength() };
}
