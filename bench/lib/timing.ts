// Clock, sleep, a polling loop that records when its condition first held, and small statistics.
// Polling has the resolution of its interval; callers report that interval with the numbers.
import { performance } from 'node:perf_hooks';

export const now = (): number => performance.now();

/** A wall-clock time (ms since the epoch, e.g. from another process) on the now() scale. */
export const epochToNow = (epochMs: number): number => epochMs - performance.timeOrigin;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export type PollOutcome = { ok: true; ms: number } | { ok: false; ms: number; why: string };

/**
 * Calls check every intervalMs until it returns true; ms is measured from t0 to the check that
 * succeeded. Gives up after capMs (from t0) or when abort() names a reason.
 */
export async function pollFrom(
  t0: number,
  check: () => boolean,
  opts: { intervalMs: number; capMs: number; abort?: () => string | undefined },
): Promise<PollOutcome> {
  for (;;) {
    if (check()) return { ok: true, ms: now() - t0 };
    const why = opts.abort?.();
    if (why !== undefined) return { ok: false, ms: now() - t0, why };
    if (now() - t0 > opts.capMs) return { ok: false, ms: now() - t0, why: `timeout after ${opts.capMs} ms` };
    await sleep(opts.intervalMs);
  }
}

export interface Spread {
  reps: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

export function spread(samples: readonly number[]): Spread {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { reps: s.length, medianMs: round(median), minMs: round(s[0]!), maxMs: round(s[s.length - 1]!) };
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
