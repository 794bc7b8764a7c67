// An in-memory Kernel for tests, with the Linux one's contract and errno names (measured on
// Linux 6.18) plus helpers to drive and inspect it. It never touches the OS.

import { ERRNO, KernelError } from '../errors.js';
import { addrKey, isAny, isMulticast, type Addr, type Family } from '../model/addr.js';
import { MAX_VIFS } from '../model/limits.js';
import type { Kernel, LinkInfo, MfcSpec, SgCounters, Upcall, UpcallSink } from './types.js';
import { OPS, iifFits, joinOp, vifArgsFit } from './structs.js';

/** The table MRT_INIT uses when no MRT_TABLE was set, per family. */
const DEFAULT_TABLE: Record<Family, number> = { inet: 253, inet6: 254 };

function err(op: string, code: keyof typeof ERRNO & string): KernelError {
  return new KernelError(op, code, ERRNO[code]!);
}

export interface FakeVif {
  readonly vif: number;
  readonly ifindex: number;
  readonly threshold: number;
}

export interface FakeMfc {
  readonly source: Addr;
  readonly group: Addr;
  readonly iif: number;
  readonly ttls: Uint8Array;
  readonly counters: SgCounters;
}

export interface FakeMembership {
  readonly ifindex: number;
  readonly group: Addr;
  readonly source?: Addr;
}

interface MfcEntry {
  source: Addr;
  group: Addr;
  iif: number;
  ttls: Uint8Array;
  packets: bigint;
  bytes: bigint;
  wrongIf: bigint;
}

interface Table {
  readonly id: number;
  readonly vifs: Map<number, FakeVif>;
  readonly mfc: Map<string, MfcEntry>;
  /** (S,G) already reported NOCACHE and not yet resolved by an MFC entry. */
  readonly unresolved: Set<string>;
}

function sgKey(source: Addr, group: Addr): string {
  return `${addrKey(source)}>${addrKey(group)}`;
}

/**
 * One network namespace shared by several FakeKernels: its links, which
 * kernel owns which routing table, and the memberships all of them hold.
 */
export class FakeNetns {
  private linkList: LinkInfo[];
  private readonly owners = new Map<string, FakeKernel>();
  /** @internal every kernel living in this namespace */
  readonly kernels = new Set<FakeKernel>();

  constructor(links: readonly LinkInfo[] = [{ name: 'lo', index: 1, up: true, multicast: false }]) {
    this.linkList = [...links];
  }

  links(): LinkInfo[] {
    return [...this.linkList].sort((a, b) => a.index - b.index);
  }

  hasLink(ifindex: number): boolean {
    return this.linkList.some((l) => l.index === ifindex);
  }

  /**
   * Replaces the link list and tells every kernel once. As in Linux, VIFs
   * on links that vanished are deleted; memberships stay with their sockets.
   */
  setLinks(links: readonly LinkInfo[]): void {
    this.linkList = [...links];
    for (const k of this.kernels) k.linksChanged();
  }

  /** Memberships as the namespace shows them (/proc/net/igmp, mcfilter): links that exist only. */
  memberships(family?: Family): FakeMembership[] {
    const out: FakeMembership[] = [];
    for (const k of this.kernels) {
      for (const m of k.memberships()) {
        if (family && m.group.family !== family) continue;
        if (this.hasLink(m.ifindex)) out.push(m);
      }
    }
    return out;
  }

  /**
   * Simulates `packets` datagrams from `source` to `group` arriving on
   * `ifindex`, `bytes` each (IP header included), in every table with a VIF
   * on that link (the highest such VIF, as Linux picks). With an (S,G)
   * entry they are counted, and also as wrong-if, with a WRONGVIF upcall
   * (IPv4 only: MRT_PIM is on there), when the entry's iif differs; with
   * no entry, one NOCACHE upcall until an entry is added.
   */
  receive(family: Family, ifindex: number, source: Addr, group: Addr, packets = 1, bytes = 0): void {
    for (const k of this.kernels) k.receive(family, ifindex, source, group, packets, bytes);
  }

  /** @internal */
  claim(family: Family, table: number, k: FakeKernel): boolean {
    const key = `${family}:${table}`;
    if (this.owners.has(key)) return false;
    this.owners.set(key, k);
    return true;
  }

  /** @internal */
  release(family: Family, table: number): void {
    this.owners.delete(`${family}:${table}`);
  }
}

export class FakeKernel implements Kernel {
  readonly ns: FakeNetns;
  private readonly tables: Record<Family, Table | undefined> = { inet: undefined, inet6: undefined };
  private readonly joined = new Map<string, FakeMembership>();
  private sink: UpcallSink | undefined;
  private linkHandler: (() => void) | undefined;
  private down = false;

