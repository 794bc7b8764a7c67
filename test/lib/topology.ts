// The lab networks that kernel tests, the demo and the benchmarks route in: veth links with their
// addresses, and the sender / router / receivers star with the addressing plan they all share.
import type { Family } from '../../src/model/addr.js';
import type { Lab } from './netns.js';

/** One end of a veth link: its namespace, its name there, and the addresses it gets ("10.1.2.3/24"). */
export interface LinkEnd {
  ns: string;
  ifname: string;
  addrs?: readonly string[];
}

/**
 * A veth pair between two of the lab's namespaces, both ends up and addressed. Everything goes
 * through the Lab, which creates links inside its own namespaces only and removes them at cleanup.
 */
export function connect(lab: Lab, a: LinkEnd, b: LinkEnd): void {
  lab.veth(a, b);
  for (const end of [a, b]) {
    if (end.addrs?.length) lab.addAddrs(end.ns, end.ifname, end.addrs);
  }
}

export interface StarOptions {
  /**
   * The plan number N, distinct per test file so no two files' traffic can be mistaken for each
   * other: link k is 10.N.k.0/24 and fd00:N:k::/64 (N's decimal digits read as hex there).
   */
  net: number;
  /** How many receivers, at least 1; default 2. */
  receivers?: number;
  /** Which families get addresses; default IPv4 only. */
  families?: readonly Family[];
}

/** A star with one receiver: snd(s0) -- (r0)rtr(r1) -- (x0)rx1. */
export interface StarOfOne {
  snd: string;
  rtr: string;
  rx1: string;
}

/**
 * Namespace names by role: snd, rtr, and rx1 .. rxN (N >= 2). The interfaces are s0 in snd, r0
 * (facing snd) and r1 .. rN (facing rx1 .. rxN) in rtr, and x0 in every receiver.
 */
export type Star = StarOfOne & { rx2: string } & { [rx: `rx${number}`]: string };

/** Address texts of a star in one family (s0, r0, r1 .., x1 ..), without length, and that length. */
export type StarAddrs = { plen: number; s0: string; r0: string; r1: string; r2: string; x1: string; x2: string } & {
  [end: `${'r' | 'x'}${number}`]: string;
};

/** Link k (1: the sender's, 1 + i: receiver i's), host h (1: the router's end, 2: the far end). */
function hostAddr(net: number, family: Family, k: number, h: number): string {
  return family === 'inet' ? `10.${net}.${k}.${h}` : `fd00:${net}:${k}::${h}`;
}

function plenOf(family: Family): number {
  return family === 'inet' ? 24 : 64;
}

/** The addresses buildStar gives, for tests to send from and assert on. */
export function starAddrs(net: number, family: Family, receivers = 2): StarAddrs {
  const end = (i: number, h: number) => hostAddr(net, family, i + 1, h);
  const a: StarAddrs = {
    plen: plenOf(family),
    s0: hostAddr(net, family, 1, 2),
    r0: hostAddr(net, family, 1, 1),
    r1: end(1, 1),
    r2: end(2, 1),
    x1: end(1, 2),
    x2: end(2, 2),
  };
  for (let i = 3; i <= receivers; i++) {
    a[`r${i}`] = hostAddr(net, family, i + 1, 1);
    a[`x${i}`] = hostAddr(net, family, i + 1, 2);
  }
  return a;
}

/**
 * snd(s0) -- (r0)rtr(r1) -- (x0)rx1, rtr(r2) -- (x0)rx2, ...: forwarding on in rtr only. On
 * failure part-way the namespaces already made belong to the lab, so its cleanup removes them.
 */
export function buildStar(lab: Lab, opts: StarOptions & { receivers: 1 }): StarOfOne;
export function buildStar(lab: Lab, opts: StarOptions): Star;
export function buildStar(lab: Lab, opts: StarOptions): StarOfOne | Star {
  const receivers = opts.receivers ?? 2;
  if (!Number.isInteger(receivers) || receivers < 1) throw new RangeError(`buildStar: ${receivers} receivers`);
  const families = opts.families ?? ['inet'];
  const cidrs = (k: number, h: number): string[] => families.map((f) => `${hostAddr(opts.net, f, k, h)}/${plenOf(f)}`);
  // rx2 .. rxN exist whenever receivers >= 2, which is what the overloads promise.
  const t: StarOfOne & { [rx: `rx${number}`]: string } = {
    snd: lab.addNs('snd'),
    rtr: lab.addNs('rtr', { forwarding: true }),
    rx1: lab.addNs('rx1'),
  };
  for (let i = 2; i <= receivers; i++) t[`rx${i}`] = lab.addNs(`rx${i}`);
  connect(lab, { ns: t.snd, ifname: 's0', addrs: cidrs(1, 2) }, { ns: t.rtr, ifname: 'r0', addrs: cidrs(1, 1) });
  for (let i = 1; i <= receivers; i++) {
    const rx = t[`rx${i}`];
    if (rx === undefined) throw new Error(`buildStar: receiver ${i} was not made`);
    connect(lab, { ns: t.rtr, ifname: `r${i}`, addrs: cidrs(i + 1, 1) }, { ns: rx, ifname: 'x0', addrs: cidrs(i + 1, 2) });
  }
  return t;
}

/**
 * `phyint IF enable` for each router interface of a star. Upstream smcrouted run with -N makes
 * VIFs only for these, so configs shared with it carry them.
 */
export function starPhyints(receivers = 2): string {
  return Array.from({ length: receivers + 1 }, (_, i) => `phyint r${i} enable\n`).join('');
}
