// The OS facts `explain` needs about one flow, read on Linux: rp_filter from /proc/sys, the route
// back to a source over rtnetlink, one packet's TTL from an AF_PACKET socket. Judges nothing.

import { ERRNO } from '../errors.js';
import type { Addr } from '../model/addr.js';
import { readFileSync } from 'node:fs';
import * as ffi from './ffi.js';
import {
  AF_NETLINK,
  AF_PACKET,
  ETH_P_IP,
  ETH_P_IPV6,
  MSG_DONTWAIT,
  NETLINK_ROUTE,
  PACKET_IGNORE_OUTGOING,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_PACKET,
  decodeRouteReply,
  encodeRouteRequest,
  encodeSockaddrLl,
  encodeSockaddrNl,
  flowHeader,
  packetTtl,
} from './structs.js';
import type { FlowFacts, RouteBack, RpFilter } from './types.js';

/** How the kernel's poll loop is lent out: `onReadable` runs on the main thread while `fd` has data. */
export interface FdWatcher {
  watch(fd: number, onReadable: () => void): void;
  unwatch(fd: number): void;
}

/** Packets looked at per wake-up: a busy link must not hold the event loop. */
const MAX_PACKETS_PER_WAKE = 256;
/** Headers are all a sample needs; the packet socket truncates the rest. */
const SNAP = 64;

// Errors RTM_GETROUTE answers for "no way there" (unreachable, prohibit and blackhole routes).
const UNREACHABLE = new Set<number>([ERRNO.ENETUNREACH, ERRNO.EHOSTUNREACH, ERRNO.EINVAL, ERRNO.EACCES]);

export class LinuxFlowFacts implements FlowFacts {
  constructor(private readonly watcher: FdWatcher) {}

  rpFilter(ifname: string): RpFilter | undefined {
    // An interface name never holds '/', but this is a path: refuse anything that would leave conf/.
    if (ifname.includes('/') || ifname === '.' || ifname === '..') return undefined;
    const all = readSysctl('all');
    const iface = readSysctl(ifname);
    if (all === undefined || iface === undefined) return undefined;
    return { all, iface };
  }

  routeBack(source: Addr): RouteBack | undefined {
    let fd: number;
    try {
      fd = ffi.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    } catch {
      return undefined;
    }
    try {
      ffi.bind('bind', fd, encodeSockaddrNl(0));
      // A socket of its own per lookup: the one reply on it is ours, so no sequence number is checked.
      if (ffi.trySendto(fd, encodeRouteRequest(source, 1), 0, encodeSockaddrNl(0)) < 0) return undefined;
      // rtnetlink answers inside sendto, so the reply is already queued: never wait for it.
      const buf = Buffer.alloc(4096);
      const n = ffi.recv(fd, buf, MSG_DONTWAIT);
      if (n <= 0) return undefined;
      const reply = decodeRouteReply(buf, n);
      if (reply === undefined) return undefined;
      if ('errno' in reply) return UNREACHABLE.has(reply.errno) ? 'unreachable' : undefined;
      return reply.oif > 0 ? { ifindex: reply.oif } : undefined;
    } catch {
      return undefined;
    } finally {
      ffi.close(fd);
    }
  }

  sampleTtl(ifindex: number, source: Addr, group: Addr, ms: number): Promise<number | undefined> {
    let fd: number;
    try {
      // Protocol 0 receives nothing until bound, so no packet of another link slips in first.
      fd = ffi.socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    } catch {
      return Promise.resolve(undefined);
    }
    try {
      // Our own packets sent out of that link are not what arrived on it.
      ffi.trySetsockoptInt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
      ffi.bind('bind', fd, encodeSockaddrLl(ifindex, source.family === 'inet' ? ETH_P_IP : ETH_P_IPV6));
    } catch {
      ffi.close(fd);
      return Promise.resolve(undefined);
    }
    const flow = flowHeader(source, group);
    return new Promise((resolve) => {
      const buf = Buffer.alloc(SNAP);
      let done = false;
      const finish = (ttl: number | undefined) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.watcher.unwatch(fd);
        ffi.close(fd);
        resolve(ttl);
      };
      const timer = setTimeout(() => finish(undefined), ms);
      this.watcher.watch(fd, () => {
        for (let i = 0; i < MAX_PACKETS_PER_WAKE && !done; i++) {
          const n = ffi.recv(fd, buf, MSG_DONTWAIT);
          if (n < 0 && -n === ERRNO.EINTR) continue;
          if (n <= 0) return;
          const ttl = packetTtl(buf, n, flow);
          if (ttl !== undefined) finish(ttl);
        }
      });
    });
  }
}

function readSysctl(conf: string): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(`/proc/sys/net/ipv4/conf/${conf}/rp_filter`, 'utf8'), 10);
    return Number.isNaN(n) ? undefined : n;
  } catch {
    return undefined;
  }
}
