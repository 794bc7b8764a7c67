// The project's only binding to libc (through koffi): system-call wrappers
// that turn failures into KernelError with the real errno. No policy here.

import type * as Koffi from 'koffi';
import type { TypeObject } from 'koffi';

import { ERRNO, kernelError } from '../errors.js';
import { requirePackage } from '../package-require.js';
import {
  GROUP_GID_OFFSET,
  GROUP_SIZE,
  IF_NAMEINDEX_NAME_OFFSET,
  IF_NAMEINDEX_SIZE,
  IOVEC_SIZE,
  MMSGHDR_LEN_OFFSET,
  MMSGHDR_SIZE,
  MSG_DONTWAIT,
  MSGHDR_IOV_OFFSET,
  MSGHDR_IOVLEN_OFFSET,
  PASSWD_GID_OFFSET,
  PASSWD_SIZE,
  PASSWD_UID_OFFSET,
  type Layout,
} from './structs.js';

// koffi's CommonJS entry: its ES entry imports node:fs and node:util as ES modules, which loads
// fs.promises, readline and parseArgs (about 2 MiB resident the daemon never uses, issue 8).
const koffi = requirePackage('koffi') as typeof Koffi;
const libc = koffi.load('libc.so.6');

// ioctl is variadic in libc; on x86_64 and aarch64 Linux a fixed third
// pointer argument is passed exactly like the variadic one.
const c_socket = libc.func('int socket(int domain, int type, int protocol)');
const c_setsockopt = libc.func('int setsockopt(int fd, int level, int name, void *val, uint32_t len)');
const c_getsockopt = libc.func('int getsockopt(int fd, int level, int name, void *val, void *len)');
const c_ioctl = libc.func('int ioctl(int fd, unsigned long req, void *arg)');
const c_close = libc.func('int close(int fd)');
const c_bind = libc.func('int bind(int fd, void *addr, uint32_t len)');
const c_poll = libc.func('int poll(void *fds, unsigned long nfds, int timeout)');
const c_recv = libc.func('long recv(int fd, void *buf, unsigned long len, int flags)');
const c_sendto = libc.func('long sendto(int fd, void *buf, unsigned long len, int flags, void *addr, uint32_t alen)');
const c_recvmmsg = libc.func('int recvmmsg(int fd, void *vec, unsigned int vlen, int flags, void *timeout)');
const c_pipe2 = libc.func('int pipe2(void *fds, int flags)');
const c_read = libc.func('long read(int fd, void *buf, unsigned long len)');
const c_write = libc.func('long write(int fd, void *buf, unsigned long len)');
const c_if_nameindex = libc.func('void *if_nameindex()');
const c_if_freenameindex = libc.func('void if_freenameindex(void *ptr)');
const c_openlog = libc.func('void openlog(void *ident, int option, int facility)');
const c_syslog = libc.func('void syslog(int priority, const char *fmt, const char *msg)');
// The reentrant lookups go through NSS, so users and groups from LDAP or systemd's
// nss-systemd resolve as they do for every other program. They return the errno.
const c_getpwnam_r = libc.func('int getpwnam_r(const char *name, void *pwd, void *buf, size_t len, void *result)');
const c_getpwuid_r = libc.func('int getpwuid_r(uint32_t uid, void *pwd, void *buf, size_t len, void *result)');
const c_getgrnam_r = libc.func('int getgrnam_r(const char *name, void *grp, void *buf, size_t len, void *result)');
const c_getgrgid_r = libc.func('int getgrgid_r(uint32_t gid, void *grp, void *buf, size_t len, void *result)');
// prctl is variadic; its options all take unsigned long arguments, passed as fixed ones (see ioctl).
const c_prctl = libc.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)');
const c_capget = libc.func('int capget(void *hdr, void *data)');
const c_capset = libc.func('int capset(void *hdr, void *data)');
// glibc applies these three to every thread of the process (Node runs several), not just the caller.
const c_setgroups = libc.func('int setgroups(size_t size, void *list)');
const c_setresgid = libc.func('int setresgid(uint32_t rgid, uint32_t egid, uint32_t sgid)');
const c_setresuid = libc.func('int setresuid(uint32_t ruid, uint32_t euid, uint32_t suid)');