  constructor(ns: FakeNetns = new FakeNetns()) {
    this.ns = ns;
    ns.kernels.add(this);
  }

  links(): LinkInfo[] {
    return this.ns.links();
  }

  openMroute(family: Family, table: number): void {
    const ops = OPS[family];
    if (this.tables[family]) throw err(ops.init, 'EADDRINUSE');
    if (this.down) throw err(ops.init, 'EBADF');
    if (!Number.isInteger(table) || table < 0 || table > 0xffffffff) throw err(ops.table, 'EINVAL');
    const id = table === 0 ? DEFAULT_TABLE[family] : table;
    if (!this.ns.claim(family, id, this)) throw err(ops.init, 'EADDRINUSE');
    this.tables[family] = { id, vifs: new Map(), mfc: new Map(), unresolved: new Set() };
  }

  closeMroute(family: Family): void {
    const t = this.table(family, OPS[family].done);
    this.tables[family] = undefined;
    this.ns.release(family, t.id);
  }

  isOpen(family: Family): boolean {
    return this.tables[family] !== undefined;
  }

  addVif(family: Family, vif: number, ifindex: number, threshold: number): void {
    const op = OPS[family].addVif;
    const t = this.table(family, op);
    if (!vifArgsFit(family, vif, ifindex, threshold)) throw err(op, 'EINVAL');
    if (vif >= MAX_VIFS) throw err(op, 'ENFILE');
    if (t.vifs.has(vif)) throw err(op, 'EADDRINUSE');
    if (!this.ns.hasLink(ifindex)) throw err(op, 'EADDRNOTAVAIL');
    t.vifs.set(vif, { vif, ifindex, threshold });
  }

  delVif(family: Family, vif: number): void {
    const op = OPS[family].delVif;
    const t = this.table(family, op);
    if (!vifArgsFit(family, vif, 0, 0)) throw err(op, 'EINVAL');
    // IPv4 range-checks the index first (ENFILE); IPv6 folds it into "no such MIF".
    if (family === 'inet' && vif >= MAX_VIFS) throw err(op, 'ENFILE');
    if (!t.vifs.delete(vif)) throw err(op, 'EADDRNOTAVAIL');
  }

  addMfc(family: Family, mfc: MfcSpec): void {
    const op = OPS[family].addMfc;
    const t = this.table(family, op);
    if (mfc.source.family !== family || mfc.group.family !== family || !iifFits(mfc.iif)) throw err(op, 'EINVAL');
    if (mfc.iif >= MAX_VIFS) throw err(op, 'ENFILE');
    if (!isMulticast(mfc.group) && !isAny(mfc.group)) throw err(op, 'EINVAL');
    const key = sgKey(mfc.source, mfc.group);
    const old = t.mfc.get(key);
    const ttls = new Uint8Array(MAX_VIFS);
    ttls.set(mfc.ttls.subarray(0, MAX_VIFS));
    // Replacing keeps the counters, as the kernel updates the entry in place.
    t.mfc.set(key, {
      source: mfc.source, group: mfc.group, iif: mfc.iif, ttls,
      packets: old?.packets ?? 0n, bytes: old?.bytes ?? 0n, wrongIf: old?.wrongIf ?? 0n,
    });
    t.unresolved.delete(key);
  }

  delMfc(family: Family, source: Addr, group: Addr, iif: number): void {
    const op = OPS[family].delMfc;
    const t = this.table(family, op);
    if (source.family !== family || group.family !== family || !iifFits(iif)) throw err(op, 'EINVAL');
    // Like MRT_DEL_MFC, the inbound VIF does not take part in the match.
    if (!t.mfc.delete(sgKey(source, group))) throw err(op, 'ENOENT');
  }

  counters(family: Family, source: Addr, group: Addr): SgCounters | undefined {
    const op = OPS[family].counters;
    const t = this.table(family, op);
    if (source.family !== family || group.family !== family) throw err(op, 'EINVAL');
    const e = t.mfc.get(sgKey(source, group));
    return e ? { packets: e.packets, bytes: e.bytes, wrongIf: e.wrongIf } : undefined;
  }

  join(ifindex: number, group: Addr, source?: Addr): void {
    const op = joinOp(true, source !== undefined);
    if (this.down) throw err(op, 'EBADF');
    if ((source && source.family !== group.family) || !isMulticast(group)) throw err(op, 'EINVAL');
    if (!this.ns.hasLink(ifindex)) throw err(op, 'ENODEV');
    const key = joinKey(ifindex, group, source);
    if (this.joined.has(key)) throw err(op, source ? 'EADDRNOTAVAIL' : 'EADDRINUSE');
    this.joined.set(key, source ? { ifindex, group, source } : { ifindex, group });
  }

