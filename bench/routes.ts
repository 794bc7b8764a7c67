// Scenarios 1-3 for one daemon in one fresh lab: start-up with N (S,G) routes, memory, `show` (idle and
// right after a reload), a SIGHUP reload that swaps some routes, and a batch of runtime adds through the
// daemon's own client. Measures through the kernel's own MFC view, never the daemon's.
import { existsSync, writeFileSync } from 'node:fs';
import { withLab, type Lab } from '../test/lib/netns.js';
import { ipcRequest } from '../test/lib/impls.js';
import {
  buildTopo,
  IIF,
  OIF,
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
import { batchAdds, confText, route, type Route } from './lib/plan.js';
import { startReplier } from './lib/replier.js';
import { bareNodeClient, NODE0, runCmd } from './lib/run.js';
import { watchMfc, type WatchResult } from './lib/mfc-watch.js';
import { epochToNow, now, pollFrom, round, sleep, spread, type PollOutcome, type Spread } from './lib/timing.js';

export interface RoutesParams {
  n: number;
  /** Routes removed and as many added on each reload. */
  change: number;
  showReps: number;
  capMs: number;
  pollMs: number;
  /** Also time the other daemon's client against this daemon (the idle show). */
  crossShow: boolean;
  /** Routes added at run time in one `smcroutectl -b`; 0 skips the step. */
  batch: number;
  /** Start-ups timed (each a fresh daemon on the same lab); `ms` is their median, the last one runs on. */
  startupRuns: number;
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
    /** Spawn until all N entries are in the MFC: the median of the runs. */
    ms: number;
    /** Each run's `ms`, in order; the other fields are the last run's. */
    runsMs?: number[];
    /** How `ms` was found: the PID file, with the MFC complete right after it; or polling the MFC. */
    timedBy?: 'pidfile' | 'mfc';
    /** Spawn until the PID file (written once the config is applied) exists. */
    pidFileMs?: number;
    /** Spawn until the read of the MFC that found it complete ended (timed by the PID file only). */
    verifiedMs?: number;
    installed: number;
    /** Entries matching the config exactly (resolved, iif IIF, oifs [OIF]). */
    correct?: number;
    cpu?: CpuReading;
    error?: string;
  };
  memory?: { rssKiB: number; hwmKiB: number };
  /**
   * Idle daemon. `node0` is a bare `node -e 0`, timed in turn with the clients so all share the
   * conditions. `alone`: the same clients against a stand-in that answers at once with this
   * daemon's reply (bench/lib/replier.ts), which is each client's own cost; `bare` there is the
   * least any Node client does (bareNodeClient), the floor under ours.
   */
  show?: {
    own: ClientRun;
    cross?: ClientRun;
    node0: ClientRun;
    alone?: { own: ClientRun; cross?: ClientRun; bare?: ClientRun };
  };
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
    /** SIGHUP until the daemon answered a request again: it may go on working after the MFC is right. */
    busyMs?: number;
    cpu?: CpuReading;
    error?: string;
  };
  /** A second small reload, with the daemon's own client's `show` started right after the SIGHUP. */
  showAfterReload?: {
    ok: boolean;
    /** SIGHUP until the client exited. */
    ms: number;
    /** Whether the table it printed was the new configuration's (else the daemon answered before reloading). */
    fresh: boolean;
    /** SIGHUP until the MFC equals the new config. */
    reloadMs?: number;
    /** SIGHUP until the daemon answered a request again. */
    busyMs?: number;
    error?: string;
  };
  /** `smcroutectl -b` with that many `add` lines, through the daemon's own client. */
  batch?: {
    ok: boolean;
    adds: number;
    /** Client start until it exited, every add answered. */
    ms: number;
    /** Of the added routes, how many were in the MFC (right iif and oif) once the client was done. */
    installed: number;
    cpu?: CpuReading;
    error?: string;
  };
  /** SIGTERM until the process is gone (it removes its routes on the way out); killed after the cap. */
  stop?: { ok: boolean; ms: number; exitCode: number | null };
}

const key = mfcKey;

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

/**
 * Waits until the daemon is back in its main loop, by one untimed `show` through its own client: a
 * daemon that is still finishing a reload answers only afterwards. Upstream's C daemon goes on working
 * seconds after its MFC is right, and drops a SIGHUP that arrives meanwhile (it clears its reload flag
 * once the reload in progress ends), so every step that signals or times it waits for this first.
 */
function waitIdle(d: Running, p: RoutesParams): { ok: true } | { ok: false; why: string } {
  const r = runCmd(showArgv(d.kind, d.sock), { capMs: p.capMs });
  return r.ok ? { ok: true } : { ok: false, why: `daemon did not answer: ${r.err.trim().slice(0, 500)}` };
}