function fail(op: string): never {
  throw kernelError(op, koffi.errno());
}

export function socket(domain: number, type: number, protocol: number): number {
  const fd = c_socket(domain, type, protocol) as number;
  if (fd < 0) fail('socket');
  return fd;
}

export function close(fd: number): void {
  c_close(fd);
}

/** setsockopt; 0 on success, else the errno (for callers that branch on it). */
export function trySetsockopt(fd: number, level: number, name: number, val: Uint8Array | null, len: number): number {
  return (c_setsockopt(fd, level, name, val, len) as number) === 0 ? 0 : koffi.errno();
}

export function setsockopt(op: string, fd: number, level: number, name: number, val: Uint8Array | null, len: number): void {
  if ((c_setsockopt(fd, level, name, val, len) as number) !== 0) fail(op);
}

/** getsockopt into `val`; returns the length the kernel filled in. */
export function getsockopt(op: string, fd: number, level: number, name: number, val: Uint8Array): number {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(val.length, 0);
  if ((c_getsockopt(fd, level, name, val, len) as number) !== 0) fail(op);
  return len.readUInt32LE(0);
}

const intBuf = Buffer.alloc(4);

export function trySetsockoptInt(fd: number, level: number, name: number, value: number): number {
  intBuf.writeInt32LE(value, 0);
  return trySetsockopt(fd, level, name, intBuf, 4);
}

/** ioctl; 0 on success, else the errno. */
export function tryIoctl(fd: number, req: number, arg: Uint8Array): number {
  return (c_ioctl(fd, req, arg) as number) < 0 ? koffi.errno() : 0;
}

export function bind(op: string, fd: number, addr: Uint8Array): void {
  if ((c_bind(fd, addr, addr.length) as number) !== 0) fail(op);
}

/** One datagram to `addr` (an encoded sockaddr); throws KernelError on failure. */
export function sendto(op: string, fd: number, buf: Uint8Array, flags: number, addr: Uint8Array): void {
  if (trySendto(fd, buf, flags, addr) < 0) fail(op);
}

/** Nonblocking receive: bytes read, or -errno (e.g. -EAGAIN when empty). */
export function recv(fd: number, buf: Uint8Array, flags: number): number {
  const n = Number(c_recv(fd, buf, buf.length, flags));
  return n >= 0 ? n : -koffi.errno();
}

/** One datagram to `addr` (a whole sockaddr, its length is the address length): bytes sent, or -errno. */
export function trySendto(fd: number, buf: Uint8Array, flags: number, addr: Uint8Array): number {
  const n = Number(c_sendto(fd, buf, buf.length, flags, addr, addr.length));
  return n >= 0 ? n : -koffi.errno();
}

/** poll() run on a worker thread; `fds` must stay untouched until `done` runs. */
export function pollAsync(fds: Uint8Array, nfds: number, timeoutMs: number, done: (err: unknown, n: number) => void): void {
  c_poll.async(fds, nfds, timeoutMs, done);
}

export function pipe(flags: number): [number, number] {
  const fds = Buffer.alloc(8); // int fds[2], little-endian as intBuf
  if ((c_pipe2(fds, flags) as number) !== 0) fail('pipe2');
  return [fds.readInt32LE(0), fds.readInt32LE(4)];
}

export function read(fd: number, buf: Uint8Array): number {
  const n = Number(c_read(fd, buf, buf.length));
  return n >= 0 ? n : -koffi.errno();
}

export function write(fd: number, buf: Uint8Array): number {
  const n = Number(c_write(fd, buf, buf.length));
  return n >= 0 ? n : -koffi.errno();
}

/**
 * A reusable recvmmsg(2) vector: `slots` datagrams of up to `slotSize` bytes
 * each (longer ones are truncated). The mmsghdr/iovec headers point into the
 * same Buffer, whose storage never moves, so it is built once.
 */
