// Parsers for the kernel's multicast views in /proc/net (MFC, VIF/MIF, IGMP/MLD memberships, source filters).
// Pure text → data; reading the files inside a namespace is kview.ts's job. Unexpected lines throw.
import { endianness } from 'node:os';
import { formatAddr, type Family } from '../../src/model/addr.js';
import { canon } from './fixtures.js';

export type Endian = 'LE' | 'BE';

/** One multicast forwarding cache entry, from ip_mr_cache or ip6_mr_cache. */
export interface MfcRow {
  family: Family;
  group: string;
  source: string;
  /** Inbound VIF/MIF index, -1 while unresolved. */
  iif: number;
  /** False for entries waiting for the routing daemon (these show no counters or oifs). */
  resolved: boolean;
  packets: number;
  bytes: number;
  wrongIf: number;
  oifs: { vif: number; ttl: number }[];
}

/** One VIF or MIF, from ip_mr_vif or ip6_mr_vif. */
export interface VifRow {
  family: Family;
  vif: number;
  name: string;
  bytesIn: number;
  pktsIn: number;
  bytesOut: number;
  pktsOut: number;
  flags: number;
  /** IPv4 only: the local address, when the VIF was made by address. */
  local?: string;
  /** IPv4 only: the interface index, when the VIF was made with VIFF_USE_IFINDEX. */
  ifindex?: number;
}

/** One group joined on one interface, from igmp or igmp6. */
export interface MembershipRow {
  family: Family;
  ifindex: number;
  device: string;
  group: string;
  users: number;
}

/** One source filter entry, from mcfilter or mcfilter6. */
export interface SourceFilterRow {
  family: Family;
  ifindex: number;
  /** The kernel prints at most 6 characters of the name here; use ifindex to identify it. */
  device: string;
  group: string;
  source: string;
  include: number;
  exclude: number;
}

export const VIFF_USE_IFINDEX = 0x8;

/**
 * IPv4 as ip_mr_cache, ip_mr_vif and igmp print it: the network-order 32-bit value printed
 * as a host-order integer, so on little-endian hosts the bytes appear reversed.
 */
export function hexHostOrderV4(hex: string, endian: Endian = endianness()): string {
  const n = parseHex(hex, 8);
  const b = Buffer.alloc(4);
  if (endian === 'LE') b.writeUInt32LE(n);
  else b.writeUInt32BE(n);
  return [...b].join('.');
}

/** IPv4 as mcfilter prints it: "0x" and the value after ntohl, i.e. readable network order. */
export function hexNetOrderV4(hex: string): string {
  const n = parseHex(hex.replace(/^0x/i, ''), 8);
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

/** IPv6 as 32 hex digits in network order, no colons (the kernel's %pi6). */
export function hexV6(hex: string): string {
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`not a 32-digit IPv6 hex: ${hex}`);
  return formatAddr({ family: 'inet6', value: BigInt(`0x${hex}`) });
}

/** IPv6 in the kernel's full colon form (%pI6, e.g. ff0e:0000:...:0001) to canonical text. */
export function fullV6(text: string): string {
  return canon(text, 'inet6');
}

export function parseIpMrCache(text: string, endian: Endian = endianness()): MfcRow[] {
  return dataLines(text, 'Group').map((line) => mfcRow('inet', line, (h) => hexHostOrderV4(h, endian)));
}

export function parseIp6MrCache(text: string): MfcRow[] {
  return dataLines(text, 'Group').map((line) => mfcRow('inet6', line, fullV6));
}

export function parseIpMrVif(text: string, endian: Endian = endianness()): VifRow[] {
  return dataLines(text, 'Interface').map((line) => {
    const f = fields(line, 9, 9);
    const row = vifRow('inet', f);
    // With VIFF_USE_IFINDEX the "Local" column holds the interface index, not an address.
    if (row.flags & VIFF_USE_IFINDEX) row.ifindex = parseHex(f[7]!, 8);
    else row.local = hexHostOrderV4(f[7]!, endian);
    return row;
  });
}

export function parseIp6MrVif(text: string): VifRow[] {
  return dataLines(text, 'Interface').map((line) => vifRow('inet6', fields(line, 7, 7)));
}

/**
 * /proc/net/igmp: a device line ("IDX\tNAME : COUNT QUERIER") followed by one
 * tab-indented line per group ("GROUP USERS TIMER REPORTER").
 */
export function parseIgmp(text: string, endian: Endian = endianness()): MembershipRow[] {
  const rows: MembershipRow[] = [];
  let dev: { ifindex: number; device: string } | undefined;
  for (const line of dataLines(text, 'Idx')) {
    const d = /^(\d+)\t(\S+?)\s*:\s*\d+\s+\S+$/.exec(line);
    if (d) {
      dev = { ifindex: Number(d[1]), device: d[2]! };
      continue;
    }
    const g = /^\t+([0-9A-Fa-f]{8})\s+(\d+)\s+\d:[0-9A-Fa-f]+\s+\d+$/.exec(line);
    if (!g || !dev) throw new Error(`unexpected igmp line: ${JSON.stringify(line)}`);
    rows.push({ family: 'inet', ...dev, group: hexHostOrderV4(g[1]!, endian), users: Number(g[2]) });
  }
  return rows;
}

