// The Linux multicast-routing ABI as plain bytes: constants, struct encoders
// and the upcall decoders. Pure (no system calls); layouts are x86_64 Linux (LAYOUTS lists them).

import { inet4, v4Bits, type Addr, type Family } from '../model/addr.js';
import type { SgCounters, Upcall, UpcallKind, TtlVector, VifCounters } from './types.js';
import { MAX_VIFS } from '../model/limits.js';

// Sizes and offsets below were checked against <linux/mroute.h>,
// <linux/mroute6.h> and glibc headers with a C program on this machine.

export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const AF_UNIX = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const MSG_DONTWAIT = 0x40;
export const MSG_NOSIGNAL = 0x4000;
export const POLLIN = 1;

export const SOL_SOCKET = 1;
export const SO_RCVBUF = 8;
export const SO_RCVBUFFORCE = 33;
export const SO_PEERCRED = 17;
export const IPPROTO_IP = 0;
export const IPPROTO_IGMP = 2;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ICMPV6 = 58;
export const IP_OPTIONS = 4;
export const IP_MULTICAST_TTL = 33;
export const IP_MULTICAST_LOOP = 34;
export const IP_MULTICAST_ALL = 49;
export const SO_BINDTOIFINDEX = 62;
export const IPV6_MULTICAST_ALL = 29;
export const ICMP6_FILTER = 1;

export const MCAST_JOIN_GROUP = 42;
export const MCAST_LEAVE_GROUP = 45;
export const MCAST_JOIN_SOURCE_GROUP = 46;
export const MCAST_LEAVE_SOURCE_GROUP = 47;

// MRT_* (level IPPROTO_IP) and MRT6_* (level IPPROTO_IPV6) share numbers.
export const MRT_INIT = 200;
export const MRT_DONE = 201;
export const MRT_ADD_VIF = 202;
export const MRT_DEL_VIF = 203;
export const MRT_ADD_MFC = 204;
export const MRT_DEL_MFC = 205;
export const MRT_PIM = 208;
export const MRT_TABLE = 209;
export const VIFF_USE_IFINDEX = 0x8;

export const SIOCGIFFLAGS = 0x8913;
/** SIOCPROTOPRIVATE + 1; the same number serves SIOCGETSGCNT_IN6. */
export const SIOCGETSGCNT = 0x89e1;
/** SIOCPROTOPRIVATE; the same number serves SIOCGETMIFCNT_IN6. */
export const SIOCGETVIFCNT = 0x89e0;
export const IFF_UP = 0x1;
export const IFF_MULTICAST = 0x1000;

export const NETLINK_ROUTE = 0;
export const RTMGRP_LINK = 0x1;

const IGMPMSG_NOCACHE = 1;
const IGMPMSG_WRONGVIF = 2;
const IGMPMSG_WHOLEPKT = 3;
const MRT6MSG_NOCACHE = 1;
const MRT6MSG_WRONGMIF = 2;
const MRT6MSG_WHOLEPKT = 3;