export class DatagramRing {
  readonly data: Buffer;
  readonly slots: number;
  readonly slotSize: number;
  private readonly vec: Buffer;
  private readonly dataOff: number;

  constructor(slots: number, slotSize: number) {
    this.slots = slots;
    this.slotSize = slotSize;
    this.dataOff = slots * (MMSGHDR_SIZE + IOVEC_SIZE);
    this.vec = Buffer.alloc(this.dataOff + slots * slotSize);
    this.data = this.vec;
    const base = koffi.address(this.vec);
    for (let i = 0; i < slots; i++) {
      const hdr = i * MMSGHDR_SIZE;
      const iov = slots * MMSGHDR_SIZE + i * IOVEC_SIZE;
      // msghdr: one iovec each; name and control stay NULL.
      this.vec.writeBigUInt64LE(base + BigInt(iov), hdr + MSGHDR_IOV_OFFSET);
      this.vec.writeBigUInt64LE(1n, hdr + MSGHDR_IOVLEN_OFFSET);
      this.vec.writeBigUInt64LE(base + BigInt(this.dataOff + i * slotSize), iov);
      this.vec.writeBigUInt64LE(BigInt(slotSize), iov + 8);
    }
  }

  /** Reads up to `slots` datagrams without blocking: the count, or -errno. */
  receive(fd: number): number {
    const n = c_recvmmsg(fd, this.vec, this.slots, MSG_DONTWAIT, null) as number;
    return n >= 0 ? n : -koffi.errno();
  }

  /** Where datagram `i` of the last receive starts in `data`. */
  offset(i: number): number {
    return this.dataOff + i * this.slotSize;
  }

  /** Bytes of datagram `i` that were stored (at most slotSize). */
  length(i: number): number {
    return Math.min(this.vec.readUInt32LE(i * MMSGHDR_SIZE + MMSGHDR_LEN_OFFSET), this.slotSize);
  }
}

export interface NameIndex {
  index: number;
  name: string;
}

/** if_nameindex(3): every interface of the current network namespace. */
export function ifNameIndex(): NameIndex[] {
  const list = c_if_nameindex() as unknown;
  if (list === null || list === undefined) fail('if_nameindex');
  const out: NameIndex[] = [];
  try {
    for (let off = 0; ; off += IF_NAMEINDEX_SIZE) {
      const index = koffi.decode(list, off, 'uint32_t') as number;
      if (index === 0) break;
      out.push({ index, name: koffi.decode(list, off + IF_NAMEINDEX_NAME_OFFSET, 'char *') as string });
    }
  } finally {
    c_if_freenameindex(list);
  }
  return out;
}

/** openlog(3) keeps the pointer it is given: the ident must outlive every syslog() call. */
let syslogIdent: Buffer | undefined;

export function openlog(ident: string, option: number, facility: number): void {
  syslogIdent = Buffer.from(`${ident}\0`);
  c_openlog(syslogIdent, option, facility);
}

/** One message, passed through "%s" so it is never read as a format. */
export function syslog(priority: number, message: string): void {
  c_syslog(priority, '%s', message);
}

/** A user's ids from the passwd database: uid and primary gid. */
export interface PasswdIds {
  readonly uid: number;
  readonly gid: number;
}

/** What glibc may say instead of 0 for "no such entry" (see getpwnam_r(3)). */
const NOT_FOUND: ReadonlySet<number> = new Set([0, ERRNO.ENOENT, ERRNO.ESRCH, ERRNO.EBADF, ERRNO.EPERM]);

type Lookup = (key: string | number, entry: Buffer, buf: Buffer, len: number, result: Buffer) => unknown;

/** One reentrant NSS lookup: the filled entry, or undefined when there is none. */
function lookup(op: string, call: Lookup, key: string | number, size: number): Buffer | undefined {
  const entry = Buffer.alloc(size);
  const result = Buffer.alloc(8);
  // Large groups (many members) need more room than the usual 1 KiB: grow on ERANGE.
  for (let len = 16 * 1024; ; len *= 2) {
    const errno = call(key, entry, Buffer.alloc(len), len, result) as number;
    if (errno === ERRNO.ERANGE && len < 16 * 1024 * 1024) continue;
    if (result.readBigUInt64LE(0) !== 0n) return entry;
    if (NOT_FOUND.has(errno)) return undefined;
    throw kernelError(op, errno, String(key));
  }
}

