// CPU accounting around a measurement: the daemon's own CPU time, and how busy the rest of the machine
// was (other users of a shared host skew wall times). Also waits for a quiet machine before a run.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { now, round, sleep } from './timing.js';

const TICK_MS = 1000 / (Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100);

/** utime + stime of a whole process (all its threads), in ms; undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of those.
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** Busy ms summed over all CPUs since boot (everything but idle and iowait). */
function hostBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) * TICK_MS;
}

function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface CpuReading {
  /** CPU the daemon used during the interval. */
  daemonCpuMs: number;
  /** CPU used by everything except the daemon and this benchmark process, as % of all CPUs. */
  otherBusyPct: number;
}

/** Starts measuring; call the returned function at the end of the interval. */
export function cpuMeter(daemonPid: number, daemonCpuAtStart = processCpuMs(daemonPid) ?? 0): () => CpuReading {
  const t0 = now();
  const host0 = hostBusyMs();
  const self0 = selfCpuMs();
  return () => {
    const daemon = (processCpuMs(daemonPid) ?? daemonCpuAtStart) - daemonCpuAtStart;
    const other = hostBusyMs() - host0 - daemon - (selfCpuMs() - self0);
    const wall = now() - t0;
    return { daemonCpuMs: round(daemon, 0), otherBusyPct: round(Math.max(0, (100 * other) / (wall * cpus().length)), 0) };
  };
}

export interface QuietWait {
  /** How long the benchmark waited for the machine to calm down. */
  waitedMs: number;
  /** Busy % of all CPUs in the last one-second sample before the run. */
  busyPct: number;
}

/** Waits (up to capMs) until the whole machine is less than maxBusyPct busy over one second. */
export async function waitQuiet(maxBusyPct = 20, capMs = 120_000): Promise<QuietWait> {
  const t0 = now();
  for (;;) {
    const b0 = hostBusyMs();
    const s0 = now();
    await sleep(1000);
    const busyPct = round((100 * (hostBusyMs() - b0)) / ((now() - s0) * cpus().length), 0);
    if (busyPct < maxBusyPct || now() - t0 > capMs) return { waitedMs: round(now() - t0, 0), busyPct };
  }
}
