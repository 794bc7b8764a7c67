// The real Kernel: Linux multicast routing sockets (IPv4 and IPv6), group
// joins, interface list and netlink link events. Policy lives in the daemon.

import { ERRNO, errnoName, kernelError } from '../errors.js';
import { FAMILIES, type Addr, type Family } from '../model/addr.js';
import { OPS, precheck } from './contract.js';
import * as ffi from './ffi.js';
import { JoinPool } from './join-pool.js';
import { MrdiscSockets } from './mrdisc-socket.js';
import { PollLoop } from './poll-loop.js';
import {
  AF_INET,
  AF_INET6,
  AF_NETLINK,
  SOCK_RAW,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_CLOEXEC,
  SOL_SOCKET,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  IPPROTO_IP,
  IPPROTO_IGMP,
  IPPROTO_IPV6,
  IPPROTO_ICMPV6,
  IP_MULTICAST_ALL,
  IPV6_MULTICAST_ALL,
  ICMP6_FILTER,
  MRT_INIT,
  MRT_DONE,
  MRT_ADD_VIF,
  MRT_DEL_VIF,
  MRT_ADD_MFC,
  MRT_DEL_MFC,
  MRT_PIM,
  MRT_TABLE,
  SIOCGETSGCNT,
  SIOCGETVIFCNT,
  SIOC_VIF_REQ_SIZE,
  encodeVifReq,
  decodeVifReq,
  SIOCGIFFLAGS,
  IFF_UP,
  IFF_MULTICAST,
  NETLINK_ROUTE,
  RTMGRP_LINK,
  MSG_DONTWAIT,
  VIFCTL_SIZE,
  MIF6CTL_SIZE,
  MFCCTL_SIZE,
  MF6CCTL_SIZE,
  SIOC_SG_REQ6_SIZE,
  IFREQ_SIZE,
  encodeVifctl,
  encodeMif6ctl,
  encodeMfcctl,
  encodeMf6cctl,
  encodeSgReq,
  decodeSgReq,
  encodeIfreqName,
  decodeIfreqFlags,
  encodeSockaddrNl,
  icmp6FilterBlockAll,
  decodeIgmpmsg,
  decodeMrt6msg,
} from './structs.js';
import type {
  FlowFacts,
  Kernel,
  LinkInfo,
  MfcSpec,
  MrdiscHeard,
  MrdiscMessage,
  MrdiscSink,
  SgCounters,
  Upcall,
  UpcallSink,
  VifCounters,
} from './types.js';

/** Room for a burst of tens of thousands of upcalls (the kernel doubles it). */
const RCVBUF_BYTES = 16 * 1024 * 1024;
/** Upcalls are at most 40 bytes of interest; the rest of a datagram is dropped. */
const UPCALL_SLOT = 128;
const UPCALL_SLOTS = 64;
/** Per wake-up and socket, so a flood cannot starve the event loop. */
const MAX_DRAIN = 4096;

export interface LinuxKernelOptions {
  /** Non-fatal problems (MRT_PIM refused, socket read errors). */
  warn?: (message: string) => void;
}

export class LinuxKernel implements Kernel {
  private readonly mroute: Record<Family, number> = { inet: -1, inet6: -1 };
  private readonly joins = new JoinPool();
  private readonly warn: (message: string) => void;
  private readonly mrdisc: MrdiscSockets;
  private sink: UpcallSink | undefined;
  private mrdiscSink: MrdiscSink | undefined;
  private linkHandler: (() => void) | undefined;
  private netlink = -1;
  private loop: PollLoop | undefined;
  private down = false;
  /** Sockets lent to explain's packet sampler, read on the same poll loop. */
  private readonly lent = new Map<number, () => void>();
  private facts: Promise<FlowFacts> | undefined;

  // Reused request buffers: control calls run thousands of times at start-up.
  private readonly vifBuf = Buffer.alloc(VIFCTL_SIZE);
  private readonly mifBuf = Buffer.alloc(MIF6CTL_SIZE);
  private readonly mifiBuf = Buffer.alloc(2);
  private readonly mfcBuf = Buffer.alloc(MFCCTL_SIZE);
  private readonly mf6cBuf = Buffer.alloc(MF6CCTL_SIZE);
  private readonly sgBuf = Buffer.alloc(SIOC_SG_REQ6_SIZE);
  private readonly vifReqBuf = Buffer.alloc(SIOC_VIF_REQ_SIZE);
  private readonly ifreqBuf = Buffer.alloc(IFREQ_SIZE);
  private readonly ring = new ffi.DatagramRing(UPCALL_SLOTS, UPCALL_SLOT);
  private readonly nlBuf = Buffer.alloc(32 * 1024);

