// Scenarios 1-3 for one daemon in one fresh lab: start-up with N (S,G) routes, memory, `show`, and a
// SIGHUP reload that swaps some routes. Measures through the kernel's own MFC view, never the daemon's.
import { spawnSync } from 'node:child_process';
import { existsSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { addrAt } from '../test/lib/fixtures.js';
import { withLab, type Lab } from '../test/lib/netns.js';
import {
  buildTopo,
  IIF,
  OIF,
  PHYINTS,
  SND_IF,
  spawnDaemon,
  type DaemonId,
  type DaemonKind,
  type Running,
  type Topo,
} from './lib/daemons.js';
import { forge } from './lib/forge.js';
import { cpuMeter, waitQuiet, type CpuReading, type QuietWait } from './lib/cpu.js';
import { memoryKiB, mfcKey, type RawMfc } from './lib/nsview.js';
import { now, pollFrom, round, sleep, spread, type Spread } from './lib/timing.js';

export interface RoutesParams {
  n: number;
  /** Routes removed and as many added on reload. */
  change: number;
  showReps: number;
  capMs: number;
  pollMs: number;
}

export interface ClientRun extends Partial<Spread> {
  client: DaemonId;
  ok: boolean;
  /** The daemon's CPU time per show request. */
  daemonCpuMsPerRun?: number;
  lines?: number;
  bytes?: number;
  /** For the other daemon's client: whether it printed exactly what the daemon's own client did. */
  sameOutputAsOwn?: boolean;
  error?: string;
}

export interface RoutesResult {
  daemon: DaemonId;
  n: number;
  /** The machine's load just before this daemon's run. */
  quiet: QuietWait;
  startup: {
    ok: boolean;
    /** Spawn until all N entries are in the MFC. */
    ms: number;
    /** Spawn until the PID file (written once the config is applied) exists. */
    pidFileMs?: number;
    installed: number;
    /** Entries matching the config exactly (resolved, iif IIF, oifs [OIF]). */
    correct?: number;
    cpu?: CpuReading;
    error?: string;
  };
  memory?: { rssKiB: number; hwmKiB: number };
  show?: { own: ClientRun; cross: ClientRun };
  reload?: {
    ok: boolean;
    removed: number;
    added: number;
    /** SIGHUP until the MFC equals the new config. */
    ms: number;
    /** Unchanged entries that carried probe traffic before the reload. */
    probed: number;
    /** Of those: counters reset or entry changed/missing after the reload (deleted and re-added). */
    disturbed: number;
    cpu?: CpuReading;
    error?: string;
  };
  /** SIGTERM until the process is gone (it removes its routes on the way out); killed after the cap. */
  stop?: { ok: boolean; ms: number; exitCode: number | null };
}

interface Route {
  source: string;
  group: string;
}

const key = mfcKey;

/** Route i: distinct source and distinct group. */
function route(i: number): Route {
  return { source: addrAt('10.100.0.1', i), group: addrAt('225.32.0.1', i) };
}

function confText(routes: readonly Route[]): string {
  return PHYINTS + routes.map((r) => `mroute from ${IIF} source ${r.source} group ${r.group} to ${OIF}\n`).join('');
}

/** How the live MFC compares with the wanted routes. */
interface MfcCheck {
  rows: RawMfc[];
  correct: number;
  exact: boolean;
}

function checkMfc(topo: Topo, want: readonly Route[]): MfcCheck {
  const rows = topo.rtrView.mfc();
  const iif = topo.rtrView.vifOf(IIF);
  const oif = topo.rtrView.vifOf(OIF);
  const wanted = new Set(want.map((r) => key(r.source, r.group)));
  let correct = 0;
  for (const r of rows) {
    if (r.resolved && r.iif === iif && r.oifs.length === 1 && r.oifs[0] === oif && wanted.has(r.key)) correct++;
  }
  return { rows, correct, exact: correct === want.length && rows.length === want.length };
}

const daemonGone = (d: Running) => (): string | undefined =>
  d.proc.running ? undefined : `daemon exited (${JSON.stringify(d.proc.exitStatus)})\n${d.proc.stderr.slice(-2000)}`;

async function startup(
  topo: Topo,
  d: () => Running,
  want: readonly Route[],
  p: RoutesParams,
): Promise<{ running: Running; result: RoutesResult['startup'] }> {
  let pidFileMs: number | undefined;
  const t0 = now();
  const running = d();
  const meter = cpuMeter(running.proc.pid, 0);
  const out = await pollFrom(
    t0,
    () => {
      if (pidFileMs === undefined && existsSync(running.pidFile)) pidFileMs = round(now() - t0);
      return topo.rtrView.mfcCount() >= want.length;
    },
    { intervalMs: p.pollMs, capMs: p.capMs, abort: daemonGone(running) },
  );
  const cpu = meter();
  const check = checkMfc(topo, want);
  return {
    running,
    result: {
      ok: out.ok && check.exact,
      ms: round(out.ms),
      pidFileMs,
      installed: check.rows.length,
      correct: check.correct,
      cpu,
      error: out.ok
        ? check.exact
          ? undefined
          : `MFC differs from config: ${check.correct}/${want.length} correct, ${check.rows.length} entries`
        : out.why,
    },
  };
}

/** One client run with stdout to /dev/null; with capture, also its output size. */
function runClient(client: DaemonKind, sock: string, capture: boolean): { ms: number; ok: boolean; out?: string; err: string } {
  const devnull = capture ? undefined : openSync('/dev/null', 'w');
  try {
    const t0 = now();
    const r = spawnSync(client.client[0]!, [...client.client.slice(1), '-u', sock, 'show'], {
      stdio: ['ignore', capture ? 'pipe' : devnull!, 'pipe'],
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    });
    const ms = now() - t0;
    return { ms, ok: r.status === 0, out: capture ? r.stdout : undefined, err: r.stderr ?? '' };
  } finally {
    if (devnull !== undefined) closeSync(devnull);
  }
}

/** The Unix socket is a path, not bound to a namespace, so clients run from here directly. */
function showWith(client: DaemonKind, d: Running, reps: number): { run: ClientRun; out?: string } {
  const sock = d.sock;
  const meter = cpuMeter(d.proc.pid);
  const first = runClient(client, sock, true);
  if (!first.ok) return { run: { client: client.id, ok: false, error: first.err.trim().slice(0, 500) } };
  const out = first.out ?? '';
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const r = runClient(client, sock, false);
    if (!r.ok) return { run: { client: client.id, ok: false, error: r.err.trim().slice(0, 500) } };
    times.push(r.ms);
  }
  const daemonCpuMsPerRun = round(meter().daemonCpuMs / (reps + 1));
  return {
    run: {
      client: client.id,
      ok: true,
      daemonCpuMsPerRun,
      ...spread(times),
      lines: out.split('\n').length - 1,
      bytes: Buffer.byteLength(out),
    },
    out,
  };
}

