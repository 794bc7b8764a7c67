// An in-memory Kernel for tests: Linux's state (tables, VIFs, MFC, memberships) and the errors that
// depend on it, plus helpers to drive and inspect it. Argument rules are contract.ts's; no OS calls.

import { kernelError, type ErrnoName } from '../errors.js';
import { addrKey, FAMILIES, formatAddr, type Addr, type Family } from '../model/addr.js';
import { MAX_VIFS } from '../model/limits.js';
import type {
  FlowFacts,
  RouteBack,
  Kernel,
  LinkInfo,
  MfcSpec,
  MrdiscHeard,
  MrdiscMessage,
  MrdiscSink,
  RpFilter,
  SgCounters,
  Upcall,
  UpcallSink,
  VifCounters,
} from './types.js';
import { MRDISC_OPS, OPS, joinOp, kernelRules, precheck } from './contract.js';

/** The calls a test can make fail (FakeKernel.failNext). */
export type FaultyCall = 'addVif' | 'delVif' | 'addMfc' | 'delMfc' | 'join' | 'leave';

/** The table MRT_INIT uses when no MRT_TABLE was set, per family. */
const DEFAULT_TABLE: Record<Family, number> = { inet: 253, inet6: 254 };

export interface FakeVif {
  readonly vif: number;
  readonly ifindex: number;
  readonly threshold: number;
}

interface VifEntry extends FakeVif {
  packetsIn: bigint;
  packetsOut: bigint;
  bytesIn: bigint;
  bytesOut: bigint;
}

export interface FakeMfc {
  readonly source: Addr;
  readonly group: Addr;
  readonly iif: number;
  readonly ttls: Uint8Array;
  readonly counters: SgCounters;
}

/** One message an mrdisc socket sent, in the order sent. */
export interface FakeMrdiscSent {
  readonly ifindex: number;
  readonly message: MrdiscMessage;
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
  readonly vifs: Map<number, VifEntry>;
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

