// JSON for 64-bit kernel counters (bigint in the daemon), as every JSON output of ours writes them.

/**
 * A counter as JSON carries it: a number while it is at most 2^53 - 1 (exact in every JSON
 * reader), a decimal string above that.
 */
export function exactCounter(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

/** A counter read back from such JSON; undefined when it is neither form. */
export function counterOf(v: unknown): bigint | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^\d+$/.test(v)) return BigInt(v);
  return undefined;
}

/** A JSON.stringify replacer writing every bigint as exactCounter does. */
export function exactCounters(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? exactCounter(value) : value;
}
