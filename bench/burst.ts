// Scenarios 4 and 5 for one daemon and one burst size K in a fresh lab: one (*,G/LEN) rule, then K datagrams,
// each from a new forged source, sent back to back (4) or paced at a fixed rate (5). Counts which flows the
// daemon got into the MFC.
import { addrAt } from '../test/lib/fixtures.js';
import { withLab } from '../test/lib/netns.js';
import { buildTopo, IIF, OIF, PHYINTS, SND_IF, spawnDaemon, type DaemonId, type DaemonKind, type Topo } from './lib/daemons.js';
import { forge } from './lib/forge.js';
import { cpuMeter, waitQuiet, type CpuReading, type QuietWait } from './lib/cpu.js';
import { memoryKiB, mfcKey } from './lib/nsview.js';
import { epochToNow, now, pollFrom, round, sleep } from './lib/timing.js';

export const BURST_RULE = `mroute from ${IIF} group 225.1.0.0/16 to ${OIF}`;

export interface BurstParams {
  k: number;
  /** Datagrams per second the sender aims for; undefined: back to back, as fast as it can. */
  rate?: number;
  capMs: number;
  /** Settled: the MFC has not changed for this long and holds no unresolved entry. */
  quietMs: number;
  pollMs: number;
}

export interface BurstResult {
  daemon: DaemonId;
  k: number;
  /** The target rate of a paced burst; absent for back to back. */
  rate?: number;
  /** The machine's load just before this run. */
  quiet: QuietWait;
  ok: boolean;
  /** Datagrams the sender got out, and how long its send loop took. */
  sent: number;
  sendErrors: number;
  sendMs: number;
  /** Datagrams per second the sender achieved: sent / send loop time. */
  sendRate: number;
  /** Paced only: the latest a datagram left after its due time (the sender could not keep up if large). */
  maxLagMs?: number;
  /** Datagrams the router's inbound interface received (its rx counter). */
  delivered: number;
  /** Flows in the MFC with iif IIF and exactly oif OIF. */
  installed: number;
  /** Flows in the MFC some other way (e.g. no oif: a stop filter). */
  wrong: number;
  /** k - installed, and as a percentage of k. */
  lost: number;
  lossPct: number;
  /** Send start until the last new flow appeared in the MFC. */
  lastInstallMs: number;
  /** Send start until the MFC settled (or the cap). */
  settledMs: number;
  daemonAlive: boolean;
  /** From just before the burst until settled. */
  cpu: CpuReading;
  /** The daemon's VmRSS once settled, holding the learned routes. */
  rssKiB?: number;
  error?: string;
}

function flows(k: number): [string, string][] {
  // Sources in 10.64/10 never exist anywhere; groups stay inside 225.1.0.0/16 for k <= 65,000.
  return Array.from({ length: k }, (_, i) => [addrAt('10.64.0.1', i), addrAt('225.1.0.1', i)]);
}

interface Tally {
  installed: number;
  wrong: number;
  unresolved: number;
}

function tally(topo: Topo, wanted: ReadonlySet<string>, iif: number, oif: number): Tally {
  const t: Tally = { installed: 0, wrong: 0, unresolved: 0 };
  for (const r of topo.rtrView.mfc()) {
    if (!wanted.has(r.key)) continue;
    if (!r.resolved) t.unresolved++;
    else if (r.iif === iif && r.oifs.length === 1 && r.oifs[0] === oif) t.installed++;
    else t.wrong++;
  }
  return t;
}

export async function runBurst(kind: DaemonKind, p: BurstParams): Promise<BurstResult> {
  const quiet = await waitQuiet();
  return withLab(async (lab) => {
    const topo = await buildTopo(lab);
    const conf = lab.writeFile('bench.conf', `${PHYINTS}${BURST_RULE}\n`);
    const d = spawnDaemon(lab, topo, kind, conf);
    let iif: number | undefined;
    let oif: number | undefined;
    const ready = await pollFrom(
      now(),
      () => {
        iif = topo.rtrView.vifOf(IIF);
        oif = topo.rtrView.vifOf(OIF);
        return iif !== undefined && oif !== undefined && topo.rtrView.mfcCount() === 0;
      },
      { intervalMs: p.pollMs, capMs: 20_000, abort: () => (d.proc.running ? undefined : `daemon exited\n${d.proc.stderr}`) },
    );
    if (!ready.ok) throw new Error(`${kind.label} not ready: ${ready.why}`);
    // The daemon has made its VIFs; give it a moment to finish start-up before the burst.
    await sleep(500);

    const fl = flows(p.k);
    const wanted = new Set(fl.map(([s, g]) => mfcKey(s, g)));
    const rx0 = topo.rtrView.linkPackets(IIF).rx;
    const meter = cpuMeter(d.proc.pid);
    const sent = await forge(lab, topo.snd, SND_IF, fl, { rate: p.rate });
    // Timed from the first datagram, not from the sender's start-up (python, building packets).
    const t0 = epochToNow(sent.startEpochMs);
    const delivered = topo.rtrView.linkPackets(IIF).rx - rx0;

    let last: Tally = { installed: 0, wrong: 0, unresolved: 0 };
    let lastChange = t0;
    let lastInstall = t0;
    const settle = await pollFrom(
      t0,
      () => {
        const t = tally(topo, wanted, iif!, oif!);
        const at = now();
        if (t.installed !== last.installed || t.wrong !== last.wrong || t.unresolved !== last.unresolved) lastChange = at;
        if (t.installed > last.installed) lastInstall = at;
        last = t;
        if (t.installed + t.wrong === p.k) return true;
        return t.unresolved === 0 && at - lastChange >= p.quietMs;
      },
      { intervalMs: p.pollMs, capMs: p.capMs, abort: () => (d.proc.running ? undefined : 'daemon exited') },
    );
    const cpu = meter();

    const lost = p.k - last.installed;
    return {
      daemon: kind.id,
      k: p.k,
      rate: p.rate,
      quiet,
      ok: settle.ok,
      sent: sent.sent,
      sendErrors: sent.errors,
      sendMs: round(sent.seconds * 1000),
      sendRate: round(sent.sent / sent.seconds, 0),
      maxLagMs: p.rate === undefined ? undefined : round(sent.maxLagSeconds * 1000, 2),
      delivered,
      installed: last.installed,
      wrong: last.wrong,
      lost,
      lossPct: round((100 * lost) / p.k, 2),
      lastInstallMs: round(lastInstall - t0),
      settledMs: round(settle.ms),
      daemonAlive: d.proc.running,
      cpu,
      rssKiB: d.proc.running ? memoryKiB(d.proc.pid).rss : undefined,
      error: settle.ok ? undefined : settle.why,
    };
  });
}
