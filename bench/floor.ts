// The kernel floor for N routes: a bare loop of N MRT_ADD_MFC calls after MRT_INIT and two VIFs, in a
// fresh lab's router namespace, no daemon. Two loops: ours through src/kernel's libc binding (Node,
// bench/lib/mfc-floor.ts) and one in Python (bench/lib/mfc_floor.py); the floor is the faster one.
import { withLab } from '../test/lib/netns.js';
import { repoPath } from '../test/lib/paths.js';
import { waitQuiet, type QuietWait } from './lib/cpu.js';
import { buildTopo, IIF, OIF } from './lib/daemons.js';
import { spread, type Spread } from './lib/timing.js';

export type FloorLoop = 'node' | 'python';

export interface FloorResult {
  n: number;
  quiet: QuietWait;
  /** Loop time of each implementation over the runs. */
  loops: Record<FloorLoop, Spread>;
  /** The lower median of the two, and whose it is. */
  floorMs: number;
  floorBy: FloorLoop;
}

const LOOPS: Record<FloorLoop, readonly string[]> = {
  node: [process.execPath, repoPath('dist', 'bench', 'lib', 'mfc-floor.js')],
  // A source file: tsc copies no .py into dist/.
  python: ['python3', repoPath('bench', 'lib', 'mfc_floor.py')],
};

export async function runFloor(n: number, reps: number): Promise<FloorResult> {
  const quiet = await waitQuiet();
  return withLab(async (lab) => {
    const topo = await buildTopo(lab);
    const times: Record<FloorLoop, number[]> = { node: [], python: [] };
    // Alternating, so a busy spell on the host does not fall on one loop only.
    for (let i = 0; i < reps; i++) {
      for (const loop of ['node', 'python'] as const) {
        const [cmd, ...args] = LOOPS[loop];
        const r = lab.exec(topo.rtr, cmd!, [...args, String(n), IIF, OIF], { check: false });
        const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
        if (r.status !== 0 || !line) throw new Error(`${loop} floor loop failed (${r.status}):\n${r.stderr}${r.stdout}`);
        const out = JSON.parse(line) as { ms: number; entries: number };
        if (out.entries !== n) throw new Error(`${loop} floor loop left ${out.entries} MFC entries, not ${n}`);
        times[loop].push(out.ms);
      }
    }
    const loops = { node: spread(times.node), python: spread(times.python) };
    const floorBy: FloorLoop = loops.node.medianMs <= loops.python.medianMs ? 'node' : 'python';
    return { n, quiet, loops, floorMs: loops[floorBy].medianMs, floorBy };
  });
}
