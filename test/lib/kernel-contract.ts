// The Kernel contract as one list of cases, run unchanged on the fake (test/unit) and on Linux in a
// network namespace (test/kernel). Cases see only an environment and the Kernel interface.

import assert from 'node:assert/strict';
import { KernelError } from '../../src/errors.js';
import { formatAddr, type Addr, type Family } from '../../src/model/addr.js';
import { A } from './fixtures.js';
import { MAX_VIFS } from '../../src/model/limits.js';
import type { Kernel, MrdiscHeard, MrdiscMessage, Upcall } from '../../src/kernel/types.js';

export interface EnvIface {
  readonly index: number;
  readonly name: string;
}

export interface Memberships {
  /** "IFINDEX GROUP" for every group joined on a link. */
  readonly groups: ReadonlySet<string>;
  /**
   * "IFINDEX GROUP SOURCE" for included sources. Linux's mcfilter listing can
   * skip a device whose newest membership has no sources, so only assert
   * presence right after a source join, never absence.
   */
  readonly sources: ReadonlySet<string>;
}

export interface KernelEnv {
  /** A new Kernel in the environment's (one) network namespace. */
  create(): Kernel;
  /** Two links, up and multicast-capable, whose far ends can send traffic. */
  readonly ifaces: readonly [EnvIface, EnvIface];
  /** An ifindex that no link has. */
  readonly missingIfindex: number;
  /** Addresses the far end of ifaces[i] sends from; at least 1000 IPv4 ones on ifaces[0]. */
  sources(family: Family, i: 0 | 1): readonly Addr[];
  /**
   * Sends `count` datagrams with `payload` bytes of UDP payload from each
   * source to `group` (TTL/hop limit > 1) through the far end of ifaces[i].
   */
  send(family: Family, i: 0 | 1, sources: readonly Addr[], group: Addr, count: number, payload: number): Promise<void>;
  memberships(family: Family): Promise<Memberships>;
  setLinkUp(i: 0 | 1, up: boolean): Promise<void>;
  /** Sends one router discovery solicitation (RFC 4286) from the far end of ifaces[i], from sources('inet', i). */
  solicit(i: 0 | 1): Promise<void>;
  /** Open file descriptors of this process, where that can be measured. */
  openFds?(): number;
}

export interface ContractCase {
  readonly name: string;
  run(env: KernelEnv): Promise<void>;
}

const FAMILIES: readonly Family[] = ['inet', 'inet6'];
const WAIT_MS = 15_000;

/** Per family: groups and sources that never reach the wire or are local to the namespaces. */
const PLAN = {
  inet: { group: '225.1.2.3', group2: '225.1.2.4', ssm: '232.1.2.3', src: '10.99.0.1', src2: '10.99.0.2', unicast: '10.1.2.3' },
  inet6: { group: 'ff0e::1:2:3', group2: 'ff0e::1:2:4', ssm: 'ff3e::1:2:3', src: 'fd99::1', src2: 'fd99::2', unicast: 'fd99::9' },
} as const;

function other(family: Family): Family {
  return family === 'inet' ? 'inet6' : 'inet';
}

/** Calls fn and requires a KernelError with the given errno name. */
function expectCode(fn: () => unknown, code: string, what: string): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof KernelError)) throw new Error(`${what}: expected KernelError ${code}, got ${String(e)}`, { cause: e });
    assert.equal(e.code, code, `${what}: errno name (${e.message})`);
    assert.ok(e.errno > 0, `${what}: errno number`);
    return;
  }
  assert.fail(`${what}: expected ${code}, but it succeeded`);
}

function ttlsTo(...vifs: number[]): Uint8Array {
  const t = new Uint8Array(MAX_VIFS);
  for (const v of vifs) t[v] = 1;
  return t;
}