export const VIFCTL_SIZE = 16;
export const MFCCTL_SIZE = 60;
const MFCCTL_TTLS_OFFSET = 10;
export const SIOC_SG_REQ_SIZE = 32;
/** struct sioc_vif_req and sioc_mif_req6: a 16-bit index, then four unsigned longs. */
export const SIOC_VIF_REQ_SIZE = 40;
export const MIF6CTL_SIZE = 12;
export const MF6CCTL_SIZE = 92;
export const SIOC_SG_REQ6_SIZE = 80;
const IGMPMSG_SIZE = 20;
const MRT6MSG_SIZE = 40;
export const GROUP_REQ_SIZE = 136;
export const GROUP_SOURCE_REQ_SIZE = 264;
const SOCKADDR_IN_SIZE = 16;
const SOCKADDR_IN6_SIZE = 28;
const ICMP6_FILTER_SIZE = 32;
export const IFREQ_SIZE = 40;
export const IFNAMSIZ = 16;
const SOCKADDR_NL_SIZE = 12;
export const POLLFD_SIZE = 8;
export const MMSGHDR_SIZE = 64;
export const IOVEC_SIZE = 16;
/** struct ucred: pid_t pid, uid_t uid, gid_t gid. */
export const UCRED_SIZE = 12;
/** Where recvmmsg's headers keep msg_iov, msg_iovlen and the received length (ffi.ts). */
export const MSGHDR_IOV_OFFSET = 16;
export const MSGHDR_IOVLEN_OFFSET = 24;
export const MMSGHDR_LEN_OFFSET = 56;
/** struct passwd (pw_uid, pw_gid) and struct group (gr_gid), as ffi.ts reads NSS answers. */
export const PASSWD_SIZE = 48;
export const PASSWD_UID_OFFSET = 16;
export const PASSWD_GID_OFFSET = 20;
export const GROUP_SIZE = 32;
export const GROUP_GID_OFFSET = 16;
/** struct if_nameindex: unsigned if_index, then the name pointer. */
export const IF_NAMEINDEX_SIZE = 16;
export const IF_NAMEINDEX_NAME_OFFSET = 8;

/** struct sockaddr_ll (explain's packet socket). */
const SOCKADDR_LL_SIZE = 20;

/** A C struct's size and the offsets of the fields this code reads or writes at fixed places. */
export interface Layout {
  readonly size: number;
  readonly offsets?: Readonly<Record<string, number>>;
}

/**
 * Every struct whose layout this code assumes (x86_64 Linux, glibc), with the numbers the
 * encoders and decoders here and in ffi.ts use. kernel/platform.ts compares them at start with
 * the layouts koffi computes for the machine it runs on. `ipc_msg` is the IPC request header
 * (ipc/codec.ts, HEADER_LEN), which upstream's C programs send in their own native layout.
 */
export const LAYOUTS: Readonly<Record<string, Layout>> = {
  vifctl: { size: VIFCTL_SIZE, offsets: { vifc_threshold: 3, vifc_lcl_ifindex: 8 } },
  mfcctl: { size: MFCCTL_SIZE, offsets: { mfcc_parent: 8, mfcc_ttls: MFCCTL_TTLS_OFFSET } },
  mif6ctl: { size: MIF6CTL_SIZE, offsets: { mif6c_pifi: 4 } },
  mf6cctl: { size: MF6CCTL_SIZE, offsets: { mf6cc_mcastgrp: 28, mf6cc_parent: 56, mf6cc_ifset: 60 } },
  sioc_sg_req: { size: SIOC_SG_REQ_SIZE, offsets: { pktcnt: 8 } },
  sioc_sg_req6: { size: SIOC_SG_REQ6_SIZE, offsets: { pktcnt: 56 } },
  sioc_vif_req: { size: SIOC_VIF_REQ_SIZE, offsets: { icount: 8, ocount: 16, ibytes: 24, obytes: 32 } },
  sioc_mif_req6: { size: SIOC_VIF_REQ_SIZE, offsets: { icount: 8, ocount: 16, ibytes: 24, obytes: 32 } },
  group_req: { size: GROUP_REQ_SIZE, offsets: { gr_group: 8 } },
  group_source_req: { size: GROUP_SOURCE_REQ_SIZE, offsets: { gsr_group: 8, gsr_source: 136 } },
  sockaddr_in: { size: SOCKADDR_IN_SIZE, offsets: { sin_addr: 4 } },
  sockaddr_in6: { size: SOCKADDR_IN6_SIZE, offsets: { sin6_addr: 8 } },
  sockaddr_nl: { size: SOCKADDR_NL_SIZE, offsets: { nl_groups: 8 } },
  sockaddr_ll: { size: SOCKADDR_LL_SIZE, offsets: { sll_protocol: 2, sll_ifindex: 4 } },
  ifreq: { size: IFREQ_SIZE, offsets: { ifr_flags: IFNAMSIZ } },
  pollfd: { size: POLLFD_SIZE },
  iovec: { size: IOVEC_SIZE, offsets: { iov_len: 8 } },
  mmsghdr: {
    size: MMSGHDR_SIZE,
    offsets: { 'msg_hdr.msg_iov': MSGHDR_IOV_OFFSET, 'msg_hdr.msg_iovlen': MSGHDR_IOVLEN_OFFSET, msg_len: MMSGHDR_LEN_OFFSET },
  },
  igmpmsg: { size: IGMPMSG_SIZE, offsets: { im_msgtype: 8, im_vif: 10, im_src: 12, im_dst: 16 } },
  mrt6msg: { size: MRT6MSG_SIZE, offsets: { im6_mif: 2, im6_src: 8, im6_dst: 24 } },
  icmp6_filter: { size: ICMP6_FILTER_SIZE },
  ucred: { size: UCRED_SIZE, offsets: { uid: 4, gid: 8 } },
  passwd: { size: PASSWD_SIZE, offsets: { pw_uid: PASSWD_UID_OFFSET, pw_gid: PASSWD_GID_OFFSET } },
  group: { size: GROUP_SIZE, offsets: { gr_gid: GROUP_GID_OFFSET } },
  if_nameindex: { size: IF_NAMEINDEX_SIZE, offsets: { if_name: IF_NAMEINDEX_NAME_OFFSET } },
  ipc_msg: { size: 16, offsets: { cmd: 8, count: 10 } },
};

