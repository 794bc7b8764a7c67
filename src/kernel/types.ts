// The contract between the daemon and the operating system. The real Linux
// implementation (linux.ts) and the in-memory fake (fake.ts) both keep it,
// errors included; nothing outside src/kernel/ may touch the OS directly.

import type { Addr, Family } from '../model/addr.js';

export interface LinkInfo {
  readonly name: string;
  readonly index: number;
  readonly up: boolean;
  readonly multicast: boolean;
}

/** Outbound TTL thresholds indexed by VIF/MIF; 0 means "not forwarded there". */
export type TtlVector = Uint8Array; // length MAX_VIFS

export interface MfcSpec {
  readonly source: Addr;
  readonly group: Addr;
  /** Inbound VIF/MIF index. */
  readonly iif: number;
  readonly ttls: TtlVector;
}

export interface SgCounters {
  readonly packets: bigint;
  readonly bytes: bigint;
  readonly wrongIf: bigint;
}

/** What a VIF/MIF has carried: packets and bytes received on it and sent out of it. */
export interface VifCounters {
  readonly packetsIn: bigint;
  readonly packetsOut: bigint;
  readonly bytesIn: bigint;
  readonly bytesOut: bigint;
}

export type UpcallKind = 'nocache' | 'wrongvif' | 'wholepkt' | 'other';

export interface Upcall {
  readonly family: Family;
  readonly kind: UpcallKind;
  /** Raw message type from igmpmsg / mrt6msg, for logging. */
  readonly type: number;
  /** The VIF/MIF the packet arrived on. */
  readonly vif: number;
  readonly source: Addr;
  readonly group: Addr;
}

export interface UpcallSink {
  /** Called with every upcall read, in kernel order, in batches. */
  (batch: readonly Upcall[]): void;
}

/**
 * A Multicast Router Discovery message (RFC 4286, IPv4 only). An
 * advertisement's intervals are in seconds; queryInterval and robustness
 * echo the IGMP querier's values, 0 when unknown.
 */
export type MrdiscMessage =
  | { readonly type: 'advertisement'; readonly interval: number; readonly queryInterval: number; readonly robustness: number }
  | { readonly type: 'solicitation' }
  | { readonly type: 'termination' };

/** One message heard on an mrdisc socket: the link it came in on and its IPv4 sender. */
export interface MrdiscHeard {
  readonly ifindex: number;
  readonly from: Addr;
  readonly message: MrdiscMessage;
}

export interface MrdiscSink {
  (heard: MrdiscHeard): void;
}

/** Where the route back to a source leaves: an interface index, or none at all. */
export type RouteBack = { readonly ifindex: number } | 'unreachable';

/**
 * What `smcroutectl explain` reads from the OS about one flow, beside the
 * routing state: reverse-path filtering, the route back to the source, and
 * one live packet. Each answer is undefined when the OS cannot tell.
 */
/** An interface's IPv4 rp_filter settings as read: conf/all and conf/NAME (Linux applies the larger). */
export interface RpFilter {
  readonly all: number;
  readonly iface: number;
}

export interface FlowFacts {
  rpFilter(ifname: string): RpFilter | undefined;
  /** The kernel's route lookup towards `source` (RTM_GETROUTE: policy rules and every table). */
  routeBack(source: Addr): RouteBack | undefined;
  /**
   * Listens on the link for up to `ms` for one packet from `source` to
   * `group` and resolves with its TTL (hop limit for IPv6) as it arrived;
   * undefined when none came. Never blocks the event loop.
   */
  sampleTtl(ifindex: number, source: Addr, group: Addr, ms: number): Promise<number | undefined>;
}

/**
 * One kernel, as seen from the daemon. Control calls are synchronous (each
 * is a single setsockopt/ioctl) and throw KernelError on failure, carrying
 * the errno name the real kernel returns.
 */
export interface Kernel {
  /** Interfaces present now, ordered by ifindex. */
  links(): LinkInfo[];

  /**
   * Opens the multicast routing socket of one family on routing table
   * `table` (MRT_TABLE, then MRT_INIT; MRT_PIM for IPv4 so WRONGVIF is
   * reported). EADDRINUSE when another daemon owns that table.
   */
  openMroute(family: Family, table: number): void;
  /** MRT_DONE and close: the kernel flushes the table's VIFs and MFC. */
  closeMroute(family: Family): void;
  isOpen(family: Family): boolean;

  /** MRT_ADD_VIF with VIFF_USE_IFINDEX / MRT6_ADD_MIF. */
  addVif(family: Family, vif: number, ifindex: number, threshold: number): void;
  delVif(family: Family, vif: number): void;

  /** MRT_ADD_MFC / MRT6_ADD_MFC; replaces an existing (S,G). */
  addMfc(family: Family, mfc: MfcSpec): void;
  delMfc(family: Family, source: Addr, group: Addr, iif: number): void;
  /** SIOCGETSGCNT / SIOCGETSGCNT_IN6; undefined when the (S,G) is unknown. */
  counters(family: Family, source: Addr, group: Addr): SgCounters | undefined;
  /**
   * SIOCGETVIFCNT / SIOCGETMIFCNT_IN6; undefined when no VIF/MIF has that
   * index (Linux says EADDRNOTAVAIL below its highest VIF, EINVAL above it).
   */
  vifCounters(family: Family, vif: number): VifCounters | undefined;

  /** ASM join when `source` is undefined, else SSM (source-specific) join. */
  join(ifindex: number, group: Addr, source?: Addr): void;
  leave(ifindex: number, group: Addr, source?: Addr): void;

  /**
   * Opens the link's Multicast Router Discovery socket: raw IGMP, bound to
   * the link, TTL 1, no loopback, IP Router Alert, joined to All-Routers
   * (224.0.0.2) so solicitations arrive. ENODEV without such a link,
   * EADDRINUSE when the link already has one.
   */
  openMrdisc(ifindex: number): void;
  /** Sends one message to All-Snoopers (224.0.0.106) on the link; EBADF when its socket is not open. */
  sendMrdisc(ifindex: number, message: MrdiscMessage): void;
  /** Closes the link's mrdisc socket (sends nothing); EBADF when not open. */
  closeMrdisc(ifindex: number): void;
  /** Delivers the valid MRD messages heard on open mrdisc sockets. */
  onMrdisc(sink: MrdiscSink): void;

  /** Delivers kernel upcalls (NOCACHE, WRONGVIF, ...) from all open sockets. */
  onUpcall(sink: UpcallSink): void;
  /** Called (coalesced) whenever links appear, vanish or change state. */
  onLinkChange(handler: () => void): void;

  /** The OS facts `explain` reads; loaded on first use, so a daemon never asked costs nothing. */
  flowFacts(): Promise<FlowFacts>;

  /** Stops all background readers and closes every socket. */
  shutdown(): void;
}