async function waitFor(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`gave up after ${WAIT_MS} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs fn with fresh kernels and always shuts them down. */
async function withKernels(env: KernelEnv, n: number, fn: (...ks: Kernel[]) => Promise<void> | void): Promise<void> {
  const ks = Array.from({ length: n }, () => env.create());
  try {
    await fn(...ks);
  } finally {
    for (const k of ks) k.shutdown();
  }
}

function collect(k: Kernel): Upcall[] {
  const got: Upcall[] = [];
  k.onUpcall((batch) => {
    got.push(...batch);
  });
  return got;
}

function ipHeader(family: Family): number {
  return family === 'inet' ? 20 : 40;
}

function key(...parts: (number | Addr)[]): string {
  return parts.map((p) => (typeof p === 'number' ? String(p) : formatAddr(p))).join(' ');
}

export const kernelContract: readonly ContractCase[] = [
  {
    name: 'links: every link once, ordered by ifindex, test links up and multicast',
    async run(env) {
      await withKernels(env, 1, (k) => {
        const links = k.links();
        for (let i = 1; i < links.length; i++) assert.ok(links[i - 1]!.index < links[i]!.index, 'strictly ascending ifindex');
        for (const want of env.ifaces) {
          const l = links.find((x) => x.index === want.index);
          assert.ok(l, `link ${want.name} listed`);
          assert.equal(l.name, want.name);
          assert.equal(l.up, true);
          assert.equal(l.multicast, true);
        }
        assert.ok(!links.some((l) => l.index === env.missingIfindex));
      });
    },
  },
  {
    name: 'open/close: one owner per table, other tables independent, reopen after close',
    async run(env) {
      for (const f of FAMILIES) {
        await withKernels(env, 3, (k1, k2, k3) => {
          assert.equal(k1.isOpen(f), false);
          k1.openMroute(f, 0);
          assert.equal(k1.isOpen(f), true);
          assert.equal(k1.isOpen(other(f)), false);
          expectCode(() => k1.openMroute(f, 0), 'EADDRINUSE', `${f} second open, same instance`);
          expectCode(() => k2.openMroute(f, 0), 'EADDRINUSE', `${f} default table taken`);
          // Table 0 means the kernel's default table: 253 for IPv4, 254 (main) for IPv6.
          expectCode(() => k2.openMroute(f, f === 'inet' ? 253 : 254), 'EADDRINUSE', `${f} default table by number`);
          assert.equal(k2.isOpen(f), false, 'a failed open leaves the instance closed');
          k2.openMroute(f, 100);
          expectCode(() => k3.openMroute(f, 100), 'EADDRINUSE', `${f} table 100 taken`);
          k3.openMroute(f, 101);
          k1.closeMroute(f);
          assert.equal(k1.isOpen(f), false);
          k3.closeMroute(f);
          k3.openMroute(f, 0);
          assert.equal(k3.isOpen(f), true);
        });
      }
    },
  },
  {
    name: 'no routing socket: every table call fails with EBADF, also after shutdown',
    async run(env) {
      const [i0] = env.ifaces;
      for (const f of FAMILIES) {
        await withKernels(env, 1, (k) => {
          const p = PLAN[f];
          expectCode(() => k.addVif(f, 0, i0.index, 1), 'EBADF', 'addVif');
          expectCode(() => k.delVif(f, 0), 'EBADF', 'delVif');
          expectCode(() => k.addMfc(f, { source: A(p.src), group: A(p.group), iif: 0, ttls: ttlsTo() }), 'EBADF', 'addMfc');
          expectCode(() => k.delMfc(f, A(p.src), A(p.group), 0), 'EBADF', 'delMfc');
          expectCode(() => k.counters(f, A(p.src), A(p.group)), 'EBADF', 'counters');
          expectCode(() => k.vifCounters(f, 0), 'EBADF', 'vifCounters');
          expectCode(() => k.closeMroute(f), 'EBADF', 'closeMroute');
          k.openMroute(f, 0);
          k.shutdown();
          assert.equal(k.isOpen(f), false);
          expectCode(() => k.addVif(f, 0, i0.index, 1), 'EBADF', 'addVif after shutdown');
          expectCode(() => k.openMroute(f, 0), 'EBADF', 'openMroute after shutdown');
          expectCode(() => k.join(i0.index, A(p.group)), 'EBADF', 'join after shutdown');
          k.shutdown();
        });
      }
    },
  },
  {
    name: 'VIFs: 32 per table, ENFILE/EADDRINUSE/EADDRNOTAVAIL, flushed on close',
    async run(env) {
      const [i0, i1] = env.ifaces;
      for (const f of FAMILIES) {
        await withKernels(env, 1, (k) => {
          k.openMroute(f, 0);
          // Linux accepts several VIFs on one link, so 32 fit on two links.
          for (let v = 0; v < MAX_VIFS; v++) k.addVif(f, v, (v % 2 ? i1 : i0).index, 1);
          expectCode(() => k.addVif(f, MAX_VIFS, i0.index, 1), 'ENFILE', `${f} VIF ${MAX_VIFS}`);
          expectCode(() => k.addVif(f, 5, i1.index, 1), 'EADDRINUSE', `${f} VIF in use`);
          k.delVif(f, 5);
          expectCode(() => k.addVif(f, 5, env.missingIfindex, 1), 'EADDRNOTAVAIL', `${f} unknown ifindex`);
          expectCode(() => k.delVif(f, 5), 'EADDRNOTAVAIL', `${f} delete free VIF`);
          expectCode(() => k.delVif(f, 40), f === 'inet' ? 'ENFILE' : 'EADDRNOTAVAIL', `${f} delete VIF 40`);
          expectCode(() => k.addVif(f, 5, i0.index, 256), 'EINVAL', `${f} threshold 256`);
          expectCode(() => k.addVif(f, -1, i0.index, 1), 'EINVAL', `${f} VIF -1`);
          k.addVif(f, 5, i0.index, 0);
          k.closeMroute(f);
          k.openMroute(f, 0);
          k.addVif(f, 0, i0.index, 1);
          k.addVif(f, 31, i1.index, 1);
        });
      }
    },
  },
  {
    name: 'MFC: add, replace, delete (any iif), counters of unknown (S,G), error codes',
    async run(env) {
      const [i0, i1] = env.ifaces;
      for (const f of FAMILIES) {
        await withKernels(env, 1, (k) => {
          const p = PLAN[f];
          const S = A(p.src);
          const G = A(p.group);
          k.openMroute(f, 0);
          k.addVif(f, 0, i0.index, 1);
          k.addVif(f, 1, i1.index, 1);
          assert.equal(k.counters(f, S, G), undefined, 'no entry yet');
          k.addMfc(f, { source: S, group: G, iif: 0, ttls: ttlsTo(1) });
          assert.deepEqual(k.counters(f, S, G), { packets: 0n, bytes: 0n, wrongIf: 0n });
          k.addMfc(f, { source: S, group: G, iif: 1, ttls: ttlsTo(0) });
          // An inbound VIF without a VIF behind it is accepted, like in Linux.
          k.addMfc(f, { source: A(p.src2), group: G, iif: 7, ttls: ttlsTo(0, 1) });
          // (*,G) entry with the any-source address.
          k.addMfc(f, { source: A(f === 'inet' ? '0.0.0.0' : '::'), group: A(p.group2), iif: 0, ttls: ttlsTo(1) });
          k.delMfc(f, S, G, 9);
          expectCode(() => k.delMfc(f, S, G, 1), 'ENOENT', `${f} delete twice`);
          assert.equal(k.counters(f, S, G), undefined, 'gone after delete');
          assert.ok(k.counters(f, A(p.src2), G), 'the other (S,G) stays');
          expectCode(() => k.addMfc(f, { source: S, group: G, iif: MAX_VIFS + 8, ttls: ttlsTo() }), 'ENFILE', `${f} iif 40`);
          expectCode(
            () => k.addMfc(f, { source: S, group: A(p.unicast), iif: 0, ttls: ttlsTo() }),
            'EINVAL',
            `${f} unicast group`,
          );
          const o = PLAN[other(f)];
          expectCode(
            () => k.addMfc(f, { source: A(o.src), group: A(o.group), iif: 0, ttls: ttlsTo() }),
            'EINVAL',
            `${f} other family`,
          );
        });
      }
    },
  },
  {
    name: 'MFC: 10000 entries per family install, are queryable and delete',
    async run(env) {
      const [i0, i1] = env.ifaces;
      await withKernels(env, 1, (k) => {
        for (const f of FAMILIES) {
          k.openMroute(f, 0);
          k.addVif(f, 0, i0.index, 1);
          k.addVif(f, 1, i1.index, 1);
          const base = A(PLAN[f].group);
          const S = A(PLAN[f].src);
          const ttls = ttlsTo(1);
          const N = 10_000;
          for (let i = 0; i < N; i++)
            k.addMfc(f, { source: S, group: { family: f, value: base.value + BigInt(i) }, iif: 0, ttls });
          for (const i of [0, 4999, N - 1])
            assert.ok(k.counters(f, S, { family: f, value: base.value + BigInt(i) }), `entry ${i}`);
          for (let i = 0; i < N; i++) k.delMfc(f, S, { family: f, value: base.value + BigInt(i) }, 0);
          assert.equal(k.counters(f, S, base), undefined);
        }
      });
    },
  },
  {
    name: 'counters: forwarded packets and bytes; wrong-interface packets with a WRONGVIF upcall (IPv4)',
    async run(env) {
      const [i0, i1] = env.ifaces;
      for (const f of FAMILIES) {
        await withKernels(env, 1, async (k) => {
          const got = collect(k);
          const G = A(PLAN[f].group);
          const S0 = env.sources(f, 0)[0]!;
          const S1 = env.sources(f, 1)[0]!;
          k.openMroute(f, 0);
          k.addVif(f, 0, i0.index, 1);
          k.addVif(f, 1, i1.index, 1);
          k.addMfc(f, { source: S0, group: G, iif: 0, ttls: ttlsTo(1) });
          k.addMfc(f, { source: S1, group: G, iif: 0, ttls: ttlsTo(1) });
          const payload = 100;
          await env.send(f, 0, [S0], G, 5, payload);
          await waitFor(() => (k.counters(f, S0, G)?.packets ?? 0n) >= 5n, `${f} 5 packets counted`);
          const size = BigInt(ipHeader(f) + 8 + payload);
          assert.deepEqual(k.counters(f, S0, G), { packets: 5n, bytes: 5n * size, wrongIf: 0n });
          // Replacing an entry keeps its counters.
          k.addMfc(f, { source: S0, group: G, iif: 0, ttls: ttlsTo(1) });
          assert.equal(k.counters(f, S0, G)?.packets, 5n);
          await env.send(f, 1, [S1], G, 1, payload);
          await waitFor(() => (k.counters(f, S1, G)?.wrongIf ?? 0n) >= 1n, `${f} wrong-if packet counted`);
          // Linux counts every packet of the entry, arriving on the wrong VIF or not.
          assert.deepEqual(k.counters(f, S1, G), { packets: 1n, bytes: size, wrongIf: 1n });
          if (f === 'inet') {
            await waitFor(() => got.some((u) => u.kind === 'wrongvif'), 'WRONGVIF upcall');
            const u = got.find((x) => x.kind === 'wrongvif')!;
            assert.deepEqual(u, { family: 'inet', kind: 'wrongvif', type: 2, vif: 1, source: S1, group: G });
          }
        });
      }
    },
  },
  {
    name: 'VIF/MIF counters: zero when made, unknown index undefined, in on the IIF and out on the OIF as traffic is forwarded',
    async run(env) {
      const [i0, i1] = env.ifaces;
      for (const f of FAMILIES) {
        await withKernels(env, 1, async (k) => {
          const G = A(PLAN[f].group);
          const S0 = env.sources(f, 0)[0]!;
          k.openMroute(f, 0);
          expectCode(() => k.vifCounters(f, 0x10000), 'EINVAL', 'index wider than 16 bits');
          assert.equal(k.vifCounters(f, 0), undefined, 'no VIF yet');
          k.addVif(f, 0, i0.index, 1);
          k.addVif(f, 2, i1.index, 1);
          const zero = { packetsIn: 0n, packetsOut: 0n, bytesIn: 0n, bytesOut: 0n };
          assert.deepEqual(k.vifCounters(f, 0), zero);
          assert.deepEqual(k.vifCounters(f, 2), zero);
          assert.equal(k.vifCounters(f, 1), undefined, 'a gap below the highest VIF');
          assert.equal(k.vifCounters(f, 3), undefined, 'above the highest VIF');
          assert.equal(k.vifCounters(f, MAX_VIFS), undefined, 'beyond the limit');
          k.addMfc(f, { source: S0, group: G, iif: 0, ttls: ttlsTo(2) });
          const payload = 100;
          await env.send(f, 0, [S0], G, 4, payload);
          await waitFor(() => (k.vifCounters(f, 2)?.packetsOut ?? 0n) >= 4n, `${f} 4 packets out`);
          const size = BigInt(ipHeader(f) + 8 + payload);
          assert.deepEqual(k.vifCounters(f, 0), { packetsIn: 4n, packetsOut: 0n, bytesIn: 4n * size, bytesOut: 0n });
          assert.deepEqual(k.vifCounters(f, 2), { packetsIn: 0n, packetsOut: 4n, bytesIn: 0n, bytesOut: 4n * size });
          k.delVif(f, 2);
          assert.equal(k.vifCounters(f, 2), undefined, 'gone with its VIF');
        });
      }
    },
  },
  {
    name: 'upcalls: NOCACHE carries source, group and the arrival VIF, once per (S,G)',
    async run(env) {
      const [i0] = env.ifaces;
      await withKernels(env, 1, async (k) => {
        const got = collect(k);
        for (const f of FAMILIES) {
          k.openMroute(f, 0);
          // A VIF number other than 0 and the ifindex, so a mix-up shows.
          k.addVif(f, 3, i0.index, 1);
        }
        for (const f of FAMILIES) {
          const G = A(PLAN[f].group2);
          const srcs = env.sources(f, 0).slice(0, 3);
          await env.send(f, 0, srcs, G, 2, 32);
          await waitFor(() => got.filter((u) => u.family === f).length >= 3, `${f} 3 NOCACHE upcalls`);
          const mine = got.filter((u) => u.family === f);
          assert.deepEqual(new Set(mine.map((u) => key(u.source))), new Set(srcs.map((s) => key(s))), `${f} sources`);
          for (const u of mine)
            assert.deepEqual(
              { ...u, source: undefined },
              { family: f, kind: 'nocache', type: 1, vif: 3, source: undefined, group: G },
            );
        }
        // Two datagrams per source above, still one upcall each: the kernel queues the second.
        assert.equal(got.length, 6);
      });
    },
  },
  {
    name: 'upcalls: a burst from 1000 distinct IPv4 sources arrives complete',
    async run(env) {
      const [i0] = env.ifaces;
      await withKernels(env, 1, async (k) => {
        const got = collect(k);
        k.openMroute('inet', 0);
        k.addVif('inet', 0, i0.index, 1);
        const srcs = env.sources('inet', 0).slice(0, 1000);
        assert.equal(srcs.length, 1000, 'environment offers 1000 sources');
        const G = A('225.9.9.9');
        await env.send('inet', 0, srcs, G, 1, 16);
        await waitFor(() => got.length >= 1000, `1000 upcalls (have ${got.length})`);
        const seen = new Set(got.map((u) => key(u.source)));
        assert.equal(seen.size, 1000);
        for (const s of srcs) assert.ok(seen.has(key(s)), `upcall for ${key(s)}`);
        assert.ok(got.every((u) => u.kind === 'nocache' && u.vif === 0 && key(u.group) === key(G)));
      });
    },
  },
  {
    name: 'joins: ASM and SSM in both families, shown by the namespace; error codes',
    async run(env) {
      const [i0, i1] = env.ifaces;
      for (const f of FAMILIES) {
        await withKernels(env, 2, async (k, k2) => {
          const p = PLAN[f];
          const G = A(p.group);
          const SG = A(p.ssm);
          const S = A(p.src);
          const S2 = A(p.src2);
          const ix = i0.index;
          k.join(ix, G);
          assert.ok((await env.memberships(f)).groups.has(key(ix, G)), `${f} ASM join shown`);
          expectCode(() => k.join(ix, G), 'EADDRINUSE', `${f} duplicate ASM join`);
          k.join(ix, SG, S);
          assert.ok((await env.memberships(f)).sources.has(key(ix, SG, S)), `${f} SSM join shown`);
          expectCode(() => k.join(ix, SG, S), 'EADDRNOTAVAIL', `${f} duplicate SSM join`);
          k.join(ix, SG, S2);
          assert.ok((await env.memberships(f)).sources.has(key(ix, SG, S2)), `${f} second source shown`);
          // ASM and SSM on the same group coexist (on separate sockets).
          k.join(ix, SG);
          k.join(ix, G, S);
          k.join(i1.index, G);
          expectCode(() => k.join(env.missingIfindex, A(p.group2)), 'ENODEV', `${f} unknown ifindex`);
          expectCode(() => k.join(ix, A(p.unicast)), 'EINVAL', `${f} unicast group`);
          expectCode(() => k.leave(ix, A(p.group2)), 'EADDRNOTAVAIL', `${f} leave ASM not joined`);
          expectCode(() => k.leave(ix, A(p.group2), S), 'EADDRNOTAVAIL', `${f} leave SSM not joined`);
          // Another instance holds its own membership of the same group.
          k2.join(ix, G);
          k.leave(ix, G);
          k.leave(ix, G, S);
          assert.ok((await env.memberships(f)).groups.has(key(ix, G)), `${f} still joined by the other instance`);
          k2.leave(ix, G);
          assert.ok(!(await env.memberships(f)).groups.has(key(ix, G)), `${f} ASM leave`);
          k.leave(ix, SG, S);
          k.leave(ix, SG, S2);
          k.leave(ix, SG);
          k.leave(i1.index, G);
          const m = await env.memberships(f);
          assert.ok(!m.groups.has(key(ix, SG)), `${f} SSM leave`);
          assert.ok(!m.groups.has(key(i1.index, G)), `${f} leave on the second link`);
          expectCode(() => k.leave(ix, SG, S), 'EADDRNOTAVAIL', `${f} leave twice`);
        });
      }
    },
  },
  {
    name: 'joins: past per-socket limits (45 IPv4 groups, 25 IPv4 and 70 IPv6 sources of one group)',
    async run(env) {
      const [i0] = env.ifaces;
      const ix = i0.index;
      const fdsBefore = env.openFds?.();
      await withKernels(env, 1, async (k) => {
        const groups = Array.from({ length: 45 }, (_, i) => A(`225.2.0.${i + 1}`));
        for (const g of groups) k.join(ix, g);
        const SG4 = A('232.2.0.1');
        const src4 = Array.from({ length: 25 }, (_, i) => A(`10.98.0.${i + 1}`));
        for (const s of src4) k.join(ix, SG4, s);
        let m = await env.memberships('inet');
        for (const g of groups) assert.ok(m.groups.has(key(ix, g)), `group ${key(g)} shown`);
        for (const s of src4) assert.ok(m.sources.has(key(ix, SG4, s)), `source ${key(s)} shown`);
        const SG6 = A('ff3e::2:1');
        const src6 = Array.from({ length: 70 }, (_, i) => A(`fd98::${(i + 1).toString(16)}`));
        for (const s of src6) k.join(ix, SG6, s);
        const m6 = await env.memberships('inet6');
        for (const s of src6) assert.ok(m6.sources.has(key(ix, SG6, s)), `source ${key(s)} shown`);
        if (fdsBefore !== undefined) assert.ok(env.openFds!() >= fdsBefore + 5, 'memberships spread over several sockets');
        for (const g of groups) k.leave(ix, g);
        for (const s of src4) k.leave(ix, SG4, s);
        for (const s of src6) k.leave(ix, SG6, s);
        m = await env.memberships('inet');
        for (const g of [...groups, SG4]) assert.ok(!m.groups.has(key(ix, g)), `group ${key(g)} left`);
        assert.ok(!(await env.memberships('inet6')).groups.has(key(ix, SG6)), 'IPv6 group left');
        // Sockets whose last membership left are closed.
        if (fdsBefore !== undefined) assert.equal(env.openFds!(), fdsBefore);
      });
    },
  },
  {
    name: 'link changes: the handler runs and links() shows the new state',
    async run(env) {
      const i1 = env.ifaces[1];
      await withKernels(env, 1, async (k) => {
        let calls = 0;
        k.onLinkChange(() => {
          calls++;
        });
        try {
          await env.setLinkUp(1, false);
          await waitFor(() => calls > 0, 'link-change call after link down');
          assert.equal(k.links().find((l) => l.index === i1.index)?.up, false);
          calls = 0;
          await env.setLinkUp(1, true);
          await waitFor(() => calls > 0, 'link-change call after link up');
          assert.equal(k.links().find((l) => l.index === i1.index)?.up, true);
        } finally {
          await env.setLinkUp(1, true);
        }
      });
    },
  },
  {
    name: 'mrdisc: one socket per link and kernel; ENODEV, EINVAL, EADDRINUSE, EBADF',
    async run(env) {
      const [i0, i1] = env.ifaces;
      const adv: MrdiscMessage = { type: 'advertisement', interval: 20, queryInterval: 0, robustness: 0 };
      await withKernels(env, 2, (k, k2) => {
        expectCode(() => k.openMrdisc(env.missingIfindex), 'ENODEV', 'open on a missing link');
        expectCode(() => k.openMrdisc(0), 'EINVAL', 'ifindex 0 (would bind to no link)');
        expectCode(() => k.sendMrdisc(i0.index, adv), 'EBADF', 'send before open');
        expectCode(() => k.closeMrdisc(i0.index), 'EBADF', 'close before open');
        k.openMrdisc(i0.index);
        k.openMrdisc(i1.index);
        expectCode(() => k.openMrdisc(i0.index), 'EADDRINUSE', 'a second socket on one link');
        k2.openMrdisc(i0.index);
        k.sendMrdisc(i0.index, adv);
        k.sendMrdisc(i0.index, { type: 'termination' });
        k2.sendMrdisc(i0.index, { ...adv, interval: 255, queryInterval: 65535, robustness: 65535 });
        expectCode(() => k.sendMrdisc(i0.index, { ...adv, interval: 256 }), 'EINVAL', 'interval past 8 bits');
        expectCode(() => k.sendMrdisc(i0.index, { ...adv, robustness: 65536 }), 'EINVAL', 'robustness past 16 bits');
        k.closeMrdisc(i0.index);
        expectCode(() => k.sendMrdisc(i0.index, adv), 'EBADF', 'send after close');
        expectCode(() => k.closeMrdisc(i0.index), 'EBADF', 'close twice');
        k.sendMrdisc(i1.index, adv);
        k.openMrdisc(i0.index);
        k.shutdown();
        expectCode(() => k.openMrdisc(i0.index), 'EBADF', 'open after shutdown');
        expectCode(() => k.sendMrdisc(i1.index, adv), 'EBADF', 'send after shutdown');
      });
    },
  },
  {
    name: 'mrdisc: sending on a link that is down is ENETUNREACH; up again, it sends',
    async run(env) {
      const i1 = env.ifaces[1];
      await withKernels(env, 1, async (k) => {
        k.openMrdisc(i1.index);
        try {
          await env.setLinkUp(1, false);
          expectCode(() => k.sendMrdisc(i1.index, { type: 'termination' }), 'ENETUNREACH', 'send on a down link');
        } finally {
          await env.setLinkUp(1, true);
        }
        k.sendMrdisc(i1.index, { type: 'termination' });
      });
    },
  },
  {
    name: 'mrdisc: a solicitation is delivered with its link and sender, only where a socket is open',
    async run(env) {
      const i1 = env.ifaces[1];
      await withKernels(env, 1, async (k) => {
        const heard: MrdiscHeard[] = [];
        k.onMrdisc((h) => heard.push(h));
        k.openMrdisc(i1.index);
        await env.solicit(1);
        await waitFor(() => heard.length >= 1, 'the first solicitation');
        // One on the link without a socket, then one more where there is: only the latter may arrive.
        await env.solicit(0);
        await env.solicit(1);
        await waitFor(() => heard.length >= 2, 'the second solicitation');
        const senders = new Set(env.sources('inet', 1).map(formatAddr));
        for (const h of heard) {
          assert.equal(h.ifindex, i1.index, 'heard on the link with the socket');
          assert.deepEqual(h.message, { type: 'solicitation' });
          assert.ok(senders.has(formatAddr(h.from)), `sender ${formatAddr(h.from)} is the far end`);
        }
        assert.equal(heard.length, 2);
      });
    },
  },
  {
    name: 'shutdown: closes tables and memberships; the tables are free again',
    async run(env) {
      const [i0] = env.ifaces;
      await withKernels(env, 2, async (k, k2) => {
        k.onUpcall(() => {});
        k.onLinkChange(() => {});
        for (const f of FAMILIES) {
          k.openMroute(f, 0);
          k.addVif(f, 0, i0.index, 1);
          k.join(i0.index, A(PLAN[f].group2));
        }
        k.shutdown();
        for (const f of FAMILIES) {
          assert.equal(k.isOpen(f), false);
          assert.ok(!(await env.memberships(f)).groups.has(key(i0.index, A(PLAN[f].group2))), `${f} membership dropped`);
          k2.openMroute(f, 0);
          k2.addVif(f, 0, i0.index, 1);
        }
      });
    },
  },
];