const U32 = 0xffffffffn;

/** Writes the address in network byte order: 4 or 16 bytes. */
function writeAddr(buf: Buffer, off: number, a: Addr): void {
  if (a.family === 'inet') {
    buf.writeUInt32BE(v4Bits(a), off);
    return;
  }
  const v = a.value;
  buf.writeUInt32BE(Number((v >> 96n) & U32), off);
  buf.writeUInt32BE(Number((v >> 64n) & U32), off + 4);
  buf.writeUInt32BE(Number((v >> 32n) & U32), off + 8);
  buf.writeUInt32BE(Number(v & U32), off + 12);
}

function readAddr(buf: Buffer, off: number, family: Family): Addr {
  if (family === 'inet') return inet4(buf.readUInt32BE(off));
  const value =
    (BigInt(buf.readUInt32BE(off)) << 96n) |
    (BigInt(buf.readUInt32BE(off + 4)) << 64n) |
    (BigInt(buf.readUInt32BE(off + 8)) << 32n) |
    BigInt(buf.readUInt32BE(off + 12));
  return { family, value };
}

/** struct sockaddr_in / sockaddr_in6 (port, flowinfo and scope all zero). */
function writeSockaddr(buf: Buffer, off: number, a: Addr): void {
  if (a.family === 'inet') {
    buf.fill(0, off, off + SOCKADDR_IN_SIZE);
    buf.writeUInt16LE(AF_INET, off);
    writeAddr(buf, off + 4, a);
  } else {
    buf.fill(0, off, off + SOCKADDR_IN6_SIZE);
    buf.writeUInt16LE(AF_INET6, off);
    writeAddr(buf, off + 8, a);
  }
}

/** struct vifctl for MRT_ADD_VIF / MRT_DEL_VIF, addressing the interface by index. */
export function encodeVifctl(buf: Buffer, vif: number, ifindex: number, threshold: number): void {
  buf.fill(0, 0, VIFCTL_SIZE);
  buf.writeUInt16LE(vif, 0);
  buf.writeUInt8(VIFF_USE_IFINDEX, 2);
  buf.writeUInt8(threshold, 3);
  buf.writeInt32LE(ifindex, 8);
}

/** struct mif6ctl for MRT6_ADD_MIF. */
export function encodeMif6ctl(buf: Buffer, mif: number, ifindex: number, threshold: number): void {
  buf.fill(0, 0, MIF6CTL_SIZE);
  buf.writeUInt16LE(mif, 0);
  buf.writeUInt8(threshold, 3);
  buf.writeUInt16LE(ifindex, 4);
}

