// Sends UDP datagrams with forged IPv4 sources (raw socket, IP_HDRINCL) from inside a lab namespace, over
// prebuilt packets: back to back, or paced at a fixed rate. Destinations must be groups routed inside the lab.
import type { Lab } from '../../test/lib/netns.js';
import { repoPath } from '../../test/lib/paths.js';

/** The sender itself: a source file, since tsc copies no .py into dist/ (found from the package root). */
const FORGER = repoPath('bench', 'lib', 'forge.py');

export interface ForgeResult {
  sent: number;
  /** sendto() failures (e.g. ENOBUFS); those datagrams never left. */
  errors: number;
  /** Time spent in the send loop alone (packets are prebuilt). */
  seconds: number;
  /** Paced only (else 0): the latest any datagram left after its due time; large means the sender fell behind. */
  maxLagSeconds: number;
  /** Wall clock (ms since the epoch) when the first datagram went out. */
  startEpochMs: number;
}

let seq = 0;

/**
 * Sends `rounds` datagrams per [source, group] flow, in flow order, out of iface in ns; back to back,
 * or `rate` datagrams per second when rate is set.
 */
export async function forge(
  lab: Lab,
  ns: string,
  iface: string,
  flows: readonly (readonly [string, string])[],
  opts: { rounds?: number; ttl?: number; port?: number; rate?: number } = {},
): Promise<ForgeResult> {
  const n = ++seq;
  const spec = lab.writeFile(
    `forge-${n}.json`,
    JSON.stringify({
      iface,
      flows,
      rounds: opts.rounds ?? 1,
      ttl: opts.ttl ?? 8,
      port: opts.port ?? 5001,
      rate: opts.rate ?? 0,
    }),
  );
  const proc = lab.spawn(ns, 'python3', [FORGER, spec], { label: `forge@${iface}` });
  const st = await proc.exited;
  const line = proc.lines.find((l) => l.startsWith('{'));
  if (st.code !== 0 || !line) throw new Error(`forger failed\n${proc.describe()}`);
  return JSON.parse(line) as ForgeResult;
}
