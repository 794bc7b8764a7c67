// Small fixtures shared by unit tests, lab helpers and benchmarks: addresses and prefixes from text,
// address sequences, and the fake interfaces FakeNetns starts with. Data and parsers only; no assertions.
import type { LinkInfo } from '../../src/kernel/types.js';
import { formatAddr, parseAddr, parsePrefix, type Addr, type Family, type Prefix } from '../../src/model/addr.js';

/** An address from text; throws on a typo, so a bad fixture fails loudly instead of matching nothing. */
export function A(text: string): Addr {
  const a = parseAddr(text);
  if (!a) throw new Error(`not an address: ${text}`);
  return a;
}

/** A prefix from "ADDR" or "ADDR/LEN"; throws with the parser's reason. */
export function P(text: string): Prefix {
  const p = parsePrefix(text);
  if (!p.ok) throw new Error(`not a prefix: ${text}: ${p.error}`);
  return p.value;
}

/** The canonical (glibc-style) text of an address, so differently written equal addresses compare equal. */
export function canon(text: string, family?: Family): string {
  const a = parseAddr(text);
  if (!a || (family && a.family !== family)) throw new Error(`not an ${family ?? 'IP'} address: ${text}`);
  return formatAddr(a);
}

function step(a: Addr, i: number): string {
  return formatAddr({ family: a.family, value: a.value + BigInt(i) });
}

/** The address i steps after first ("10.1.0.1", "fd00:1::1"), as text. */
export function addrAt(first: string, i: number): string {
  return step(A(first), i);
}

/** count consecutive addresses starting at first, as text. */
export function addrRange(first: string, count: number): string[] {
  const a = A(first);
  return Array.from({ length: count }, (_, i) => step(a, i));
}

/** An interface that is up; multicast-capable unless said otherwise. */
export function link(name: string, index: number, multicast = true): LinkInfo {
  return { name, index, up: true, multicast };
}

/** Loopback as Linux numbers it: index 1, no multicast. */
export const LO: LinkInfo = link('lo', 1, false);

/** ethN at index N + 2, the numbering every fake-kernel test assumes (lo takes 1). */
export function eth(n: number): LinkInfo {
  return link(`eth${n}`, n + 2);
}

/** lo and eth0 .. eth(count-1). */
export function fakeLinks(count: number): LinkInfo[] {
  return [LO, ...Array.from({ length: count }, (_, i) => eth(i))];
}

/** lo and eth0 .. eth3: enough for an inbound and three outbound interfaces. */
export const LINKS: readonly LinkInfo[] = fakeLinks(4);
