// Linux capability numbers and the 64-bit masks that capget/capset and /proc/PID/status use,
// and which of them smcrouted keeps after -p. Pure: never reads or changes the process.

/** Capability numbers from linux/capability.h, those smcrouted names. */
export const CAP = {
  CHOWN: 0,
  SETGID: 6,
  SETUID: 7,
  NET_ADMIN: 12,
  NET_RAW: 13,
} as const;

const NAMES: ReadonlyMap<number, string> = new Map(Object.entries(CAP).map(([name, n]) => [n, `cap_${name.toLowerCase()}`]));

/**
 * What the daemon keeps once it has dropped to -p USER (effective and permitted; nothing
 * inheritable, so a -e script gets none). Upstream keeps CAP_NET_ADMIN alone; we keep
 * CAP_NET_RAW alone, from what the kernel asks for (checked in a namespace on Linux 6.18, and
 * ip_mroute_setsockopt / ip6_mroute_setsockopt have had the same rule since 2.6):
 *
 * - Routing needs no capability once the sockets are open. Every MRT_* / MRT6_* call other than
 *   MRT_INIT is allowed to the socket that did MRT_INIT without CAP_NET_ADMIN (it is checked
 *   only for other sockets), and SIOCGETSGCNT, group joins on plain UDP sockets and reading the
 *   netlink socket need none. What needs CAP_NET_ADMIN (MRT_TABLE, SO_RCVBUFFORCE) happens
 *   while the routing sockets are opened, before the drop.
 * - CAP_NET_RAW: mrdisc (RFC 4286) opens a raw IGMP socket per phyint when that phyint gets its
 *   VIF, at reload or when the interface appears, long after start-up; opening them before the
 *   drop is impossible for interfaces that do not exist yet, and socket(SOCK_RAW) needs it.
 */
export const ROUTING_CAPS: readonly number[] = [CAP.NET_RAW];

/** What opening the routing sockets takes, when the daemon is started without root. */
export const START_CAPS: readonly number[] = [CAP.NET_ADMIN, CAP.NET_RAW];

export function capMask(caps: readonly number[]): bigint {
  let mask = 0n;
  for (const c of caps) {
    if (!Number.isInteger(c) || c < 0 || c > 63) throw new RangeError(`capability ${c} out of range`);
    mask |= 1n << BigInt(c);
  }
  return mask;
}

export function hasCap(mask: bigint, cap: number): boolean {
  return ((mask >> BigInt(cap)) & 1n) === 1n;
}

/** The mask as capset's two 32-bit words, low word first. */
export function toWords(mask: bigint): [number, number] {
  return [Number(mask & 0xffffffffn), Number((mask >> 32n) & 0xffffffffn)];
}

export function fromWords(words: readonly [number, number]): bigint {
  return (BigInt(words[1] >>> 0) << 32n) | BigInt(words[0] >>> 0);
}

/** What to keep: the routing capabilities the process holds (a bounding set may have removed some). */
export function capsToKeep(permitted: bigint): bigint {
  return capMask(ROUTING_CAPS) & permitted;
}

/** "cap_net_admin,cap_net_raw" for logs; "none" for an empty mask. */
export function capNames(mask: bigint): string {
  const names: string[] = [];
  for (let c = 0; c < 64; c++) if (hasCap(mask, c)) names.push(NAMES.get(c) ?? `cap_${c}`);
  return names.length > 0 ? names.join(',') : 'none';
}

/** Sixteen hex digits, as the Cap* lines of /proc/PID/status print a mask. */
export function capHex(mask: bigint): string {
  return mask.toString(16).padStart(16, '0');
}