  constructor(options: LinuxKernelOptions = {}) {
    this.warn = options.warn ?? (() => {});
    this.mrdisc = new MrdiscSockets(this.warn);
  }

  links(): LinkInfo[] {
    const fd = ffi.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    try {
      const out: LinkInfo[] = [];
      for (const { index, name } of ffi.ifNameIndex()) {
        encodeIfreqName(this.ifreqBuf, name);
        const errno = ffi.tryIoctl(fd, SIOCGIFFLAGS, this.ifreqBuf);
        if (errno === ERRNO.ENODEV) continue; // vanished meanwhile
        if (errno) throw kernelError('SIOCGIFFLAGS', errno, name);
        const flags = decodeIfreqFlags(this.ifreqBuf);
        out.push({ name, index, up: (flags & IFF_UP) !== 0, multicast: (flags & IFF_MULTICAST) !== 0 });
      }
      return out.sort((a, b) => a.index - b.index);
    } finally {
      ffi.close(fd);
    }
  }

  openMroute(family: Family, table: number): void {
    precheck.openMroute(family, table, { open: this.isOpen(family), down: this.down });
    const ops = OPS[family];
    const v4 = family === 'inet';
    const level = v4 ? IPPROTO_IP : IPPROTO_IPV6;
    const fd = ffi.socket(v4 ? AF_INET : AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, v4 ? IPPROTO_IGMP : IPPROTO_ICMPV6);
    try {
      if (!v4) {
        // Upcalls bypass the ICMPv6 filter; MLD and other ICMPv6 traffic does not.
        const filter = icmp6FilterBlockAll();
        ffi.setsockopt('ICMP6_FILTER', fd, IPPROTO_ICMPV6, ICMP6_FILTER, filter, filter.length);
      }
      // Only our own (zero) joins matter to this socket, not every group on the host.
      ffi.trySetsockoptInt(fd, level, v4 ? IP_MULTICAST_ALL : IPV6_MULTICAST_ALL, 0);
      if (table !== 0) {
        const tbl = Buffer.alloc(4);
        tbl.writeUInt32LE(table, 0);
        if (ffi.trySetsockopt(fd, level, MRT_TABLE, tbl, 4) !== 0) {
          // As upstream: a refused table id means no multi-table support.
          throw kernelError(ops.table, 'EPROTONOSUPPORT', `table ${table}`);
        }
      }
      const one = Buffer.alloc(4);
      one.writeInt32LE(1, 0);
      ffi.setsockopt(ops.init, fd, level, MRT_INIT, one, 4);
      if (v4) {
        // MRT_PIM also turns on asserts, which is what makes WRONGVIF upcalls arrive.
        const errno = ffi.trySetsockopt(fd, IPPROTO_IP, MRT_PIM, one, 4);
        if (errno) this.warn(`MRT_PIM refused (${errnoName(errno)}); no WRONGVIF upcalls`);
      }
      if (ffi.trySetsockoptInt(fd, SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF_BYTES) !== 0) {
        const errno = ffi.trySetsockoptInt(fd, SOL_SOCKET, SO_RCVBUF, RCVBUF_BYTES);
        if (errno) this.warn(`SO_RCVBUF refused (${errnoName(errno)}); upcalls may be dropped`);
      }
    } catch (err) {
      ffi.close(fd);
      throw err;
    }
    this.mroute[family] = fd;
    this.rewatch();
  }

  closeMroute(family: Family): void {
    const fd = precheck.closeMroute(family, this.socket(family));
    this.mroute[family] = -1;
    this.rewatch();
    this.shut(family, fd);
  }

  isOpen(family: Family): boolean {
    return this.mroute[family] >= 0;
  }

  addVif(family: Family, vif: number, ifindex: number, threshold: number): void {
    const fd = precheck.addVif(family, this.socket(family), vif, ifindex, threshold);
    const op = OPS[family].addVif;
    if (family === 'inet') {
      encodeVifctl(this.vifBuf, vif, ifindex, threshold);
      ffi.setsockopt(op, fd, IPPROTO_IP, MRT_ADD_VIF, this.vifBuf, VIFCTL_SIZE);
    } else {
      encodeMif6ctl(this.mifBuf, vif, ifindex, threshold);
      ffi.setsockopt(op, fd, IPPROTO_IPV6, MRT_ADD_VIF, this.mifBuf, MIF6CTL_SIZE);
    }
  }

