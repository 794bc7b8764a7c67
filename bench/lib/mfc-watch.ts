// Times when a few MFC entries reach their wanted state, through bench/lib/mfc_watch.py running in the
// router namespace (rtnetlink lookups, one hash probe each, instead of reading the whole table).
import type { Lab } from '../../test/lib/netns.js';
import { repoPath } from '../../test/lib/paths.js';
import type { Route } from './plan.js';
import { IIF, OIF } from './daemons.js';

/** A source file: tsc copies no .py into dist/. */
const WATCHER = repoPath('bench', 'lib', 'mfc_watch.py');

export type WatchResult = { ok: true; doneEpochMs: number; polls: number; lookups: number } | { ok: false; why: string };

let seq = 0;

/**
 * Starts watching; resolves once the watcher can look entries up (so the caller may act), with a
 * function that waits for the outcome: the wall-clock time every entry was as wanted.
 */
export async function watchMfc(
  lab: Lab,
  ns: string,
  want: { present: readonly Route[]; absent: readonly Route[]; capMs: number },
): Promise<() => Promise<WatchResult>> {
  const spec = lab.writeFile(
    `watch-${++seq}.json`,
    JSON.stringify({
      iif: IIF,
      oif: OIF,
      present: want.present.map((r) => [r.source, r.group]),
      absent: want.absent.map((r) => [r.source, r.group]),
      intervalMs: 2,
      capMs: want.capMs,
    }),
  );
  const proc = lab.spawn(ns, 'python3', [WATCHER, spec], { label: 'mfc-watch' });
  await proc.waitForLine((l) => l === 'ready', 10_000);
  return async () => {
    const st = await proc.exited;
    const line = proc.lines.find((l) => l.startsWith('{'));
    if (st.code !== 0 || !line) return { ok: false, why: `watcher failed\n${proc.describe()}` };
    const r = JSON.parse(line) as {
      ok: boolean;
      doneEpochMs?: number;
      polls: number;
      lookups: number;
      settled?: number;
      of?: number;
    };
    if (!r.ok || r.doneEpochMs === undefined)
      return { ok: false, why: `timeout: ${r.settled ?? '?'} of ${r.of ?? '?'} entries as wanted` };
    return { ok: true, doneEpochMs: r.doneEpochMs, polls: r.polls, lookups: r.lookups };
  };
}
