// Limits shared by the parser, the IPC layer, the core and the kernel
// layer, kept in the bottom layer so none of them reaches into another.

/** Kernel limit on VIFs (IPv4) and MIFs (IPv6) per table: MAXVIFS / MAXMIFS. */
export const MAX_VIFS = 32;

/** Default TTL threshold of an interface: packets need TTL >= 1 to pass. */
export const DEFAULT_THRESHOLD = 1;

/**
 * One mgroup line or join command may expand (sources × groups) to at most
 * 2^MAX_JOIN_BITS kernel joins, whichever way it arrives.
 */
export const MAX_JOIN_BITS = 10;

/**
 * Multicast Router Discovery advertisement interval, in seconds (-m): the
 * range RFC 4286 allows, and its default.
 */
export const MRDISC_INTERVAL = { min: 4, max: 180, default: 20 } as const;