/** getpwnam_r(3), or getpwuid_r(3) for a number; undefined when there is no such user. */
export function getpw(key: string | number): PasswdIds | undefined {
  const e =
    typeof key === 'string'
      ? lookup('getpwnam_r', c_getpwnam_r as Lookup, key, PASSWD_SIZE)
      : lookup('getpwuid_r', c_getpwuid_r as Lookup, key, PASSWD_SIZE);
  return e && { uid: e.readUInt32LE(PASSWD_UID_OFFSET), gid: e.readUInt32LE(PASSWD_GID_OFFSET) };
}

/** getgrnam_r(3), or getgrgid_r(3) for a number: the gid; undefined when there is no such group. */
export function getgr(key: string | number): number | undefined {
  const e =
    typeof key === 'string'
      ? lookup('getgrnam_r', c_getgrnam_r as Lookup, key, GROUP_SIZE)
      : lookup('getgrgid_r', c_getgrgid_r as Lookup, key, GROUP_SIZE);
  return e?.readUInt32LE(GROUP_GID_OFFSET);
}

export function prctl(op: string, option: number, arg: number): void {
  if ((c_prctl(option, arg, 0, 0, 0) as number) !== 0) fail(op);
}

/** The three capability sets, each as two 32-bit words (capabilities 0-31, 32-63). */
export interface CapSets {
  readonly effective: readonly [number, number];
  readonly permitted: readonly [number, number];
  readonly inheritable: readonly [number, number];
}

// _LINUX_CAPABILITY_VERSION_3: two data structs of { effective, permitted, inheritable }.
const CAP_VERSION_3 = 0x20080522;

function capHeader(): Buffer {
  const hdr = Buffer.alloc(8);
  hdr.writeUInt32LE(CAP_VERSION_3, 0);
  hdr.writeInt32LE(0, 4); // this thread
  return hdr;
}

/** capget(2) for the calling thread (the main thread, whose sets /proc/PID/status shows). */
export function capget(): CapSets {
  const data = Buffer.alloc(24);
  if ((c_capget(capHeader(), data) as number) !== 0) fail('capget');
  const word = (set: number, i: number) => data.readUInt32LE(i * 12 + set * 4);
  return {
    effective: [word(0, 0), word(0, 1)],
    permitted: [word(1, 0), word(1, 1)],
    inheritable: [word(2, 0), word(2, 1)],
  };
}

/** capset(2) for the calling thread. */
export function capset(sets: CapSets): void {
  const data = Buffer.alloc(24);
  for (let i = 0; i < 2; i++) {
    data.writeUInt32LE(sets.effective[i] ?? 0, i * 12);
    data.writeUInt32LE(sets.permitted[i] ?? 0, i * 12 + 4);
    data.writeUInt32LE(sets.inheritable[i] ?? 0, i * 12 + 8);
  }
  if ((c_capset(capHeader(), data) as number) !== 0) fail('capset');
}

export function setgroups(gids: readonly number[]): void {
  const list = Buffer.alloc(4 * Math.max(1, gids.length));
  gids.forEach((g, i) => list.writeUInt32LE(g, i * 4));
  if ((c_setgroups(gids.length, list) as number) !== 0) fail('setgroups');
}

export function setresgid(gid: number): void {
  if ((c_setresgid(gid, gid, gid) as number) !== 0) fail('setresgid');
}

export function setresuid(uid: number): void {
  if ((c_setresuid(uid, uid, uid) as number) !== 0) fail('setresuid');
}

// ---- the C layouts of this machine, as koffi computes them from the declarations ----

