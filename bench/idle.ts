// The idle footprint of one daemon in a fresh lab: started with the two interfaces enabled and no route,
// left to settle, then its resident size read. The baseline for memory per route.
import { withLab } from '../test/lib/netns.js';
import { waitQuiet, type QuietWait } from './lib/cpu.js';
import { buildTopo, IIF, OIF, PHYINTS, spawnDaemon, type DaemonId, type DaemonKind } from './lib/daemons.js';
import { memoryKiB } from './lib/nsview.js';
import { now, pollFrom, sleep } from './lib/timing.js';

export interface IdleResult {
  daemon: DaemonId;
  quiet: QuietWait;
  rssKiB: number;
  hwmKiB: number;
}

/** How long the daemon is left alone after its VIFs appear: start-up garbage has been collected by then. */
const SETTLE_MS = 2000;

export async function runIdle(kind: DaemonKind): Promise<IdleResult> {
  const quiet = await waitQuiet();
  return withLab(async (lab) => {
    const topo = await buildTopo(lab);
    const d = spawnDaemon(lab, topo, kind, lab.writeFile('idle.conf', PHYINTS));
    const ready = await pollFrom(now(), () => topo.rtrView.vifOf(IIF) !== undefined && topo.rtrView.vifOf(OIF) !== undefined, {
      intervalMs: 20,
      capMs: 20_000,
      abort: () => (d.proc.running ? undefined : `daemon exited\n${d.proc.stderr}`),
    });
    if (!ready.ok) throw new Error(`${kind.label} not ready: ${ready.why}`);
    await sleep(SETTLE_MS);
    const m = memoryKiB(d.proc.pid);
    await d.proc.stop('SIGTERM', 10_000);
    return { daemon: kind.id, quiet, rssKiB: m.rss, hwmKiB: m.hwm };
  });
}
