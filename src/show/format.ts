// Turns the show views into the exact text (with upstream's `_` title and `=`
// heading markers) or JSON that upstream's daemon sends. Pure; knows no state.

import { formatAddr, formatPrefix, isAny, maxLen, type Prefix } from '../model/addr.js';
import type { GroupView, GroupsSnapshot, InterfacesSnapshot, PendingView, RouteView, RoutesSnapshot, ShowMode } from './types.js';

/** printf "%-Ns": pad on the right, never truncate. */
/** "1 route", "2 routes": `n` with its noun, plural unless one. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function left(s: string, width: number): string {
  return s.padEnd(width);
}

/** printf "%Ns": pad on the left, never truncate. */
function right(s: string, width: number): string {
  return s.padStart(width);
}

/**
 * A JSON string. Upstream prints names between quotes unescaped; for every name
 * without `"`, `\` or control characters this is the same bytes, and for the
 * others it stays valid JSON instead of breaking the document.
 */
export function jstr(s: string): string {
  return JSON.stringify(s);
}

function isAnySource(p: Prefix | null): p is null {
  return p === null || isAny(p.addr);
}

/** A source as JSON: null for any source. */
export function jsonSource(p: Prefix | null): string {
  return isAnySource(p) ? 'null' : jstr(formatPrefix(p));
}

// ---------------------------------------------------------------- routes

/** "(S, G)" as the route tables print it (a rule's or a route's): a wildcard source is "*", without length. */
export function routeSg(r: { readonly source: Prefix | null; readonly group: Prefix }): string {
  const src = isAnySource(r.source) ? '*' : formatPrefix(r.source);
  return `(${src}, ${formatPrefix(r.group)})`;
}

function routeRow(r: RouteView, inw: number, detail: boolean): string {
  let line = `${left(routeSg(r), 42)} ${left(r.iif, inw)} `;
  if (detail) line += `${right(String(r.packets ?? 0n), 10)} ${right(String(r.bytes ?? 0n), 10)} `;
  for (const oif of r.oifs) line += ` ${oif}`;
  return line + '\n';
}

function routeJson(r: RouteView): string {
  const oifs = r.oifs.map(jstr).join(',');
  return `{"source":${jsonSource(r.source)},"group":${jstr(formatPrefix(r.group))},"iif":${jstr(r.iif)},"oifs":[${oifs}]}`;
}

export function formatRoutes(snap: RoutesSnapshot, mode: ShowMode): string {
  if (mode === 'json') {
    const list = (rs: readonly RouteView[]) => rs.map(routeJson).join(',');
    return `{"routes":{"asm":[${list(snap.templates)}],"ssm":[${list(snap.sgRules)}],"kernel":[${list(snap.kernel)}]}}\n`;
  }
  const detail = mode === 'detail';
  const inw = Math.max(snap.ifnameWidth, 'IIF'.length);
  const heading = detail
    ? `${left('ROUTE (S,G)', 42)} ${left('IIF', inw)} ${right('PACKETS', 10)} ${right('BYTES', 10)}  OIFS=\n`
    : `${left('ROUTE (S,G)', 42)} ${left('IIF', inw)}  OIFS=\n`;
  const section = (title: string, rows: readonly RouteView[]) =>
    rows.length === 0 ? '' : `${title}_\n${heading}${rows.map((r) => routeRow(r, inw, detail)).join('')}`;
  return (
    section('(*,G) Template Rules', snap.templates) +
    section('(S,G) Rules', snap.sgRules) +
    section('Kernel MFC Table', snap.kernel)
  );
}

// ---------------------------------------------------------------- groups

/** "(S, G)" as the group tables print it: here a wildcard source keeps a shorter length. */
function groupSg(g: GroupView): string {
  let src = '*';
  if (g.source !== null) {
    src = isAny(g.source.addr) ? '*' : formatAddr(g.source.addr);
    if (g.source.len !== maxLen(g.source.addr.family)) src += `/${g.source.len}`;
  }
  return `(${src}, ${formatPrefix(g.group)})`;
}

function groupRow(g: GroupView): string {
  return `${left(groupSg(g), 42)} ${g.iif}\n`;
}

function groupJson(g: GroupView): string {
  return `{"source":${jsonSource(g.source)},"group":${jstr(formatPrefix(g.group))},"iif":${jstr(g.iif)}}`;
}

export function formatGroups(snap: GroupsSnapshot, mode: ShowMode): string {
  if (mode === 'json') {
    const list = (gs: readonly GroupView[]) => gs.map(groupJson).join(',');
    return `{"groups":{"conf":[${list(snap.conf)}],"kernel":[${list(snap.kernel)}]}}\n`;
  }
  // Upstream prints nothing at all, kernel table included, without configured joins.
  if (snap.conf.length === 0) return '';
  let out = 'Group Memberships Table_\n';
  out += `${left('GROUP (S,G)', 42)} ${left('IIF', 16)}=\n`;
  out += snap.conf.map(groupRow).join('');
  if (mode !== 'detail') return out;
  // Upstream's detail view titles the kernel table but never sends its column
  // heading; kept so our output stays byte-identical.
  out += 'Kernel Group Membership Table_\n';
  return out + snap.kernel.map(groupRow).join('');
}

// ---------------------------------------------------------------- interfaces

export function formatInterfaces(snap: InterfacesSnapshot, mode: ShowMode): string {
  if (mode === 'json') {
    const num = (n: number | undefined) => (n === undefined ? 'null' : String(n));
    const items = snap.interfaces.map(
      (i) => `{"index":${i.index},"name":${jstr(i.name)},"vif":${num(i.vif)},"mif":${num(i.mif)}}`,
    );
    return `{"interfaces":[${items.join(',')}]}\n`;
  }
  // Brief and detail are the same table.
  const inw = Math.max(snap.ifnameWidth, 'PHYINT'.length);
  const num = (n: number | undefined) => (n === undefined ? 'N/A' : String(n));
  let out = ` INDEX ${left('PHYINT', inw)}  VIF  MIF=\n`;
  for (const i of snap.interfaces) {
    out += `${right(String(i.index), 6)} ${left(i.name, inw)} ${right(num(i.vif), 4)} ${right(num(i.mif), 4)}\n`;
  }
  return out;
}

// ---------------------------------------------------------------- pending

function pendingRow(p: PendingView): string {
  let line = `${left(p.kind, 7)} from ${p.iif}`;
  if (p.source !== undefined) line += ` source ${p.source}`;
  line += ` group ${p.group}`;
  if (p.oifs.length > 0) line += ' to';
  for (const oif of p.oifs) line += ` ${oif}`;
  return line + '\n';
}

function pendingJson(p: PendingView): string {
  const source = p.source === undefined ? 'null' : jstr(p.source);
  return `{"kind":${jstr(p.kind)},"iif":${jstr(p.iif)},"source":${source},"group":${jstr(p.group)},"oifs":[${p.oifs.map(jstr).join(',')}]}`;
}

export function formatPending(list: readonly PendingView[], mode: ShowMode): string {
  if (mode === 'json') return `{"pending":[${list.map(pendingJson).join(',')}]}\n`;
  // No `_`/`=` markers here: upstream prints this title as a plain line.
  if (list.length === 0) return 'No pending routes or groups\n';
  return 'PENDING ROUTES AND GROUPS\n' + list.map(pendingRow).join('');
}
