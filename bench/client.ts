// Client start-up: a bare `node -e 0`, our `smcroutectl -v` and the C one's, run in turn so all share
// the host's conditions. (`show` and `-b` are timed against a daemon in routes.ts.)
import { DAEMONS, type DaemonId } from './lib/daemons.js';
import { NODE0, runCmd } from './lib/run.js';
import { spread, type Spread } from './lib/timing.js';
import { waitQuiet, type QuietWait } from './lib/cpu.js';

export interface ClientStartup {
  quiet: QuietWait;
  node0: Spread;
  version: Record<DaemonId, Spread>;
  /**
   * `node -e 0` with the environment the benchmark was started with, when that differs from the one
   * every program here runs with (see `scrubbed`): what Node's start-up costs on this host as set up.
   */
  node0HostEnv?: Spread;
  /** Variables the benchmark removed from its children's environment because they slow Node's start. */
  scrubbed: string[];
}

export async function runClientStartup(reps: number, hostEnv: NodeJS.ProcessEnv, scrubbed: string[]): Promise<ClientStartup> {
  const quiet = await waitQuiet();
  const node0: number[] = [];
  const hostNode0: number[] = [];
  const version: Record<DaemonId, number[]> = { upstream: [], ours: [] };
  const timed = (argv: readonly string[], env?: NodeJS.ProcessEnv): number => {
    const r = runCmd(argv, { env });
    if (!r.ok) throw new Error(`${argv.join(' ')} failed: ${r.err.trim().slice(0, 500)}`);
    return r.ms;
  };
  for (let i = 0; i < reps; i++) {
    node0.push(timed(NODE0));
    for (const d of DAEMONS) version[d.id].push(timed([...d.client, '-v']));
    if (scrubbed.length > 0) hostNode0.push(timed(NODE0, hostEnv));
  }
  return {
    quiet,
    node0: spread(node0),
    version: { upstream: spread(version.upstream), ours: spread(version.ours) },
    node0HostEnv: hostNode0.length > 0 ? spread(hostNode0) : undefined,
    scrubbed,
  };
}
