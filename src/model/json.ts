// JSON for 64-bit kernel counters (bigint in the daemon), as every JSON output of ours writes them.

/**
 * A JSON.stringify replacer: a bigint is a JSON number while it is at most 2^53 - 1 (exact in
 * every JSON reader), a decimal string above that.
 */
export function exactCounters(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? (value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString()) : value;
}