/** struct mfcctl for MRT_ADD_MFC / MRT_DEL_MFC; `ttls` may be omitted for a delete. */
export function encodeMfcctl(buf: Buffer, source: Addr, group: Addr, iif: number, ttls?: TtlVector): void {
  buf.fill(0, 0, MFCCTL_SIZE);
  writeAddr(buf, 0, source);
  writeAddr(buf, 4, group);
  buf.writeUInt16LE(iif, 8);
  if (ttls) buf.set(ttls.length > MAX_VIFS ? ttls.subarray(0, MAX_VIFS) : ttls, MFCCTL_TTLS_OFFSET);
}

/**
 * struct mf6cctl for MRT6_ADD_MFC / MRT6_DEL_MFC. IPv6 has no per-MIF TTL in
 * the MFC, only the if_set bitmap: every non-zero TTL sets its MIF's bit.
 */
export function encodeMf6cctl(buf: Buffer, source: Addr, group: Addr, iif: number, ttls?: TtlVector): void {
  buf.fill(0, 0, MF6CCTL_SIZE);
  writeSockaddr(buf, 0, source);
  writeSockaddr(buf, 28, group);
  buf.writeUInt16LE(iif, 56);
  if (ttls) {
    const n = Math.min(ttls.length, MAX_VIFS);
    // if_set is an array of native-endian u32 words: bit i lives in byte i>>3 on x86_64.
    for (const [i, ttl] of ttls.subarray(0, n).entries()) {
      if (!ttl) continue;
      const byte = 60 + (i >> 3);
      buf.writeUInt8(buf.readUInt8(byte) | (1 << (i & 7)), byte);
    }
  }
}

/** struct sioc_sg_req (IPv4) or sioc_sg_req6, with source and group filled in. */
export function encodeSgReq(buf: Buffer, source: Addr, group: Addr): void {
  if (source.family === 'inet') {
    buf.fill(0, 0, SIOC_SG_REQ_SIZE);
    writeAddr(buf, 0, source);
    writeAddr(buf, 4, group);
  } else {
    buf.fill(0, 0, SIOC_SG_REQ6_SIZE);
    writeSockaddr(buf, 0, source);
    writeSockaddr(buf, 28, group);
  }
}

export function decodeSgReq(buf: Buffer, family: Family): SgCounters {
  const off = family === 'inet' ? 8 : 56;
  return {
    packets: buf.readBigUInt64LE(off),
    bytes: buf.readBigUInt64LE(off + 8),
    wrongIf: buf.readBigUInt64LE(off + 16),
  };
}

/** struct sioc_vif_req or sioc_mif_req6 (the same layout) asking for one VIF/MIF. */
export function encodeVifReq(buf: Buffer, vif: number): void {
  buf.fill(0, 0, SIOC_VIF_REQ_SIZE);
  buf.writeUInt16LE(vif, 0);
}

export function decodeVifReq(buf: Buffer): VifCounters {
  return {
    packetsIn: buf.readBigUInt64LE(8),
    packetsOut: buf.readBigUInt64LE(16),
    bytesIn: buf.readBigUInt64LE(24),
    bytesOut: buf.readBigUInt64LE(32),
  };
}

/**
 * struct group_req (ASM) or group_source_req (SSM) for the RFC 3678
 * MCAST_* socket options; returns the number of bytes to pass.
 */
export function encodeGroupReq(buf: Buffer, ifindex: number, group: Addr, source?: Addr): number {
  const size = source ? GROUP_SOURCE_REQ_SIZE : GROUP_REQ_SIZE;
  buf.fill(0, 0, size);
  buf.writeUInt32LE(ifindex, 0);
  writeSockaddr(buf, 8, group);
  if (source) writeSockaddr(buf, 136, source);
  return size;
}

/** struct sockaddr_in / sockaddr_in6 of an address, port 0: a sendto() destination. */
export function encodeSockaddr(a: Addr): Buffer {
  const buf = Buffer.alloc(a.family === 'inet' ? SOCKADDR_IN_SIZE : SOCKADDR_IN6_SIZE);
  writeSockaddr(buf, 0, a);
  return buf;
}

