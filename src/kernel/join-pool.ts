// Group memberships (RFC 3678 MCAST_* options) spread over a pool of unbound UDP sockets, since
// Linux caps memberships per socket. Tracks which socket holds what; knows nothing of routing.

import { ERRNO, kernelError } from '../errors.js';
import { addrKey, type Addr, type Family } from '../model/addr.js';
import { joinOp } from './contract.js';
import * as ffi from './ffi.js';
import {
  AF_INET,
  AF_INET6,
  IPPROTO_IP,
  IPPROTO_IPV6,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  MCAST_JOIN_GROUP,
  MCAST_LEAVE_GROUP,
  MCAST_JOIN_SOURCE_GROUP,
  MCAST_LEAVE_SOURCE_GROUP,
  GROUP_SOURCE_REQ_SIZE,
  encodeGroupReq,
} from './structs.js';

interface PoolSocket {
  readonly fd: number;
  readonly family: Family;
  /** Per "ifindex|group": whether an ASM join is held and how many SSM sources. */
  readonly groups: Map<string, { asm: boolean; sources: number }>;
  members: number;
  /** The kernel refused one more group here (igmp_max_memberships, optmem). */
  groupsFull: boolean;
  /** Groups whose source list is full here (igmp_max_msf / mld_max_msf). */
  readonly sourcesFull: Set<string>;
}

/** errnos meaning "this socket is full", not "this request is wrong". */
function isFull(errno: number): boolean {
  return errno === ERRNO.ENOBUFS || errno === ERRNO.ENOMEM;
}

export class JoinPool {
  private readonly sockets: PoolSocket[] = [];
  private readonly held = new Map<string, PoolSocket>();
  private readonly req = Buffer.alloc(GROUP_SOURCE_REQ_SIZE);

  /** Arguments have passed contract.ts's precheck.join. */
  join(ifindex: number, group: Addr, source?: Addr): void {
    const op = joinOp(true, source !== undefined);
    const key = membershipKey(ifindex, group, source);
    const holder = this.held.get(key);
    if (holder) {
      // Let the socket that already holds it answer, so the errno is the kernel's.
      const errno = this.request(holder, true, ifindex, group, source);
      if (errno) throw kernelError(op, errno);
      return;
    }
    const gk = groupKey(ifindex, group);
    for (const sock of this.sockets) {
      if (sock.family !== group.family || !this.fits(sock, gk, source)) continue;
      const errno = this.request(sock, true, ifindex, group, source);
      if (errno === 0) return this.record(sock, key, gk, source);
      if (!isFull(errno)) throw kernelError(op, errno);
      if (sock.groups.has(gk)) sock.sourcesFull.add(gk);
      else sock.groupsFull = true;
    }
    const sock = this.open(group.family);
    const errno = this.request(sock, true, ifindex, group, source);
    if (errno) {
      this.closeIfEmpty(sock);
      throw kernelError(op, errno);
    }
    this.record(sock, key, gk, source);
  }

  leave(ifindex: number, group: Addr, source?: Addr): void {
    const op = joinOp(false, source !== undefined);
    const key = membershipKey(ifindex, group, source);
    const sock = this.held.get(key);
    // Leaving what no socket of ours holds is what the kernel calls EADDRNOTAVAIL.
    if (!sock) throw kernelError(op, 'EADDRNOTAVAIL');
    const errno = this.request(sock, false, ifindex, group, source);
    // Forget it even on failure: the kernel no longer lets us address it.
    this.held.delete(key);
    const gk = groupKey(ifindex, group);
    const g = sock.groups.get(gk); // always there while a membership of it is held
    if (g) {
      if (source) g.sources--;
      else g.asm = false;
      if (!g.asm && g.sources === 0) sock.groups.delete(gk);
    }
    sock.members--;
    sock.groupsFull = false;
    sock.sourcesFull.delete(gk);
    this.closeIfEmpty(sock);
    if (errno) throw kernelError(op, errno);
  }

  closeAll(): void {
    for (const sock of this.sockets) ffi.close(sock.fd);
    this.sockets.length = 0;
    this.held.clear();
  }

  /**
   * ASM and SSM joins of one group never share a socket: the kernel would
   * turn the socket's EXCLUDE membership into INCLUDE, or refuse the join.
   */
  private fits(sock: PoolSocket, gk: string, source?: Addr): boolean {
    const g = sock.groups.get(gk);
    if (!g) return !sock.groupsFull;
    if (!source) return false;
    return !g.asm && !sock.sourcesFull.has(gk);
  }

  private open(family: Family): PoolSocket {
    const fd = ffi.socket(family === 'inet' ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const sock: PoolSocket = {
      fd,
      family,
      groups: new Map(),
      members: 0,
      groupsFull: false,
      sourcesFull: new Set(),
    };
    this.sockets.push(sock);
    return sock;
  }

  private closeIfEmpty(sock: PoolSocket): void {
    if (sock.members > 0) return;
    ffi.close(sock.fd);
    this.sockets.splice(this.sockets.indexOf(sock), 1);
  }

  private record(sock: PoolSocket, key: string, gk: string, source?: Addr): void {
    let g = sock.groups.get(gk);
    if (!g) sock.groups.set(gk, (g = { asm: false, sources: 0 }));
    if (source) g.sources++;
    else g.asm = true;
    sock.members++;
    this.held.set(key, sock);
  }

  private request(sock: PoolSocket, join: boolean, ifindex: number, group: Addr, source?: Addr): number {
    const len = encodeGroupReq(this.req, ifindex, group, source);
    const level = group.family === 'inet' ? IPPROTO_IP : IPPROTO_IPV6;
    const name = source
      ? join
        ? MCAST_JOIN_SOURCE_GROUP
        : MCAST_LEAVE_SOURCE_GROUP
      : join
        ? MCAST_JOIN_GROUP
        : MCAST_LEAVE_GROUP;
    return ffi.trySetsockopt(sock.fd, level, name, this.req, len);
  }
}

function groupKey(ifindex: number, group: Addr): string {
  return `${ifindex}|${addrKey(group)}`;
}

function membershipKey(ifindex: number, group: Addr, source?: Addr): string {
  return `${ifindex}|${addrKey(group)}|${source ? addrKey(source) : '*'}`;
}