/** /proc/net/igmp6: "IDX NAME GROUP USERS FLAGS TIMER", no header. */
export function parseIgmp6(text: string): MembershipRow[] {
  return dataLines(text).map((line) => {
    const f = fields(line, 6, 6);
    return { family: 'inet6', ifindex: int(f[0]!), device: f[1]!, group: hexV6(f[2]!), users: int(f[3]!) };
  });
}

/**
 * /proc/net/mcfilter. Beware a kernel quirk: the listing starts at the first device whose
 * newest membership has a source filter, so entries can be missing; do not prove absence with it.
 */
export function parseMcfilter(text: string): SourceFilterRow[] {
  return dataLines(text, 'Idx').map((line) => {
    const f = fields(line, 6, 6);
    return filterRow('inet', f, hexNetOrderV4(f[2]!), hexNetOrderV4(f[3]!));
  });
}

/** /proc/net/mcfilter6; the same quirk as parseMcfilter. */
export function parseMcfilter6(text: string): SourceFilterRow[] {
  return dataLines(text, 'Idx').map((line) => {
    const f = fields(line, 6, 6);
    return filterRow('inet6', f, hexV6(f[2]!), hexV6(f[3]!));
  });
}

function mfcRow(family: Family, line: string, addr: (s: string) => string): MfcRow {
  const f = fields(line, 6, Infinity);
  const iif = int(f[2]!);
  const oifs = f.slice(6).map((o) => {
    const m = /^(\d+):(\d+)$/.exec(o);
    if (!m) throw new Error(`bad oif ${JSON.stringify(o)} in ${JSON.stringify(line)}`);
    return { vif: Number(m[1]), ttl: Number(m[2]) };
  });
  return {
    family,
    group: addr(f[0]!),
    source: addr(f[1]!),
    iif,
    resolved: iif >= 0,
    packets: int(f[3]!),
    bytes: int(f[4]!),
    wrongIf: int(f[5]!),
    oifs,
  };
}

function vifRow(family: Family, f: string[]): VifRow {
  return {
    family,
    vif: int(f[0]!),
    name: f[1]!,
    bytesIn: int(f[2]!),
    pktsIn: int(f[3]!),
    bytesOut: int(f[4]!),
    pktsOut: int(f[5]!),
    flags: parseHex(f[6]!, 8),
  };
}

function filterRow(family: Family, f: string[], group: string, source: string): SourceFilterRow {
  return { family, ifindex: int(f[0]!), device: f[1]!, group, source, include: int(f[4]!), exclude: int(f[5]!) };
}

/** Non-blank lines, after checking and dropping the header line when the file has one. */
function dataLines(text: string, header?: string): string[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (header === undefined) return lines;
  if (!lines[0]?.startsWith(header)) throw new Error(`expected a header starting with ${header}: ${JSON.stringify(lines[0])}`);
  return lines.slice(1);
}

function fields(line: string, min: number, max: number): string[] {
  const f = line.trim().split(/\s+/);
  if (f.length < min || f.length > max) throw new Error(`unexpected line (${f.length} fields): ${JSON.stringify(line)}`);
  return f;
}

function int(s: string): number {
  if (!/^-?\d+$/.test(s)) throw new Error(`not a number: ${JSON.stringify(s)}`);
  return Number(s);
}

function parseHex(s: string, maxDigits: number): number {
  if (!new RegExp(`^[0-9a-fA-F]{1,${maxDigits}}$`).test(s)) throw new Error(`not hex: ${JSON.stringify(s)}`);
  return parseInt(s, 16);
}

/** One route as `ip -json mroute show` prints it (any table, unlike the /proc files). */
export interface MrouteRow {
  source?: string;
  group: string;
  /** Interface name; undefined while unresolved. */
  iif?: string;
  oifs: { name: string; ttl?: number }[];
  state: string;
}

export function parseIpMrouteJson(text: string): MrouteRow[] {
  if (text.trim() === '') return [];
  const raw = JSON.parse(text) as {
    src?: string;
    dst: string;
    iif?: string;
    state?: string;
    multipath?: { oif: string; ttl?: number }[];
  }[];
  return raw.map((r) => ({
    source: r.src === undefined ? undefined : canon(r.src),
    group: canon(r.dst),
    iif: r.iif === undefined || r.iif === 'unresolved' ? undefined : r.iif,
    oifs: (r.multipath ?? []).map((m) => (m.ttl === undefined ? { name: m.oif } : { name: m.oif, ttl: m.ttl })),
    state: r.state ?? 'unknown',
  }));
}