  /** Delivers an MRD message to every kernel with an mrdisc socket on the link, as if heard there. */
  hearMrdisc(heard: MrdiscHeard): void {
    for (const k of this.kernels) k.hearMrdisc(heard);
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

/** What a test says the OS would answer to explain: set the fields, every answer is read from them. */
export class FakeFlowFacts implements FlowFacts {
  /** rp_filter by interface name, and conf/all. */
  readonly rpFilters = new Map<string, number>();
  rpFilterAll = 0;
  /** Route back to a source, by its text form (formatAddr); absent means the lookup fails. */
  readonly routes = new Map<string, RouteBack>();
  /** The TTL the next sample sees, or undefined for no packet. */
  sampledTtl: number | undefined;

  rpFilter(ifname: string): RpFilter | undefined {
    return { all: this.rpFilterAll, iface: this.rpFilters.get(ifname) ?? 0 };
  }

  routeBack(source: Addr): RouteBack | undefined {
    return this.routes.get(formatAddr(source));
  }

  sampleTtl(): Promise<number | undefined> {
    return Promise.resolve(this.sampledTtl);
  }
}

export class FakeKernel implements Kernel {
  readonly facts = new FakeFlowFacts();
  readonly ns: FakeNetns;
  private readonly tables: Record<Family, Table | undefined> = { inet: undefined, inet6: undefined };
  private readonly joined = new Map<string, FakeMembership>();
  private readonly mrdiscOpen = new Set<number>();
  private readonly mrdiscLog: FakeMrdiscSent[] = [];
  private sink: UpcallSink | undefined;
  private mrdiscSink: MrdiscSink | undefined;
  private linkHandler: (() => void) | undefined;
  private down = false;
  /** Faults to inject: the next calls of a method fail with an errno, as the kernel would refuse them. */
  private readonly faults = new Map<FaultyCall, { errno: ErrnoName; left: number }>();

  constructor(ns: FakeNetns = new FakeNetns()) {
    this.ns = ns;
    ns.kernels.add(this);
  }

  links(): LinkInfo[] {
    return this.ns.links();
  }

  openMroute(family: Family, table: number): void {
    precheck.openMroute(family, table, { open: this.isOpen(family), down: this.down });
    const id = table === 0 ? DEFAULT_TABLE[family] : table;
    if (!this.ns.claim(family, id, this)) throw kernelError(OPS[family].init, 'EADDRINUSE');
    this.tables[family] = { id, vifs: new Map(), mfc: new Map(), unresolved: new Set() };
  }

  closeMroute(family: Family): void {
    const t = precheck.closeMroute(family, this.tables[family]);
    this.tables[family] = undefined;
    this.ns.release(family, t.id);
  }

  isOpen(family: Family): boolean {
    return this.tables[family] !== undefined;
  }

  addVif(family: Family, vif: number, ifindex: number, threshold: number): void {
    this.injected('addVif', OPS[family].addVif);
    const t = precheck.addVif(family, this.tables[family], vif, ifindex, threshold);
    kernelRules.addVif(family, vif);
    const op = OPS[family].addVif;
    if (t.vifs.has(vif)) throw kernelError(op, 'EADDRINUSE');
    if (!this.ns.hasLink(ifindex)) throw kernelError(op, 'EADDRNOTAVAIL');
    t.vifs.set(vif, { vif, ifindex, threshold, packetsIn: 0n, packetsOut: 0n, bytesIn: 0n, bytesOut: 0n });
  }

  delVif(family: Family, vif: number): void {
    this.injected('delVif', OPS[family].delVif);
    const t = precheck.delVif(family, this.tables[family], vif);
    kernelRules.delVif(family, vif);
    if (!t.vifs.delete(vif)) throw kernelError(OPS[family].delVif, 'EADDRNOTAVAIL');
  }

  addMfc(family: Family, mfc: MfcSpec): void {
    this.injected('addMfc', OPS[family].addMfc);
    const t = precheck.addMfc(family, this.tables[family], mfc);
    kernelRules.addMfc(family, mfc);
    const key = sgKey(mfc.source, mfc.group);
    const old = t.mfc.get(key);
    const ttls = new Uint8Array(MAX_VIFS);
    ttls.set(mfc.ttls.subarray(0, MAX_VIFS));
    // Replacing keeps the counters, as the kernel updates the entry in place.
    t.mfc.set(key, {
      source: mfc.source,
      group: mfc.group,
      iif: mfc.iif,
      ttls,
      packets: old?.packets ?? 0n,
      bytes: old?.bytes ?? 0n,
      wrongIf: old?.wrongIf ?? 0n,
    });
    t.unresolved.delete(key);
  }

  delMfc(family: Family, source: Addr, group: Addr, iif: number): void {
    this.injected('delMfc', OPS[family].delMfc);
    const t = precheck.delMfc(family, this.tables[family], source, group, iif);
    // Like MRT_DEL_MFC, the inbound VIF does not take part in the match.
    if (!t.mfc.delete(sgKey(source, group))) throw kernelError(OPS[family].delMfc, 'ENOENT');
  }

  counters(family: Family, source: Addr, group: Addr): SgCounters | undefined {
    const t = precheck.counters(family, this.tables[family], source, group);
    const e = t.mfc.get(sgKey(source, group));
    return e ? { packets: e.packets, bytes: e.bytes, wrongIf: e.wrongIf } : undefined;
  }

  vifCounters(family: Family, vif: number): VifCounters | undefined {
    const t = precheck.vifCounters(family, this.tables[family], vif);
    const v = t.vifs.get(vif);
    return v ? { packetsIn: v.packetsIn, packetsOut: v.packetsOut, bytesIn: v.bytesIn, bytesOut: v.bytesOut } : undefined;
  }

  join(ifindex: number, group: Addr, source?: Addr): void {
    this.injected('join', joinOp(true, source !== undefined));
    precheck.join(this.down, ifindex, group, source);
    kernelRules.join(group, source);
    const op = joinOp(true, source !== undefined);
    if (!this.ns.hasLink(ifindex)) throw kernelError(op, 'ENODEV');
    const key = joinKey(ifindex, group, source);
    if (this.joined.has(key)) throw kernelError(op, source ? 'EADDRNOTAVAIL' : 'EADDRINUSE');
    this.joined.set(key, source ? { ifindex, group, source } : { ifindex, group });
  }

  leave(ifindex: number, group: Addr, source?: Addr): void {
    this.injected('leave', joinOp(false, source !== undefined));
    precheck.leave(this.down, source);
    if (!this.joined.delete(joinKey(ifindex, group, source))) {
      throw kernelError(joinOp(false, source !== undefined), 'EADDRNOTAVAIL');
    }
  }

  openMrdisc(ifindex: number): void {
    precheck.openMrdisc(this.down, this.mrdiscOpen.has(ifindex), ifindex);
    // Linux binds to any index; it is the All-Routers join that finds no such link.
    if (!this.ns.hasLink(ifindex)) throw kernelError('MCAST_JOIN_GROUP', 'ENODEV');
    this.mrdiscOpen.add(ifindex);
  }

  /** As Linux routes the datagram: no link is ENODEV, a link that is down ENETUNREACH. */
  sendMrdisc(ifindex: number, message: MrdiscMessage): void {
    precheck.sendMrdisc(this.mrdiscOpen.has(ifindex) ? ifindex : undefined, message);
    const link = this.ns.links().find((l) => l.index === ifindex);
    if (!link) throw kernelError(MRDISC_OPS.send, 'ENODEV');
    if (!link.up) throw kernelError(MRDISC_OPS.send, 'ENETUNREACH');
    this.mrdiscLog.push({ ifindex, message });
  }

  closeMrdisc(ifindex: number): void {
    precheck.closeMrdisc(this.mrdiscOpen.has(ifindex) ? ifindex : undefined);
    this.mrdiscOpen.delete(ifindex);
  }

  onMrdisc(sink: MrdiscSink): void {
    if (!this.down) this.mrdiscSink = sink;
  }

  onUpcall(sink: UpcallSink): void {
    this.sink = sink;
  }

  onLinkChange(handler: () => void): void {
    if (!this.down) this.linkHandler = handler;
  }

  flowFacts(): Promise<FlowFacts> {
    return Promise.resolve(this.facts);
  }

  shutdown(): void {
    if (this.down) return;
    for (const family of FAMILIES) if (this.tables[family]) this.closeMroute(family);
    this.joined.clear();
    this.mrdiscOpen.clear();
    this.down = true;
    this.sink = undefined;
    this.mrdiscSink = undefined;
    this.linkHandler = undefined;
    this.ns.kernels.delete(this);
  }

  // ---- test helpers ----

  /** The next `times` calls of `method` throw `errno` before touching any state, as a refusing kernel would. */
  failNext(method: FaultyCall, errno: ErrnoName, times = 1): void {
    this.faults.set(method, { errno, left: times });
  }

  private injected(method: FaultyCall, op: string): void {
    const f = this.faults.get(method);
    if (!f) return;
    if (--f.left <= 0) this.faults.delete(method);
    throw kernelError(op, f.errno, 'injected');
  }

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
    return [...(this.tables[family]?.vifs.values() ?? [])]
      .map(({ vif, ifindex, threshold }) => ({ vif, ifindex, threshold }))
      .sort((a, b) => a.vif - b.vif);
  }

  mfcs(family: Family): FakeMfc[] {
    return [...(this.tables[family]?.mfc.values() ?? [])].map((e) => ({
      source: e.source,
      group: e.group,
      iif: e.iif,
      ttls: e.ttls.slice(),
      counters: { packets: e.packets, bytes: e.bytes, wrongIf: e.wrongIf },
    }));
  }

  memberships(): FakeMembership[] {
    return [...this.joined.values()];
  }

  /** Links with an open mrdisc socket, ascending. */
  mrdiscSockets(): number[] {
    return [...this.mrdiscOpen].sort((a, b) => a - b);
  }

  /** Every MRD message sent so far (closing a socket keeps its history); `clear` empties it. */
  mrdiscSent(clear = false): FakeMrdiscSent[] {
    const out = [...this.mrdiscLog];
    if (clear) this.mrdiscLog.length = 0;
    return out;
  }

  /** @internal see FakeNetns.hearMrdisc */
  hearMrdisc(heard: MrdiscHeard): void {
    if (this.mrdiscOpen.has(heard.ifindex)) this.mrdiscSink?.(heard);
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
      } else {
        // Like Linux, a VIF counts only what is forwarded: in on the entry's VIF, out on each OIF.
        const n = BigInt(packets);
        const size = n * BigInt(bytes);
        const inVif = t.vifs.get(vif);
        if (inVif) {
          inVif.packetsIn += n;
          inVif.bytesIn += size;
        }
        e.ttls.forEach((ttl, oif) => {
          const out = ttl > 0 ? t.vifs.get(oif) : undefined;
          if (!out) return;
          out.packetsOut += n;
          out.bytesOut += size;
        });
      }
    } else if (!t.unresolved.has(key)) {
      t.unresolved.add(key);
      up.push({ family, kind: 'nocache', type: 1, vif, source, group });
    }
    if (up.length > 0) this.emitUpcalls(up);
  }
}

function joinKey(ifindex: number, group: Addr, source?: Addr): string {
  return `${ifindex}|${addrKey(group)}|${source ? addrKey(source) : '*'}`;
}