/** An icmp6_filter that blocks every ICMPv6 type (a set bit means "block"). */
export function icmp6FilterBlockAll(): Buffer {
  return Buffer.alloc(ICMP6_FILTER_SIZE, 0xff);
}

/** struct ifreq carrying only the interface name (for SIOCGIFFLAGS). */
export function encodeIfreqName(buf: Buffer, name: string): void {
  buf.fill(0, 0, IFREQ_SIZE);
  buf.write(name, 0, IFNAMSIZ - 1, 'latin1');
}

export function decodeIfreqFlags(buf: Buffer): number {
  return buf.readUInt16LE(IFNAMSIZ);
}

/** struct ucred, as SO_PEERCRED fills it. */
export function decodeUcred(buf: Buffer): { pid: number; uid: number; gid: number } {
  return { pid: buf.readInt32LE(0), uid: buf.readUInt32LE(4), gid: buf.readUInt32LE(8) };
}

/** struct sockaddr_nl bound to the given multicast groups. */
export function encodeSockaddrNl(groups: number): Buffer {
  const buf = Buffer.alloc(SOCKADDR_NL_SIZE);
  buf.writeUInt16LE(AF_NETLINK, 0);
  buf.writeUInt32LE(groups, 8);
  return buf;
}

function igmpKind(type: number): UpcallKind {
  switch (type) {
    case IGMPMSG_NOCACHE:
      return 'nocache';
    case IGMPMSG_WRONGVIF:
      return 'wrongvif';
    case IGMPMSG_WHOLEPKT:
      return 'wholepkt';
    // IGMPMSG_WRVIFWHOLE (4) only comes with MRT_PIM set to 4; we set 1.
    default:
      return 'other';
  }
}

function mrt6Kind(type: number): UpcallKind {
  switch (type) {
    case MRT6MSG_NOCACHE:
      return 'nocache';
    case MRT6MSG_WRONGMIF:
      return 'wrongvif';
    case MRT6MSG_WHOLEPKT:
      return 'wholepkt';
    default:
      return 'other';
  }
}

/**
 * One datagram read from the IPv4 mroute socket. An upcall overlays the IP
 * header with struct igmpmsg and has a zero protocol byte (im_mbz); real IGMP
 * packets the socket also receives carry protocol 2 and are not upcalls.
 */
export function decodeIgmpmsg(buf: Buffer, off: number, len: number): Upcall | undefined {
  if (len < IGMPMSG_SIZE) return undefined;
  const type = buf.readUInt8(off + 8);
  if (type === 0 || buf[off + 9] !== 0) return undefined;
  return {
    family: 'inet',
    kind: igmpKind(type),
    type,
    vif: buf.readUInt16LE(off + 10), // im_vif, then im_vif_hi
    source: readAddr(buf, off + 12, 'inet'),
    group: readAddr(buf, off + 16, 'inet'),
  };
}

/**
 * One datagram read from the IPv6 mroute socket. An upcall is a struct
 * mrt6msg whose first byte is zero; MLD and other ICMPv6 messages start with
 * a non-zero ICMPv6 type.
 */
export function decodeMrt6msg(buf: Buffer, off: number, len: number): Upcall | undefined {
  if (len < MRT6MSG_SIZE) return undefined;
  const type = buf.readUInt8(off + 1);
  if (buf[off] !== 0 || type === 0) return undefined;
  return {
    family: 'inet6',
    kind: mrt6Kind(type),
    type,
    vif: buf.readUInt16LE(off + 2),
    source: readAddr(buf, off + 8, 'inet6'),
    group: readAddr(buf, off + 24, 'inet6'),
  };
}

// ---- explain's facts: route lookup over netlink, packets from an AF_PACKET socket ----

export const AF_PACKET = 17;
export const SOL_PACKET = 263;
export const PACKET_IGNORE_OUTGOING = 23;
export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
const RTM_NEWROUTE = 24;
const RTM_GETROUTE = 26;
const NLMSG_ERROR = 2;
const NLM_F_REQUEST = 1;
const RTA_DST = 1;
const RTA_OIF = 4;
const NLMSGHDR_SIZE = 16;
const RTMSG_SIZE = 12;