  delVif(family: Family, vif: number): void {
    const fd = precheck.delVif(family, this.socket(family), vif);
    const op = OPS[family].delVif;
    if (family === 'inet') {
      encodeVifctl(this.vifBuf, vif, 0, 0);
      ffi.setsockopt(op, fd, IPPROTO_IP, MRT_DEL_VIF, this.vifBuf, VIFCTL_SIZE);
    } else {
      // MRT6_DEL_MIF takes a bare mifi_t, not a mif6ctl.
      this.mifiBuf.writeUInt16LE(vif, 0);
      ffi.setsockopt(op, fd, IPPROTO_IPV6, MRT_DEL_VIF, this.mifiBuf, 2);
    }
  }

  addMfc(family: Family, mfc: MfcSpec): void {
    const fd = precheck.addMfc(family, this.socket(family), mfc);
    this.mfcCall(OPS[family].addMfc, fd, family, MRT_ADD_MFC, mfc.source, mfc.group, mfc.iif, mfc.ttls);
  }

  delMfc(family: Family, source: Addr, group: Addr, iif: number): void {
    const fd = precheck.delMfc(family, this.socket(family), source, group, iif);
    this.mfcCall(OPS[family].delMfc, fd, family, MRT_DEL_MFC, source, group, iif, undefined);
  }

  counters(family: Family, source: Addr, group: Addr): SgCounters | undefined {
    const fd = precheck.counters(family, this.socket(family), source, group);
    encodeSgReq(this.sgBuf, source, group);
    const errno = ffi.tryIoctl(fd, SIOCGETSGCNT, this.sgBuf);
    if (errno === ERRNO.EADDRNOTAVAIL) return undefined;
    if (errno) throw kernelError(OPS[family].counters, errno);
    return decodeSgReq(this.sgBuf, family);
  }

  vifCounters(family: Family, vif: number): VifCounters | undefined {
    const fd = precheck.vifCounters(family, this.socket(family), vif);
    encodeVifReq(this.vifReqBuf, vif);
    const errno = ffi.tryIoctl(fd, SIOCGETVIFCNT, this.vifReqBuf);
    if (errno === ERRNO.EADDRNOTAVAIL || errno === ERRNO.EINVAL) return undefined;
    if (errno) throw kernelError(OPS[family].vifCounters, errno);
    return decodeVifReq(this.vifReqBuf);
  }

  join(ifindex: number, group: Addr, source?: Addr): void {
    precheck.join(this.down, ifindex, group, source);
    this.joins.join(ifindex, group, source);
  }

  leave(ifindex: number, group: Addr, source?: Addr): void {
    precheck.leave(this.down, source);
    this.joins.leave(ifindex, group, source);
  }

  openMrdisc(ifindex: number): void {
    precheck.openMrdisc(this.down, this.mrdisc.has(ifindex), ifindex);
    this.mrdisc.open(ifindex);
    this.rewatch();
  }

  sendMrdisc(ifindex: number, message: MrdiscMessage): void {
    this.mrdisc.send(ifindex, message);
  }

  closeMrdisc(ifindex: number): void {
    this.mrdisc.close(ifindex);
    this.rewatch();
  }

  onMrdisc(sink: MrdiscSink): void {
    this.mrdiscSink = sink;
    this.rewatch();
  }

  onUpcall(sink: UpcallSink): void {
    this.sink = sink;
    this.rewatch();
  }

  onLinkChange(handler: () => void): void {
    if (this.down) return;
    this.linkHandler = handler;
    if (this.netlink < 0) this.netlink = openNetlink();
    this.rewatch();
  }

  flowFacts(): Promise<FlowFacts> {
    this.facts ??= import('./flow-facts.js').then(
      (m) =>
        new m.LinuxFlowFacts({
          watch: (fd, onReadable) => {
            this.lent.set(fd, onReadable);
            this.rewatch();
          },
          unwatch: (fd) => {
            if (this.lent.delete(fd)) this.rewatch();
          },
        }),
    );
    return this.facts;
  }

  shutdown(): void {
    if (this.down) return;
    this.down = true;
    this.loop?.stop();
    for (const family of FAMILIES) {
      const fd = this.mroute[family];
      this.mroute[family] = -1;
      if (fd >= 0) this.shut(family, fd);
    }
    this.joins.closeAll();
    this.mrdisc.closeAll();
    if (this.netlink >= 0) ffi.close(this.netlink);
    this.netlink = -1;
    this.sink = undefined;
    this.mrdiscSink = undefined;
    this.linkHandler = undefined;
  }

  /** The family's routing socket, undefined when closed (the contract's EBADF case). */
  private socket(family: Family): number | undefined {
    const fd = this.mroute[family];
    return fd >= 0 ? fd : undefined;
  }