  leave(ifindex: number, group: Addr, source?: Addr): void {
    const op = joinOp(false, source !== undefined);
    if (this.down) throw err(op, 'EBADF');
    if (!this.joined.delete(joinKey(ifindex, group, source))) throw err(op, 'EADDRNOTAVAIL');
  }

  onUpcall(sink: UpcallSink): void {
    this.sink = sink;
  }

  onLinkChange(handler: () => void): void {
    if (!this.down) this.linkHandler = handler;
  }

  shutdown(): void {
    if (this.down) return;
    for (const family of ['inet', 'inet6'] as const) if (this.tables[family]) this.closeMroute(family);
    this.joined.clear();
    this.down = true;
    this.sink = undefined;
    this.linkHandler = undefined;
    this.ns.kernels.delete(this);
  }

  // ---- test helpers ----

  /**
   * Hands upcalls to the sink now, as one batch; upcalls of a family whose
   * routing socket is closed are dropped (no socket, no upcall). Returns
   * how many were delivered.
   */
  emitUpcalls(batch: readonly Upcall[]): number {
    const live = batch.filter((u) => this.tables[u.family] !== undefined);
    if (live.length > 0 && this.sink) this.sink(live);
    return this.sink ? live.length : 0;
  }

  /** Calls the link-change handler, as a netlink event would. */
  triggerLinkChange(): void {
    this.linkHandler?.();
  }

  /** The routing table id in use (after defaulting), or undefined when closed. */
  tableId(family: Family): number | undefined {
    return this.tables[family]?.id;
  }

  vifs(family: Family): FakeVif[] {
    return [...(this.tables[family]?.vifs.values() ?? [])].sort((a, b) => a.vif - b.vif);
  }

  mfcs(family: Family): FakeMfc[] {
    return [...(this.tables[family]?.mfc.values() ?? [])].map((e) => ({
      source: e.source, group: e.group, iif: e.iif, ttls: e.ttls.slice(),
      counters: { packets: e.packets, bytes: e.bytes, wrongIf: e.wrongIf },
    }));
  }

  memberships(): FakeMembership[] {
    return [...this.joined.values()];
  }

  /** Overwrites the counters of an installed (S,G); throws when there is none. */
  setCounters(family: Family, source: Addr, group: Addr, c: SgCounters): void {
    const e = this.tables[family]?.mfc.get(sgKey(source, group));
    if (!e) throw new Error('setCounters: no such (S,G) installed');
    e.packets = c.packets;
    e.bytes = c.bytes;
    e.wrongIf = c.wrongIf;
  }

  /** @internal see FakeNetns.setLinks */
  linksChanged(): void {
    for (const t of [this.tables.inet, this.tables.inet6]) {
      if (!t) continue;
      for (const [vif, v] of t.vifs) if (!this.ns.hasLink(v.ifindex)) t.vifs.delete(vif);
    }
    this.linkHandler?.();
  }

  /** @internal see FakeNetns.receive */
  receive(family: Family, ifindex: number, source: Addr, group: Addr, packets: number, bytes: number): void {
    const t = this.tables[family];
    if (!t) return;
    let vif = -1;
    for (const v of t.vifs.values()) if (v.ifindex === ifindex && v.vif > vif) vif = v.vif;
    if (vif < 0) return;
    const key = sgKey(source, group);
    const e = t.mfc.get(key);
    const up: Upcall[] = [];
    if (e) {
      // Like Linux, packets and bytes count every packet, wrong VIF or not.
      e.packets += BigInt(packets);
      e.bytes += BigInt(packets) * BigInt(bytes);
      if (e.iif !== vif) {
        e.wrongIf += BigInt(packets);
        if (family === 'inet') up.push({ family, kind: 'wrongvif', type: 2, vif, source, group });
      }
    } else if (!t.unresolved.has(key)) {
      t.unresolved.add(key);
      up.push({ family, kind: 'nocache', type: 1, vif, source, group });
    }
    if (up.length > 0) this.emitUpcalls(up);
  }

  private table(family: Family, op: string): Table {
    const t = this.tables[family];
    if (!t) throw err(op, 'EBADF');
    return t;
  }
}

function joinKey(ifindex: number, group: Addr, source?: Addr): string {
  return `${ifindex}|${addrKey(group)}|${source ? addrKey(source) : '*'}`;
}
