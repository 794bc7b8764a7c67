// The project's only binding to libc (through koffi): system-call wrappers
// that turn failures into KernelError with the real errno. No policy here.

import koffi from 'koffi';
import { kernelError } from '../errors.js';
import { IOVEC_SIZE, MMSGHDR_SIZE, MSG_DONTWAIT } from './structs.js';

const libc = koffi.load('libc.so.6');

// ioctl is variadic in libc; on x86_64 and aarch64 Linux a fixed third
// pointer argument is passed exactly like the variadic one.
const c_socket = libc.func('int socket(int domain, int type, int protocol)');
const c_setsockopt = libc.func('int setsockopt(int fd, int level, int name, void *val, uint32_t len)');
const c_ioctl = libc.func('int ioctl(int fd, unsigned long req, void *arg)');
const c_close = libc.func('int close(int fd)');
const c_bind = libc.func('int bind(int fd, void *addr, uint32_t len)');
const c_poll = libc.func('int poll(void *fds, unsigned long nfds, int timeout)');
const c_sendto = libc.func('long sendto(int fd, void *buf, unsigned long len, int flags, void *addr, uint32_t alen)');
const c_recv = libc.func('long recv(int fd, void *buf, unsigned long len, int flags)');
const c_recvmmsg = libc.func('int recvmmsg(int fd, void *vec, unsigned int vlen, int flags, void *timeout)');
const c_pipe2 = libc.func('int pipe2(void *fds, int flags)');
const c_read = libc.func('long read(int fd, void *buf, unsigned long len)');
const c_write = libc.func('long write(int fd, void *buf, unsigned long len)');
const c_if_nameindex = libc.func('void *if_nameindex()');
const c_if_freenameindex = libc.func('void if_freenameindex(void *ptr)');
const c_openlog = libc.func('void openlog(void *ident, int option, int facility)');
const c_syslog = libc.func('void syslog(int priority, const char *fmt, const char *msg)');

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
  if (Number(c_sendto(fd, buf, buf.length, flags, addr, addr.length)) < 0) fail(op);
}

/** Nonblocking receive: bytes read, or -errno (e.g. -EAGAIN when empty). */
export function recv(fd: number, buf: Uint8Array, flags: number): number {
  const n = Number(c_recv(fd, buf, buf.length, flags));
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
      // msghdr: msg_iov at 16, msg_iovlen at 24; name and control stay NULL.
      this.vec.writeBigUInt64LE(base + BigInt(iov), hdr + 16);
      this.vec.writeBigUInt64LE(1n, hdr + 24);
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
    return Math.min(this.vec.readUInt32LE(i * MMSGHDR_SIZE + 56), this.slotSize);
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
    // struct if_nameindex { unsigned if_index; char *if_name; } is 16 bytes.
    for (let off = 0; ; off += 16) {
      const index = koffi.decode(list, off, 'uint32_t') as number;
      if (index === 0) break;
      out.push({ index, name: koffi.decode(list, off + 8, 'char *') as string });
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