const u8 = (n: number) => koffi.array('uint8_t', n);
const inAddr = 'uint32_t';
const in6Addr = () => u8(16);
const sockaddrIn = () => koffi.struct({ sin_family: 'uint16_t', sin_port: 'uint16_t', sin_addr: inAddr, sin_zero: u8(8) });
const sockaddrIn6 = () =>
  koffi.struct({
    sin6_family: 'uint16_t',
    sin6_port: 'uint16_t',
    sin6_flowinfo: 'uint32_t',
    sin6_addr: in6Addr(),
    sin6_scope_id: 'uint32_t',
  });
const sockaddrStorage = () => koffi.struct({ ss_family: 'uint16_t', ss_padding: u8(118), ss_align: 'unsigned long' });
const msghdr = () =>
  koffi.struct({
    msg_name: 'void *',
    msg_namelen: 'uint32_t',
    msg_iov: 'void *',
    msg_iovlen: 'size_t',
    msg_control: 'void *',
    msg_controllen: 'size_t',
    msg_flags: 'int',
  });

/** The declarations of <linux/mroute.h>, <linux/mroute6.h>, <sys/socket.h>, <pwd.h> ... as koffi types. */
function declarations(): Record<string, TypeObject | undefined> {
  const mmsg = msghdr();
  return {
    vifctl: koffi.struct({
      vifc_vifi: 'uint16_t',
      vifc_flags: 'uint8_t',
      vifc_threshold: 'uint8_t',
      vifc_rate_limit: 'uint32_t',
      vifc_lcl_ifindex: koffi.union({ vifc_lcl_addr: inAddr, vifc_lcl_ifindex: 'int' }),
      vifc_rmt_addr: inAddr,
    }),
    mfcctl: koffi.struct({
      mfcc_origin: inAddr,
      mfcc_mcastgrp: inAddr,
      mfcc_parent: 'uint16_t',
      mfcc_ttls: u8(32),
      mfcc_pkt_cnt: 'uint32_t',
      mfcc_byte_cnt: 'uint32_t',
      mfcc_wrong_if: 'uint32_t',
      mfcc_expire: 'int',
    }),
    mif6ctl: koffi.struct({
      mif6c_mifi: 'uint16_t',
      mif6c_flags: 'uint8_t',
      vifc_threshold: 'uint8_t',
      mif6c_pifi: 'uint16_t',
      vifc_rate_limit: 'uint32_t',
    }),
    mf6cctl: koffi.struct({
      mf6cc_origin: sockaddrIn6(),
      mf6cc_mcastgrp: sockaddrIn6(),
      mf6cc_parent: 'uint16_t',
      mf6cc_ifset: koffi.array('uint32_t', 8),
    }),
    sioc_sg_req: koffi.struct({
      src: inAddr,
      grp: inAddr,
      pktcnt: 'unsigned long',
      bytecnt: 'unsigned long',
      wrong_if: 'unsigned long',
    }),
    sioc_sg_req6: koffi.struct({
      src: sockaddrIn6(),
      grp: sockaddrIn6(),
      pktcnt: 'unsigned long',
      bytecnt: 'unsigned long',
      wrong_if: 'unsigned long',
    }),
    sioc_vif_req: koffi.struct({
      vifi: 'uint16_t',
      icount: 'unsigned long',
      ocount: 'unsigned long',
      ibytes: 'unsigned long',
      obytes: 'unsigned long',
    }),
    sioc_mif_req6: koffi.struct({
      mifi: 'uint16_t',
      icount: 'unsigned long',
      ocount: 'unsigned long',
      ibytes: 'unsigned long',
      obytes: 'unsigned long',
    }),
    group_req: koffi.struct({ gr_interface: 'uint32_t', gr_group: sockaddrStorage() }),
    group_source_req: koffi.struct({ gsr_interface: 'uint32_t', gsr_group: sockaddrStorage(), gsr_source: sockaddrStorage() }),
    sockaddr_in: sockaddrIn(),
    sockaddr_in6: sockaddrIn6(),
    sockaddr_nl: koffi.struct({ nl_family: 'uint16_t', nl_pad: 'uint16_t', nl_pid: 'uint32_t', nl_groups: 'uint32_t' }),
    sockaddr_ll: koffi.struct({
      sll_family: 'uint16_t',
      sll_protocol: 'uint16_t',
      sll_ifindex: 'int',
      sll_hatype: 'uint16_t',
      sll_pkttype: 'uint8_t',
      sll_halen: 'uint8_t',
      sll_addr: u8(8),
    }),
    ifreq: koffi.struct({
      ifr_name: u8(16),
      ifr_flags: koffi.union({
        ifru_flags: 'short',
        ifru_addr: koffi.struct({ sa_family: 'uint16_t', sa_data: u8(14) }),
        ifru_map: koffi.struct({
          mem_start: 'unsigned long',
          mem_end: 'unsigned long',
          base_addr: 'uint16_t',
          irq: 'uint8_t',
          dma: 'uint8_t',
          port: 'uint8_t',
        }),
        ifru_data: 'void *',
      }),
    }),
    pollfd: koffi.struct({ fd: 'int', events: 'short', revents: 'short' }),
    iovec: koffi.struct({ iov_base: 'void *', iov_len: 'size_t' }),
    mmsghdr: koffi.struct({ msg_hdr: mmsg, msg_len: 'unsigned int' }),
    igmpmsg: koffi.struct({
      unused1: 'uint32_t',
      unused2: 'uint32_t',
      im_msgtype: 'uint8_t',
      im_mbz: 'uint8_t',
      im_vif: 'uint8_t',
      im_vif_hi: 'uint8_t',
      im_src: inAddr,
      im_dst: inAddr,
    }),
    mrt6msg: koffi.struct({
      im6_mbz: 'uint8_t',
      im6_msgtype: 'uint8_t',
      im6_mif: 'uint16_t',
      im6_pad: 'uint32_t',
      im6_src: in6Addr(),
      im6_dst: in6Addr(),
    }),
    icmp6_filter: koffi.struct({ icmp6_filt: koffi.array('uint32_t', 8) }),
    ucred: koffi.struct({ pid: 'int', uid: 'uint32_t', gid: 'uint32_t' }),
    passwd: koffi.struct({
      pw_name: 'char *',
      pw_passwd: 'char *',
      pw_uid: 'uint32_t',
      pw_gid: 'uint32_t',
      pw_gecos: 'char *',
      pw_dir: 'char *',
      pw_shell: 'char *',
    }),
    group: koffi.struct({ gr_name: 'char *', gr_passwd: 'char *', gr_gid: 'uint32_t', gr_mem: 'void *' }),
    if_nameindex: koffi.struct({ if_index: 'unsigned int', if_name: 'char *' }),
    // Upstream's struct ipc_msg; its char *argv[0] adds no bytes, only pointer alignment, as size_t does.
    ipc_msg: koffi.struct({ len: 'size_t', cmd: 'uint16_t', count: 'uint16_t' }),
  };
}

/**
 * What this machine's C compiler would make of each struct in `wanted` (koffi follows the
 * platform ABI): its size and the offsets of the fields named there. A name koffi has no
 * declaration for is left out, which the caller reports.
 */
export function measureLayouts(wanted: Readonly<Record<string, Layout>>): Record<string, Layout> {
  const types = declarations();
  const out: Record<string, Layout> = {};
  for (const [name, layout] of Object.entries(wanted)) {
    const type = types[name];
    if (type === undefined) continue;
    const offsets: Record<string, number> = {};
    for (const field of Object.keys(layout.offsets ?? {})) {
      const at = offsetOf(type, field);
      if (at !== undefined) offsets[field] = at;
    }
    out[name] = { size: koffi.sizeof(type), offsets };
  }
  return out;
}

/** The offset of a field, "outer.inner" for one in a nested struct; undefined when there is none. */
function offsetOf(type: TypeObject, path: string): number | undefined {
  let at = 0;
  let t: TypeObject | undefined = type;
  for (const member of path.split('.')) {
    const m: { type: TypeObject; offset: number } | undefined = t && koffi.type(t).members?.[member];
    if (!m) return undefined;
    at += m.offset;
    t = m.type;
  }
  return at;
}