async function reload(
  lab: Lab,
  topo: Topo,
  d: Running,
  old: readonly Route[],
  p: RoutesParams,
): Promise<NonNullable<RoutesResult['reload']>> {
  const step = Math.max(1, Math.floor(old.length / p.change));
  const removed = new Set<number>();
  for (let i = 0; i < old.length && removed.size < p.change; i += step) removed.add(i);
  const kept = old.filter((_, i) => !removed.has(i));
  const added = Array.from({ length: removed.size }, (_, j) => route(old.length + j));
  const next = [...kept, ...added];

  // Every unchanged entry forwards one datagram, so a delete and re-add shows as a counter back at 0.
  const sent = await forge(
    lab,
    topo.snd,
    SND_IF,
    kept.map((r) => [r.source, r.group] as const),
  );
  if (sent.errors > 0) throw new Error(`probe sender: ${sent.errors} send errors`);
  await sleep(200);
  const before = new Map(
    topo.rtrView
      .mfc()
      .filter((r) => r.packets > 0)
      .map((r) => [r.key, r]),
  );
  const probed = kept.filter((r) => before.has(key(r.source, r.group)));

  writeFileSync(d.conf, confText(next));
  const meter = cpuMeter(d.proc.pid);
  const t0 = now();
  process.kill(d.proc.pid, 'SIGHUP');
  const out = await pollFrom(t0, () => topo.rtrView.mfcCount() === next.length && checkMfc(topo, next).exact, {
    intervalMs: p.pollMs,
    capMs: p.capMs,
    abort: daemonGone(d),
  });
  const cpu = meter();
  // Let a daemon that is still busy finish before judging what it did to the unchanged entries.
  await sleep(500);
  const after = new Map(topo.rtrView.mfc().map((r) => [r.key, r]));
  let disturbed = 0;
  for (const r of probed) {
    const a = after.get(key(r.source, r.group));
    const b = before.get(key(r.source, r.group))!;
    if (!a || a.packets < b.packets || a.iif !== b.iif || a.oifs.join() !== b.oifs.join()) disturbed++;
  }
  return {
    ok: out.ok,
    removed: removed.size,
    added: added.length,
    ms: round(out.ms),
    probed: probed.length,
    disturbed,
    cpu,
    error: out.ok ? undefined : out.why,
  };
}

/** Start-up, memory, show (own and the other daemon's client), then reload; each step only if the last worked. */
export async function runRoutes(kind: DaemonKind, other: DaemonKind, p: RoutesParams): Promise<RoutesResult> {
  const quiet = await waitQuiet();
  return withLab(async (lab) => {
    const topo = await buildTopo(lab);
    const routes = Array.from({ length: p.n }, (_, i) => route(i));
    const conf = lab.writeFile('bench.conf', confText(routes));
    const { running, result: startupResult } = await startup(topo, () => spawnDaemon(lab, topo, kind, conf), routes, p);
    const result: RoutesResult = { daemon: kind.id, n: p.n, quiet, startup: startupResult };
    if (!startupResult.ok) return result;
    // Measured once start-up work has settled, not in the middle of the last batch.
    await sleep(500);
    result.memory = (({ rss, hwm }) => ({ rssKiB: rss, hwmKiB: hwm }))(memoryKiB(running.proc.pid));
    await waitForSocket(running, p);
    const own = showWith(kind, running, p.showReps);
    const cross = showWith(other, running, p.showReps);
    if (own.out !== undefined && cross.out !== undefined) cross.run.sameOutputAsOwn = own.out === cross.out;
    result.show = { own: own.run, cross: cross.run };
    result.reload = await reload(lab, topo, running, routes, p);
    const t0 = now();
    const st = await running.proc.stop('SIGTERM', p.capMs);
    result.stop = { ok: st.signal !== 'SIGKILL', ms: round(now() - t0), exitCode: st.code };
    return result;
  });
}

async function waitForSocket(d: Running, p: RoutesParams): Promise<void> {
  const out = await pollFrom(now(), () => existsSync(d.sock), { intervalMs: p.pollMs, capMs: 10_000, abort: daemonGone(d) });
  if (!out.ok) throw new Error(`${d.kind.label}: no IPC socket ${d.sock}: ${out.why}`);
}
