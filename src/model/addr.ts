// IPv4/IPv6 addresses and prefixes as plain values: parsing, canonical text
// (as glibc's inet_ntop prints it), masking and containment. Pure; no OS calls.

import { fail, ok, type Result } from '../result.js';

export type Family = 'inet' | 'inet6';

/** Both families, IPv4 first: the order tables and outputs list them in. */
export const FAMILIES: readonly Family[] = ['inet', 'inet6'];

/** What the kernel calls a family's multicast interface: a VIF (IPv4) or a MIF (IPv6). */
export function vifWord(family: Family): string {
  return family === 'inet' ? 'VIF' : 'MIF';
}

export interface Addr {
  readonly family: Family;
  /** The address as an unsigned integer, 32 or 128 bits wide. */
  readonly value: bigint;
}

/**
 * An IPv4 address as this module makes them: the 32 bits in a small integer,
 * the BigInt `value` made only when asked for. A configuration of 50,000
 * (S,G) routes holds 100,000 of these; a BigInt each would be another
 * 100,000 heap objects. Addresses written as plain `{ family, value }`
 * objects work everywhere too, just without the shortcut.
 */
class Inet4 implements Addr {
  /** Signed, so that V8 keeps it inline as a small integer. */
  private readonly bits: number;

  constructor(u32: number) {
    this.bits = u32 | 0;
  }

  get family(): 'inet' {
    return 'inet';
  }

  get value(): bigint {
    return BigInt(this.u32);
  }

  get u32(): number {
    return this.bits >>> 0;
  }
}

/** An IPv4 address from its 32 bits (host order). */
export function inet4(u32: number): Addr {
  return new Inet4(u32);
}

/** The 32 bits of an IPv4 address, without a BigInt when it is one of ours. */
export function v4Bits(a: Addr): number {
  return a instanceof Inet4 ? a.u32 : Number(a.value) >>> 0;
}

export interface Prefix {
  readonly addr: Addr;
  /** 0..32 or 0..128; always the full width for a single address. */
  readonly len: number;
}

export function maxLen(family: Family): number {
  return family === 'inet' ? 32 : 128;
}

function parseV4(text: string): bigint | undefined {
  const n = parseV4Number(text);
  return n === undefined ? undefined : BigInt(n);
}

/** Dotted quad as inet_pton reads it (no leading zeros), by hand: the config parser calls this 100,000 times. */
function parseV4Number(text: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
      continue;
    }
    if (c < 0x30 || c > 0x39) return undefined;
    if (digits > 0 && octet === 0) return undefined; // inet_pton rejects leading zeros
    octet = octet * 10 + (c - 0x30);
    digits++;
    if (octet > 255) return undefined;
  }
  if (digits === 0 || dots !== 3) return undefined;
  return value * 256 + octet;
}

function parseV6(text: string): bigint | undefined {
  if (text.length === 0 || text.length > 45) return undefined;
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.indexOf('.', lastColon) > lastColon) {
    tailV4 = parseV4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const [leftText = '', rightText] = halves;
  const left = parseGroups(leftText);
  const right = rightText === undefined ? [] : parseGroups(rightText);
  if (!left || !right) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - left.length - right.length;
    if (missing < 1) return undefined;
    groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  } else {
    groups = left;
  }
  if (groups.length !== 8) return undefined;
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  if (tailV4 !== undefined) v = (v & ~0xffffffffn) | tailV4;
  return v;
}

/** Parses a literal address (no prefix length). Undefined when it is not one. */
export function parseAddr(text: string): Addr | undefined {
  if (text.includes(':')) {
    const v = parseV6(text);
    return v === undefined ? undefined : { family: 'inet6', value: v };
  }
  const n = parseV4Number(text);
  return n === undefined ? undefined : new Inet4(n);
}

function formatV4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function formatV6(v: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  // Longest run of zero groups (at least two) becomes "::", first one on ties.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string[] => gs.map((g) => g.toString(16));
  if (bestLen < 2) return hex(groups).join(':');
  const head = hex(groups.slice(0, bestStart));
  const tail = hex(groups.slice(bestStart + bestLen));
  // IPv4-compatible and IPv4-mapped forms, as inet_ntop prints them: the last two groups as a.b.c.d.
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && groups[5] === 0xffff)))
    tail.splice(-2, 2, formatV4(Number(v & 0xffffffffn)));
  return `${head.join(':')}::${tail.join(':')}`;
}