const daemonGone = (d: Running) => (): string | undefined =>
  d.proc.running ? undefined : `daemon exited (${JSON.stringify(d.proc.exitStatus)})\n${d.proc.stderr.slice(-2000)}`;

/**
 * Spawn until all N routes are in the kernel. Reading the whole MFC costs the kernel a walk of the
 * table (about 25 ms at 10,000 entries, 130 ms at 50,000), too slow and too heavy to poll. Both
 * daemons write their PID file once the configuration is applied, so: the PID file is polled every
 * 2 ms, and one read of the MFC started right after it must find every route; then the install time
 * is the PID file's. A daemon whose MFC is not complete by then is timed by polling the MFC instead.
 */
async function startup(
  topo: Topo,
  d: () => Running,
  want: readonly Route[],
  p: RoutesParams,
): Promise<{ running: Running; result: RoutesResult['startup'] }> {
  const t0 = now();
  const running = d();
  const meter = cpuMeter(running.proc.pid, 0);
  const pid = await pollFrom(t0, () => existsSync(running.pidFile), {
    intervalMs: 2,
    capMs: p.capMs,
    abort: daemonGone(running),
  });
  const pidFileMs = pid.ok ? round(pid.ms) : undefined;
  let check = checkMfc(topo, want);
  const verifiedMs = round(now() - t0);
  let out: PollOutcome = pid.ok && check.exact ? { ok: true, ms: pid.ms } : pid;
  let timedBy: 'pidfile' | 'mfc' = 'pidfile';
  if (!check.exact && pid.ok) {
    timedBy = 'mfc';
    out = await pollFrom(t0, () => topo.rtrView.mfcCount() >= want.length, {
      intervalMs: p.pollMs,
      capMs: p.capMs,
      abort: daemonGone(running),
    });
    check = checkMfc(topo, want);
  }
  const cpu = meter();
  return {
    running,
    result: {
      ok: out.ok && check.exact,
      ms: round(out.ms),
      timedBy,
      pidFileMs,
      verifiedMs: timedBy === 'pidfile' ? verifiedMs : undefined,
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

const showArgv = (client: DaemonKind, sock: string): string[] => [...client.client, '-u', sock, 'show'];

/**
 * Idle `show` by this daemon's client and (optionally) the other's, and a bare `node -e 0`, in turn,
 * reps times each; stdout to /dev/null. The first run of each client (untimed) records its output.
 * The Unix socket is a path, not bound to a namespace, so clients run from here directly. Each client
 * is also timed against a stand-in that answers at once with the daemon's own reply, and so is a
 * bare Node client in the same turns.
 */
async function idleShows(
  d: Running,
  own: DaemonKind,
  other: DaemonKind | undefined,
  reps: number,
): Promise<NonNullable<RoutesResult['show']>> {
  const clients = other ? [own, other] : [own];
  const outs = clients.map((c) => runCmd(showArgv(c, d.sock), { capture: true }));
  const replier = await startReplier(`${d.sock}.stand-in`, await ipcRequest(d.sock, 's', [], 30_000));
  const meter = cpuMeter(d.proc.pid);
  const times: number[][] = [[], ...clients.map(() => [])];
  const alone: number[][] = clients.map(() => []);
  const bare: number[] = [];
  const errors: (string | undefined)[] = outs.map((o) => (o.ok ? undefined : o.err.trim().slice(0, 500)));
  try {
    for (let i = 0; i < reps; i++) {
      times[0]!.push(runCmd(NODE0).ms);
      clients.forEach((c, j) => {
        if (errors[j] !== undefined) return;
        const r = runCmd(showArgv(c, d.sock));
        if (r.ok) times[j + 1]!.push(r.ms);
        else errors[j] = r.err.trim().slice(0, 500);
        const a = runCmd(showArgv(c, replier.sock));
        if (a.ok) alone[j]!.push(a.ms);
      });
      const b = runCmd(bareNodeClient(replier.sock));
      if (b.ok) bare.push(b.ms);
    }
  } finally {
    replier.stop();
  }
  const daemonCpuMsPerRun = round(meter().daemonCpuMs / (reps * clients.length));
  const run = (j: number): ClientRun => {
    const c = clients[j]!;
    const err = errors[j];
    if (err !== undefined) return { client: c.id, ok: false, error: err };
    const out = outs[j]!.out ?? '';
    return {
      client: c.id,
      ok: true,
      daemonCpuMsPerRun,
      ...spread(times[j + 1]!),
      lines: out.split('\n').length - 1,
      bytes: Buffer.byteLength(out),
    };
  };
  const standIn = (j: number): ClientRun => {
    const t = alone[j]!;
    return t.length === reps
      ? { client: clients[j]!.id, ok: true, ...spread(t) }
      : { client: clients[j]!.id, ok: false, error: 'failed against the stand-in' };
  };
  const result: NonNullable<RoutesResult['show']> = {
    own: run(0),
    node0: { client: 'ours', ok: true, ...spread(times[0]!) },
    alone: {
      own: standIn(0),
      ...(other && { cross: standIn(1) }),
      ...(bare.length === reps && { bare: { client: 'ours', ok: true, ...spread(bare) } }),
    },
  };
  if (other)
    result.cross = { ...run(1), sameOutputAsOwn: outs[0]!.ok && outs[1]!.ok ? outs[0]!.out === outs[1]!.out : undefined };
  return result;
}

interface Change {
  next: Route[];
  removed: Route[];
  added: Route[];
}

/** The routes after a small change: `change` routes removed (spread over the table), as many new ones from index `fresh` on. */
function smallChange(old: readonly Route[], change: number, fresh: number): Change {
  const step = Math.max(1, Math.floor(old.length / change));
  const gone = new Set<number>();
  for (let i = 0; i < old.length && gone.size < change; i += step) gone.add(i);
  const added = Array.from({ length: gone.size }, (_, j) => route(fresh + j));
  return {
    next: [...old.filter((_, i) => !gone.has(i)), ...added],
    removed: old.filter((_, i) => gone.has(i)),
    added,
  };
}

async function reload(
  lab: Lab,
  topo: Topo,
  d: Running,
  old: readonly Route[],
  change: Change,
  p: RoutesParams,
): Promise<NonNullable<RoutesResult['reload']>> {
  const nextKeys = new Set(change.next.map((r) => key(r.source, r.group)));
  const kept = old.filter((r) => nextKeys.has(key(r.source, r.group)));

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

  writeFileSync(d.conf, confText(change.next));
  const done = await watchMfc(lab, topo.rtr, { present: change.added, absent: change.removed, capMs: p.capMs });
  const meter = cpuMeter(d.proc.pid);
  const t0 = now();
  process.kill(d.proc.pid, 'SIGHUP');
  const out = await reloadDone(topo, d, change.next, t0, done, p);
  const cpu = meter();
  // Let a daemon that is still busy finish before judging what it did to the unchanged entries.
  const idle = waitIdle(d, p);
  const busyMs = round(now() - t0);
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
    removed: change.removed.length,
    added: change.added.length,
    ms: round(out.ms),
    probed: probed.length,
    disturbed,
    busyMs: idle.ok ? busyMs : undefined,
    cpu,
    error: out.ok ? (idle.ok ? undefined : idle.why) : out.why,
  };
}

/**
 * SIGHUP (at t0) until the changed entries were as wanted, by the watcher's clock; then the whole
 * MFC must equal the new config (polled, in case the watcher's entries were not the last to change).
 */
async function reloadDone(
  topo: Topo,
  d: Running,
  want: readonly Route[],
  t0: number,
  done: () => Promise<WatchResult>,
  p: RoutesParams,
): Promise<PollOutcome> {
  const w = await done();
  if (!w.ok) return { ok: false, ms: now() - t0, why: w.why };
  const changed = epochToNow(w.doneEpochMs) - t0;
  const whole = await pollFrom(t0, () => checkMfc(topo, want).exact, {
    intervalMs: p.pollMs,
    capMs: p.capMs,
    abort: daemonGone(d),
  });
  if (!whole.ok) return whole;
  return { ok: true, ms: changed };
}

/** SIGHUP with a small change, and the daemon's own client's `show` started at once. */
async function showAfterReload(
  lab: Lab,
  topo: Topo,
  d: Running,
  change: Change,
  p: RoutesParams,
): Promise<NonNullable<RoutesResult['showAfterReload']>> {
  writeFileSync(d.conf, confText(change.next));
  const done = await watchMfc(lab, topo.rtr, { present: change.added, absent: change.removed, capMs: p.capMs });
  const t0 = now();
  process.kill(d.proc.pid, 'SIGHUP');
  const r = runCmd(showArgv(d.kind, d.sock), { capture: true, capMs: p.capMs });
  const ms = round(now() - t0);
  const probe = change.added[0];
  const fresh = probe !== undefined && (r.out ?? '').includes(`(${probe.source}, ${probe.group})`);
  const settled = await reloadDone(topo, d, change.next, t0, done, p);
  const idle = waitIdle(d, p);
  const busyMs = round(now() - t0);
  const error = !r.ok
    ? `client: ${r.err.trim().slice(0, 500)}`
    : !settled.ok
      ? `reload: ${settled.why}`
      : !fresh
        ? 'the client printed the table from before the reload'
        : idle.ok
          ? undefined
          : idle.why;
  return {
    ok: error === undefined,
    ms,
    fresh,
    reloadMs: settled.ok ? round(settled.ms) : undefined,
    busyMs: idle.ok ? busyMs : undefined,
    error,
  };
}

/** `smcroutectl -b` adding `routes` through the daemon's own client; then counts them in the MFC. */
async function batchAdd(
  topo: Topo,
  d: Running,
  routes: readonly Route[],
  p: RoutesParams,
): Promise<NonNullable<RoutesResult['batch']>> {
  const meter = cpuMeter(d.proc.pid);
  const r = runCmd([...d.kind.client, '-u', d.sock, '-b'], { input: batchAdds(routes), capMs: p.capMs });
  const cpu = meter();
  // Each add is answered once it is in the kernel; allow a moment for a daemon that installs later.
  const want = new Set(routes.map((x) => key(x.source, x.group)));
  const count = () => {
    const iif = topo.rtrView.vifOf(IIF);
    const oif = topo.rtrView.vifOf(OIF);
    return topo.rtrView.mfc().filter((x) => want.has(x.key) && x.iif === iif && x.oifs.length === 1 && x.oifs[0] === oif).length;
  };
  await pollFrom(now(), () => count() === routes.length, { intervalMs: p.pollMs, capMs: 2000, abort: daemonGone(d) });
  const installed = count();
  const error = !r.ok
    ? `client: ${r.err.trim().slice(0, 500)}`
    : installed === routes.length
      ? undefined
      : `${installed} of ${routes.length} in the MFC`;
  return { ok: error === undefined, adds: routes.length, ms: round(r.ms), installed, cpu, error };
}

/**
 * Start-up, memory, idle show, reload, show right after a second reload, then the batch of adds. The
 * second reload's change is computed from the first's result, so it needs the first to have worked; the
 * batch adds routes of its own and runs whatever the second reload did, once the daemon answers again.
 * New routes never reuse an index, so each change is real.
 */
export async function runRoutes(kind: DaemonKind, other: DaemonKind, p: RoutesParams): Promise<RoutesResult> {
  const quiet = await waitQuiet();
  return withLab(async (lab) => {
    const topo = await buildTopo(lab);
    const routes = Array.from({ length: p.n }, (_, i) => route(i));
    const conf = lab.writeFile('bench.conf', confText(routes));
    // One start-up is one sample of a few hundred milliseconds: the median of several, each a fresh
    // daemon on the same interfaces (the kernel flushes the table when a daemon closes its socket).
    const runsMs: number[] = [];
    let started: Awaited<ReturnType<typeof startup>> | undefined;
    for (let run = 0; run < Math.max(1, p.startupRuns); run++) {
      if (started) {
        await started.running.proc.stop('SIGTERM', p.capMs);
        await sleep(500);
      }
      started = await startup(topo, () => spawnDaemon(lab, topo, kind, conf), routes, p);
      runsMs.push(started.result.ms);
      if (!started.result.ok) break;
    }
    if (!started) throw new Error('no start-up run');
    const { running } = started;
    const startupResult = { ...started.result, ms: started.result.ok ? spread(runsMs).medianMs : started.result.ms, runsMs };
    const result: RoutesResult = { daemon: kind.id, n: p.n, quiet, startup: startupResult };
    if (!startupResult.ok) return result;
    // Measured once start-up work has settled, not in the middle of the last batch.
    await sleep(500);
    result.memory = (({ rss, hwm }) => ({ rssKiB: rss, hwmKiB: hwm }))(memoryKiB(running.proc.pid));
    await waitForSocket(running, p);
    result.show = await idleShows(running, kind, p.crossShow ? other : undefined, p.showReps);

    let fresh = p.n;
    const first = smallChange(routes, p.change, fresh);
    fresh += first.added.length;
    result.reload = await reload(lab, topo, running, routes, first, p);
    if (!result.reload.ok) return result;

    const second = smallChange(first.next, p.change, fresh);
    fresh += second.added.length;
    result.showAfterReload = await showAfterReload(lab, topo, running, second, p);

    if (p.batch > 0 && running.proc.running) {
      const idle = waitIdle(running, p);
      if (!idle.ok) return result;
      result.batch = await batchAdd(
        topo,
        running,
        Array.from({ length: p.batch }, (_, j) => route(fresh + j)),
        p,
      );
    }
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