  private shut(family: Family, fd: number): void {
    const level = family === 'inet' ? IPPROTO_IP : IPPROTO_IPV6;
    const errno = ffi.trySetsockopt(fd, level, MRT_DONE, null, 0);
    if (errno) this.warn(`${OPS[family].done} failed (${errnoName(errno)})`);
    // Closing is what really releases the table and flushes its VIFs and MFC.
    ffi.close(fd);
  }

  private mfcCall(
    op: string,
    fd: number,
    family: Family,
    name: number,
    source: Addr,
    group: Addr,
    iif: number,
    ttls: Uint8Array | undefined,
  ): void {
    if (family === 'inet') {
      encodeMfcctl(this.mfcBuf, source, group, iif, ttls);
      ffi.setsockopt(op, fd, IPPROTO_IP, name, this.mfcBuf, MFCCTL_SIZE);
    } else {
      encodeMf6cctl(this.mf6cBuf, source, group, iif, ttls);
      ffi.setsockopt(op, fd, IPPROTO_IPV6, name, this.mf6cBuf, MF6CCTL_SIZE);
    }
  }

  /** Points the poll loop at the sockets someone listens to. */
  private rewatch(): void {
    if (this.down) return;
    const fds: number[] = [];
    if (this.sink) {
      if (this.mroute.inet >= 0) fds.push(this.mroute.inet);
      if (this.mroute.inet6 >= 0) fds.push(this.mroute.inet6);
    }
    if (this.linkHandler && this.netlink >= 0) fds.push(this.netlink);
    if (this.mrdiscSink) fds.push(...this.mrdisc.watched());
    fds.push(...this.lent.keys());
    if (fds.length === 0 && !this.loop) return;
    this.loop ??= new PollLoop(() => this.drain());
    this.loop.watch(fds);
  }

  /** Runs after every poll: empties each socket, then notifies once. */
  private drain(): void {
    const batch: Upcall[] = [];
    const sink = this.sink;
    if (sink) {
      if (this.mroute.inet >= 0) this.readUpcalls(this.mroute.inet, 'inet', batch);
      if (this.mroute.inet6 >= 0) this.readUpcalls(this.mroute.inet6, 'inet6', batch);
    }
    const heard: MrdiscHeard[] = [];
    const mrdiscSink = this.mrdiscSink;
    if (mrdiscSink) this.mrdisc.drain(heard);
    const linksChanged = this.linkHandler !== undefined && this.netlink >= 0 && this.readNetlink();
    if (batch.length > 0 && sink) sink(batch);
    for (const h of heard) mrdiscSink?.(h);
    if (linksChanged) this.linkHandler?.();
    // Copied: a handler may unwatch its socket. Nearly always empty (explain lends one for a second).
    if (this.lent.size > 0) for (const onReadable of [...this.lent.values()]) onReadable();
  }

  private readUpcalls(fd: number, family: Family, batch: Upcall[]): void {
    const ring = this.ring;
    const decode = family === 'inet' ? decodeIgmpmsg : decodeMrt6msg;
    for (let total = 0; total < MAX_DRAIN;) {
      const n = ring.receive(fd);
      if (n < 0) {
        if (-n !== ERRNO.EAGAIN && -n !== ERRNO.EINTR) {
          this.warn(`reading ${family} multicast routing socket: ${errnoName(-n)}`);
        }
        return;
      }
      if (n === 0) return;
      for (let i = 0; i < n; i++) {
        const up = decode(ring.data, ring.offset(i), ring.length(i));
        if (up) batch.push(up);
      }
      total += n;
    }
  }

  /** Empties the netlink socket; true when anything (or an overrun) arrived. */
  private readNetlink(): boolean {
    let changed = false;
    for (;;) {
      const n = ffi.recv(this.netlink, this.nlBuf, MSG_DONTWAIT);
      if (n > 0) {
        changed = true;
        continue;
      }
      if (n === 0 || -n === ERRNO.EAGAIN) return changed;
      // ENOBUFS: the kernel dropped events, so something did change.
      if (-n === ERRNO.ENOBUFS) {
        changed = true;
        continue;
      }
      if (-n === ERRNO.EINTR) continue;
      this.warn(`reading netlink: ${errnoName(-n)}`);
      return changed;
    }
  }
}

function openNetlink(): number {
  const fd = ffi.socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  try {
    // Link events only: VIFs/MIFs are made by ifindex, so addresses never matter, and address
    // churn (DHCP, IPv6 DAD, temporary addresses) would only cost re-resolving.
    ffi.bind('bind', fd, encodeSockaddrNl(RTMGRP_LINK));
  } catch (err) {
    ffi.close(fd);
    throw err;
  }
  return fd;
}

export function createLinuxKernel(options?: LinuxKernelOptions): LinuxKernel {
  return new LinuxKernel(options);
}