export function formatAddr(a: Addr): string {
  return a.family === 'inet' ? formatV4(v4Bits(a)) : formatV6(a.value);
}

export function anyAddr(family: Family): Addr {
  return family === 'inet' ? new Inet4(0) : { family, value: 0n };
}

export function isAny(a: Addr): boolean {
  return a.family === 'inet' ? v4Bits(a) === 0 : a.value === 0n;
}

export function isMulticast(a: Addr): boolean {
  if (a.family === 'inet') return v4Bits(a) >>> 28 === 0xe;
  return a.value >> 120n === 0xffn;
}

/** The 32 bits of `a` with all but the first `len` cleared. */
function maskV4(a: Addr, len: number): number {
  if (len <= 0) return 0;
  return (v4Bits(a) & (0xffffffff << (32 - Math.min(len, 32)))) >>> 0;
}

export function mask(a: Addr, len: number): Addr {
  if (a.family === 'inet') return new Inet4(maskV4(a, len));
  if (len <= 0) return { family: a.family, value: 0n };
  const keep = ((1n << BigInt(len)) - 1n) << (128n - BigInt(len));
  return { family: a.family, value: a.value & keep };
}

/** True when `a` lies inside `p`. */
export function contains(p: Prefix, a: Addr): boolean {
  if (p.addr.family !== a.family) return false;
  if (a.family === 'inet') return maskV4(a, p.len) === maskV4(p.addr, p.len);
  return mask(a, p.len).value === mask(p.addr, p.len).value;
}

export function sameAddr(a: Addr, b: Addr): boolean {
  if (a.family !== b.family) return false;
  return a.family === 'inet' ? v4Bits(a) === v4Bits(b) : a.value === b.value;
}

/**
 * A compact string usable as a Map key, never shown to anyone. An IPv4 key
 * is "4" and the address as two UTF-16 units: short enough that V8 stores
 * keys built from it flat, and made without BigInt or number formatting.
 */
export function addrKey(a: Addr): string {
  if (a.family === 'inet') {
    const n = v4Bits(a);
    return String.fromCharCode(0x34, n >>> 16, n & 0xffff);
  }
  return '6:' + a.value.toString(16);
}

/** "ADDR" or "ADDR/LEN" as typed in smcroute.conf or on the smcroutectl command line. */
export function parsePrefix(text: string): Result<Prefix> {
  const p = readPrefix(text);
  return typeof p === 'string' ? fail(p) : ok(p);
}

/**
 * parsePrefix without the Result around it: the prefix, or why not. For the validator, which
 * reads two of these on every line of a configuration and reports through its own lists.
 */
export function readPrefix(text: string): Prefix | string {
  const slash = text.indexOf('/');
  const addrText = slash >= 0 ? text.slice(0, slash) : text;
  const addr = parseAddr(addrText);
  if (!addr) return `invalid address ${addrText}`;
  const width = maxLen(addr.family);
  if (slash < 0) return { addr, len: width };
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return `invalid prefix length /${lenText}`;
  const len = Number(lenText);
  if (len > width) return `prefix length /${len} out of range (0-${width})`;
  // As upstream: "/0" means "no length given", i.e. a single address.
  return { addr, len: len === 0 ? width : len };
}

/** Text as upstream's show prints it: "ADDR" for a full-width prefix, else "ADDR/LEN". */
export function formatPrefix(p: Prefix): string {
  const s = formatAddr(p.addr);
  return p.len === maxLen(p.addr.family) ? s : `${s}/${p.len}`;
}

/** Every address in the prefix, lowest first (for expanding a joined group range). */
export function* expand(p: Prefix): Generator<Addr> {
  if (p.addr.family === 'inet') {
    const base = maskV4(p.addr, p.len);
    const count = 2 ** (32 - p.len);
    for (let i = 0; i < count; i++) yield new Inet4(base + i);
    return;
  }
  const base = mask(p.addr, p.len).value;
  const count = 1n << BigInt(128 - p.len);
  for (let i = 0n; i < count; i++) yield { family: p.addr.family, value: base + i };
}
