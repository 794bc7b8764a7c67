// The Multicast Router Discovery sockets (RFC 4286): one raw IGMP socket per link, set up as the
// RFC asks of a sender, plus reading them back into messages. When to send what is the daemon's.

import { ERRNO, errnoName } from '../errors.js';
import { MRDISC_OPS, precheck } from './contract.js';
import * as ffi from './ffi.js';
import { ALL_ROUTERS, ALL_SNOOPERS, ROUTER_ALERT, decodeMrdiscDatagram, encodeMrdisc } from './igmp.js';
import {
  AF_INET,
  GROUP_REQ_SIZE,
  IPPROTO_IGMP,
  IPPROTO_IP,
  IP_MULTICAST_ALL,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IP_OPTIONS,
  MCAST_JOIN_GROUP,
  MSG_DONTWAIT,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_SOCKET,
  SO_BINDTOIFINDEX,
  encodeGroupReq,
  encodeSockaddr,
} from './structs.js';
import type { MrdiscHeard, MrdiscMessage } from './types.js';

/** Solicitations come seldom; a bound keeps a flood from holding the event loop. */
const MAX_DRAIN = 64;

export class MrdiscSockets {
  private readonly fds = new Map<number, number>();
  private readonly dest = encodeSockaddr(ALL_SNOOPERS);
  private readonly rx = Buffer.alloc(2048);

  constructor(private readonly warn: (message: string) => void) {}

  has(ifindex: number): boolean {
    return this.fds.has(ifindex);
  }

  /** Arguments have passed contract.ts's precheck.openMrdisc. */
  open(ifindex: number): void {
    const fd = ffi.socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_IGMP);
    try {
      // Bound by index rather than by name (SO_BINDTODEVICE): a rename cannot move it to another link,
      // and the link needs no IPv4 address for the messages to leave through it.
      setInt(MRDISC_OPS.open, fd, SOL_SOCKET, SO_BINDTOIFINDEX, ifindex);
      // RFC 4286: link-local only, never heard back by ourselves, and marked for snoopers to look at.
      setInt('IP_MULTICAST_TTL', fd, IPPROTO_IP, IP_MULTICAST_TTL, 1);
      setInt('IP_MULTICAST_LOOP', fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0);
      ffi.setsockopt('IP_OPTIONS', fd, IPPROTO_IP, IP_OPTIONS, ROUTER_ALERT, ROUTER_ALERT.length);
      // Only what this socket joined (All-Routers, where solicitations go), not every IGMP report
      // of every group some other socket of the host joined.
      setInt('IP_MULTICAST_ALL', fd, IPPROTO_IP, IP_MULTICAST_ALL, 0);
      const req = Buffer.alloc(GROUP_REQ_SIZE);
      const len = encodeGroupReq(req, ifindex, ALL_ROUTERS);
      ffi.setsockopt('MCAST_JOIN_GROUP', fd, IPPROTO_IP, MCAST_JOIN_GROUP, req, len);
    } catch (err) {
      ffi.close(fd);
      throw err;
    }
    this.fds.set(ifindex, fd);
  }

  send(ifindex: number, message: MrdiscMessage): void {
    const fd = precheck.sendMrdisc(this.fds.get(ifindex), message);
    ffi.sendto(MRDISC_OPS.send, fd, encodeMrdisc(message), 0, this.dest);
  }

  close(ifindex: number): void {
    const fd = precheck.closeMrdisc(this.fds.get(ifindex));
    this.fds.delete(ifindex);
    ffi.close(fd);
  }

  closeAll(): void {
    for (const fd of this.fds.values()) ffi.close(fd);
    this.fds.clear();
  }

  /** The sockets to poll. */
  watched(): number[] {
    return [...this.fds.values()];
  }

  /** Empties every socket; the MRD messages among what arrived are added to `out`. */
  drain(out: MrdiscHeard[]): void {
    for (const [ifindex, fd] of this.fds) {
      for (let i = 0; i < MAX_DRAIN; i++) {
        const n = ffi.recv(fd, this.rx, MSG_DONTWAIT);
        if (n < 0) {
          if (-n !== ERRNO.EAGAIN && -n !== ERRNO.EINTR) this.warn(`reading mrdisc socket of link ${ifindex}: ${errnoName(-n)}`);
          break;
        }
        const got = decodeMrdiscDatagram(this.rx, n);
        if (got) out.push({ ifindex, ...got });
      }
    }
  }
}

function setInt(op: string, fd: number, level: number, name: number, value: number): void {
  const buf = Buffer.alloc(4);
  buf.writeInt32LE(value, 0);
  ffi.setsockopt(op, fd, level, name, buf, 4);
}
