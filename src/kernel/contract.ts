// The kernel contract's rules on arguments, written once for linux.ts and fake.ts: the op names, and
// which errno a closed socket or a bad argument gets, per family. No state here, and no system call.

import { kernelError } from '../errors.js';
import { isAny, isMulticast, type Addr, type Family } from '../model/addr.js';
import { MAX_VIFS } from '../model/limits.js';
import type { MfcSpec, MrdiscMessage } from './types.js';

/** KernelError.op of each routing-socket call, per family. */
export const OPS = {
  inet: {
    init: 'MRT_INIT',
    done: 'MRT_DONE',
    table: 'MRT_TABLE',
    addVif: 'MRT_ADD_VIF',
    delVif: 'MRT_DEL_VIF',
    addMfc: 'MRT_ADD_MFC',
    delMfc: 'MRT_DEL_MFC',
    counters: 'SIOCGETSGCNT',
    vifCounters: 'SIOCGETVIFCNT',
  },
  inet6: {
    init: 'MRT6_INIT',
    done: 'MRT6_DONE',
    table: 'MRT6_TABLE',
    addVif: 'MRT6_ADD_MIF',
    delVif: 'MRT6_DEL_MIF',
    addMfc: 'MRT6_ADD_MFC',
    delMfc: 'MRT6_DEL_MFC',
    counters: 'SIOCGETSGCNT_IN6',
    vifCounters: 'SIOCGETMIFCNT_IN6',
  },
} as const;

/** KernelError.op of the mrdisc socket calls, named after the call that can fail. */
export const MRDISC_OPS = { open: 'SO_BINDTOIFINDEX', send: 'sendto', close: 'close' } as const;

/** KernelError.op of a join or leave, ASM or SSM. */
export function joinOp(join: boolean, ssm: boolean): string {
  if (join) return ssm ? 'MCAST_JOIN_SOURCE_GROUP' : 'MCAST_JOIN_GROUP';
  return ssm ? 'MCAST_LEAVE_SOURCE_GROUP' : 'MCAST_LEAVE_GROUP';
}

function fitsUint(n: number, max: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= max;
}

// vifi, mifi, the MFC parent and IPv6 pifi are 16 bits, vifc_lcl_ifindex a
// signed int, thresholds 8 bits, gr_interface and the table id 32 bits.
const U8 = 0xff;
const U16 = 0xffff;
const U32 = 0xffffffff;
const I32 = 0x7fffffff;

function invalid(op: string): never {
  throw kernelError(op, 'EINVAL');
}

/** A call on a routing socket this kernel does not (or no longer) have. */
function open<S>(socket: S | undefined, op: string): S {
  if (socket === undefined) throw kernelError(op, 'EBADF', 'socket not open');
  return socket;
}

// Two fixed arguments, not a rest list: called for every route installed.
function sameFamily(family: Family, a: Addr, b: Addr): boolean {
  return a.family === family && b.family === family;
}

/**
 * What both kernels check before anything else, and linux.ts before its
 * system call: the routing socket is open (EBADF), then every argument fits
 * the C field it is written to and has the socket's family (EINVAL). The
 * struct encoders would otherwise truncate, or write another family's bytes,
 * without a word. Each takes the caller's handle of the family's routing
 * socket (an fd, a fake table), undefined when there is none, and returns it.
 */