/** struct sockaddr_ll binding a packet socket to one link and one EtherType. */
export function encodeSockaddrLl(ifindex: number, ethertype: number): Buffer {
  const buf = Buffer.alloc(SOCKADDR_LL_SIZE);
  buf.writeUInt16LE(AF_PACKET, 0);
  buf.writeUInt16BE(ethertype, 2);
  buf.writeInt32LE(ifindex, 4);
  return buf;
}

/** An RTM_GETROUTE request for the route towards `dst` (nlmsghdr, rtmsg, one RTA_DST). */
export function encodeRouteRequest(dst: Addr, seq: number): Buffer {
  const alen = dst.family === 'inet' ? 4 : 16;
  const len = NLMSGHDR_SIZE + RTMSG_SIZE + 4 + alen;
  const buf = Buffer.alloc(len);
  buf.writeUInt32LE(len, 0);
  buf.writeUInt16LE(RTM_GETROUTE, 4);
  buf.writeUInt16LE(NLM_F_REQUEST, 6);
  buf.writeUInt32LE(seq, 8);
  buf.writeUInt8(dst.family === 'inet' ? AF_INET : AF_INET6, NLMSGHDR_SIZE);
  buf.writeUInt8(alen * 8, NLMSGHDR_SIZE + 1);
  buf.writeUInt16LE(4 + alen, NLMSGHDR_SIZE + RTMSG_SIZE);
  buf.writeUInt16LE(RTA_DST, NLMSGHDR_SIZE + RTMSG_SIZE + 2);
  writeAddr(buf, NLMSGHDR_SIZE + RTMSG_SIZE + 4, dst);
  return buf;
}

/** The answer to encodeRouteRequest: the outbound ifindex, or the errno the kernel refused with. */
export function decodeRouteReply(buf: Buffer, n: number): { oif: number } | { errno: number } | undefined {
  if (n < NLMSGHDR_SIZE) return undefined;
  const type = buf.readUInt16LE(4);
  if (type === NLMSG_ERROR) return { errno: -buf.readInt32LE(NLMSGHDR_SIZE) };
  if (type !== RTM_NEWROUTE) return undefined;
  const end = Math.min(n, buf.readUInt32LE(0));
  for (let off = NLMSGHDR_SIZE + RTMSG_SIZE; off + 4 <= end;) {
    const alen = buf.readUInt16LE(off);
    if (alen < 4) break;
    if (buf.readUInt16LE(off + 2) === RTA_OIF && alen >= 8) return { oif: buf.readUInt32LE(off + 4) };
    off += (alen + 3) & ~3;
  }
  return { oif: 0 };
}

/**
 * A flow as its packets' IP headers carry it, for packetTtl: source then group, which stand side
 * by side in both headers. Encoded once per sample, so a busy link costs no address per packet.
 */
export interface FlowHeader {
  readonly version: 4 | 6;
  /** Where the source begins in the header. */
  readonly at: number;
  readonly bytes: Buffer;
}

export function flowHeader(source: Addr, group: Addr): FlowHeader {
  const v4 = source.family === 'inet';
  const len = v4 ? 4 : 16;
  const bytes = Buffer.alloc(2 * len);
  writeAddr(bytes, 0, source);
  writeAddr(bytes, len, group);
  return { version: v4 ? 4 : 6, at: v4 ? 12 : 8, bytes };
}

/** TTL (hop limit) of an IP packet of the flow, or undefined for any other packet. */
export function packetTtl(buf: Buffer, n: number, flow: FlowHeader): number | undefined {
  const end = flow.at + flow.bytes.length;
  if (n < end || buf[0] === undefined || buf[0] >> 4 !== flow.version) return undefined;
  if (buf.compare(flow.bytes, 0, flow.bytes.length, flow.at, end) !== 0) return undefined;
  return buf.readUInt8(flow.version === 4 ? 8 : 7);
}