export const precheck = {
  /** A second MRT_INIT on an open socket is EADDRINUSE in Linux too, so that comes first. */
  openMroute(family: Family, table: number, state: { readonly open: boolean; readonly down: boolean }): void {
    const ops = OPS[family];
    if (state.open) throw kernelError(ops.init, 'EADDRINUSE');
    if (state.down) throw kernelError(ops.init, 'EBADF', 'kernel shut down');
    if (!fitsUint(table, U32)) invalid(ops.table);
  },

  closeMroute<S>(family: Family, socket: S | undefined): S {
    return open(socket, OPS[family].done);
  },

  addVif<S>(family: Family, socket: S | undefined, vif: number, ifindex: number, threshold: number): S {
    const op = OPS[family].addVif;
    const s = open(socket, op);
    if (!fitsUint(vif, U16) || !fitsUint(ifindex, family === 'inet' ? I32 : U16) || !fitsUint(threshold, U8)) invalid(op);
    return s;
  },

  delVif<S>(family: Family, socket: S | undefined, vif: number): S {
    const op = OPS[family].delVif;
    const s = open(socket, op);
    if (!fitsUint(vif, U16)) invalid(op);
    return s;
  },

  addMfc<S>(family: Family, socket: S | undefined, mfc: MfcSpec): S {
    const op = OPS[family].addMfc;
    const s = open(socket, op);
    if (!sameFamily(family, mfc.source, mfc.group) || !fitsUint(mfc.iif, U16)) invalid(op);
    return s;
  },

  delMfc<S>(family: Family, socket: S | undefined, source: Addr, group: Addr, iif: number): S {
    const op = OPS[family].delMfc;
    const s = open(socket, op);
    if (!sameFamily(family, source, group) || !fitsUint(iif, U16)) invalid(op);
    return s;
  },

  counters<S>(family: Family, socket: S | undefined, source: Addr, group: Addr): S {
    const op = OPS[family].counters;
    const s = open(socket, op);
    if (!sameFamily(family, source, group)) invalid(op);
    return s;
  },

  /** vifi and mifi are 16 bits. */
  vifCounters<S>(family: Family, socket: S | undefined, vif: number): S {
    const op = OPS[family].vifCounters;
    const s = open(socket, op);
    if (!fitsUint(vif, U16)) invalid(op);
    return s;
  },

  /** Joins go through sockets of their own, so only a shut-down kernel has none. */
  join(down: boolean, ifindex: number, group: Addr, source?: Addr): void {
    const op = joinOp(true, source !== undefined);
    if (down) throw kernelError(op, 'EBADF', 'kernel shut down');
    if ((source && source.family !== group.family) || !fitsUint(ifindex, U32)) invalid(op);
  },

  /** Index 0 would unbind the socket from any link, so it is refused with the out-of-range ones. */
  openMrdisc(down: boolean, open: boolean, ifindex: number): void {
    const op = MRDISC_OPS.open;
    if (down) throw kernelError(op, 'EBADF', 'kernel shut down');
    if (!fitsUint(ifindex, I32) || ifindex === 0) invalid(op);
    if (open) throw kernelError(op, 'EADDRINUSE', 'mrdisc socket already open on this link');
  },

  /** The advertisement's fields are 8 (interval) and 16 bits wide. */
  sendMrdisc<S>(socket: S | undefined, m: MrdiscMessage): S {
    const s = open(socket, MRDISC_OPS.send);
    if (
      m.type === 'advertisement' &&
      !(fitsUint(m.interval, U8) && fitsUint(m.queryInterval, U16) && fitsUint(m.robustness, U16))
    ) {
      invalid(MRDISC_OPS.send);
    }
    return s;
  },

  closeMrdisc<S>(socket: S | undefined): S {
    return open(socket, MRDISC_OPS.close);
  },

  /** A leave's arguments need no check: what was never joined is EADDRNOTAVAIL, whatever it is. */
  leave(down: boolean, source?: Addr): void {
    if (down) throw kernelError(joinOp(false, source !== undefined), 'EBADF', 'kernel shut down');
  },
} as const;

/**
 * What Linux itself refuses on the arguments alone, in its order (measured
 * on Linux 6.18 by the contract suite). The fake applies these right after
 * `precheck`; linux.ts leaves them to Linux, so its errors stay Linux's own.
 */
export const kernelRules = {
  addVif(family: Family, vif: number): void {
    if (vif >= MAX_VIFS) throw kernelError(OPS[family].addVif, 'ENFILE');
  },

  /** IPv4 range-checks the index first (ENFILE); IPv6 folds it into "no such MIF". */
  delVif(family: Family, vif: number): void {
    if (vif >= MAX_VIFS) throw kernelError(OPS[family].delVif, family === 'inet' ? 'ENFILE' : 'EADDRNOTAVAIL');
  },

  /** The inbound VIF's range first; then the group must be multicast, or any for (*,*). */
  addMfc(family: Family, mfc: MfcSpec): void {
    const op = OPS[family].addMfc;
    if (mfc.iif >= MAX_VIFS) throw kernelError(op, 'ENFILE');
    if (!isMulticast(mfc.group) && !isAny(mfc.group)) invalid(op);
  },

  join(group: Addr, source?: Addr): void {
    if (!isMulticast(group)) invalid(joinOp(true, source !== undefined));
  },
} as const;
