// Runs every benchmark scenario for upstream's C smcrouted and ours in the same run, judges issue 8's
// targets on it, prints the tables and writes bench/results/{latest|quick|custom}.{json,md}.
// Usage: node dist/bench/run-all.js [options]      (npm run bench -- [options])
//   --quick           smoke test, a minute or two: N=1000, large N=5000, K=1000, one paced rate, fewer runs
//   --n=NUM           routes for start-up / reload / show / batch, both daemons (default 10000; env BENCH_N)
//   --n-big=NUM       the same for ours alone, judged against the kernel floor (default 50000; env BENCH_N_BIG)
//   --batch=NUM       runtime adds in one `smcroutectl -b` (default 1000; env BENCH_BATCH)
//   --k=A,B,...       back-to-back burst sizes (default 1000,5000,10000; env BENCH_K)
//   --rates=A,B,...   paced burst rates, datagrams/s (default 2000,5000,20000; env BENCH_RATES). Against our
//                     daemon the sender falls behind somewhere above 25,000/s on a 2-CPU host; see max lag.
//   --paced-k=NUM     paced burst size (default 10000; env BENCH_PACED_K)
//   --change=NUM      routes removed and added on each reload (default 100; env BENCH_CHANGE)
//   --reps=NUM        timed idle `show` runs per client (default 7; env BENCH_REPS)
//   --client-reps=NUM timed `-v` / `node -e 0` runs (default 15; env BENCH_CLIENT_REPS)
//   --floor-reps=NUM  kernel floor loops per N and language (default 5; env BENCH_FLOOR_REPS)
//   --startup-runs=NUM start-ups timed per daemon and N, median reported (default 5; env BENCH_STARTUP_RUNS)
//   --only=PART,...   only these parts: floor, client, idle, routes (N, both daemons), big (large N, ours), burst, paced
//                     (floor,big judges the large start-up against the kernel floor)
// Only a run with every default writes latest.*; --quick writes quick.*, any other override custom.*, so a
// smoke run never replaces the committed full results.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from '../test/lib/paths.js';
import { runBurst, type BurstParams } from './burst.js';
import { runClientStartup } from './client.js';
import { runFloor } from './floor.js';
import { runIdle } from './idle.js';
import { DAEMONS, kindById, missingPrerequisite, type DaemonKind } from './lib/daemons.js';
import { machineInfo } from './lib/machine.js';
import { renderMarkdown, renderTargetsText, type Results } from './lib/report.js';
import { judge } from './lib/targets.js';
import { runRoutes, type RoutesParams } from './routes.js';

const RESULTS_DIR = repoPath('bench', 'results');

const PARTS = ['floor', 'client', 'idle', 'routes', 'big', 'burst', 'paced'] as const;
type Part = (typeof PARTS)[number];

/**
 * Variables that slow every Node start-up without touching what is measured: NODE_EXTRA_CA_CERTS
 * makes Node parse a CA bundle before running anything. Removed from every child's environment, so
 * the daemons, both clients and the bare `node -e 0` start alike whatever the host sets.
 */
const SCRUB = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS'];

interface Config {
  n: number;
  nBig: number;
  batch: number;
  k: number[];
  pacedK: number;
  rates: number[];
  change: number;
  reps: number;
  clientReps: number;
  floorReps: number;
  startupRuns: number;
  only?: ReadonlySet<Part>;
  kind: Results['kind'];
}

function positiveInt(name: string, v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`${name}: want a positive integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): Config {
  const c: Config = {
    n: 10_000,
    nBig: 50_000,
    batch: 1000,
    k: [1000, 5000, 10_000],
    pacedK: 10_000,
    rates: [2000, 5000, 20_000],
    change: 100,
    reps: 7,
    clientReps: 15,
    floorReps: 5,
    startupRuns: 5,
    kind: 'full',
  };
  const int =
    (key: 'n' | 'nBig' | 'batch' | 'pacedK' | 'change' | 'reps' | 'clientReps' | 'floorReps' | 'startupRuns', name: string) =>
    (v: string) => {
      c[key] = positiveInt(name, v);
    };
  const list = (key: 'k' | 'rates', name: string) => (v: string) => {
    c[key] = v.split(',').map((x) => positiveInt(name, x));
  };
  const set: Record<string, (v: string) => void> = {
    n: int('n', 'n'),
    'n-big': int('nBig', 'n-big'),
    batch: int('batch', 'batch'),
    k: list('k', 'k'),
    rates: list('rates', 'rates'),
    'paced-k': int('pacedK', 'paced-k'),
    change: int('change', 'change'),
    reps: int('reps', 'reps'),
    'client-reps': int('clientReps', 'client-reps'),
    'floor-reps': int('floorReps', 'floor-reps'),
    'startup-runs': int('startupRuns', 'startup-runs'),
  };
  const custom = () => {
    if (c.kind === 'full') c.kind = 'custom';
  };
  if (argv.includes('--quick')) {
    Object.assign(c, {
      n: 1000,
      nBig: 5000,
      batch: 200,
      k: [1000],
      pacedK: 1000,
      rates: [5000],
      reps: 3,
      clientReps: 5,
      floorReps: 1,
      startupRuns: 1,
    });
    c.kind = 'quick';
  }
  for (const name of Object.keys(set)) {
    const v = env[`BENCH_${name.toUpperCase().replace('-', '_')}`];
    if (v !== undefined && v !== '') {
      set[name]?.(v);
      custom();
    }
  }
  for (const arg of argv) {
    if (arg === '--quick') continue;
    const m = /^--([a-z-]+)=(.*)$/.exec(arg);
    const name = m?.[1] ?? '';
    const value = m?.[2] ?? '';
    const parts = value.split(',');
    if (name === 'only' && parts.every((p) => (PARTS as readonly string[]).includes(p))) {
      c.only = new Set(parts as Part[]);
      custom();
    } else if (set[name]) {
      set[name](value);
      custom();
    } else {
      throw new Error(`unknown argument ${arg} (see the top of bench/run-all.ts)`);
    }
  }
  if (c.change * 2 > Math.min(c.n, c.nBig))
    throw new Error(`--change=${c.change} is too large for --n=${c.n} / --n-big=${c.nBig}`);
  return c;
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 2000);
}

async function main(): Promise<void> {
  const cfg = parseArgs(process.argv.slice(2), process.env);
  const missing = missingPrerequisite();
  if (missing) {
    process.stderr.write(`bench: ${missing}\n`);
    process.exitCode = 2;
    return;
  }
  const hostEnv = { ...process.env };
  const scrubbed = SCRUB.filter((v) => process.env[v] !== undefined);
  for (const v of SCRUB) delete process.env[v];

  const routesBase = {
    change: cfg.change,
    showReps: cfg.reps,
    capMs: 120_000,
    pollMs: 20,
    batch: cfg.batch,
    startupRuns: cfg.startupRuns,
  };
  const burstParams: Omit<BurstParams, 'k'> = { capMs: 120_000, quietMs: 3000, pollMs: 50 };
  const results: Results = {
    kind: cfg.kind,
    machine: machineInfo(),
    params: {
      routes: { ...routesBase, n: cfg.n, nBig: cfg.nBig },
      floorReps: cfg.floorReps,
      clientReps: cfg.clientReps,
      burst: { ...burstParams, k: cfg.k },
      paced: { k: cfg.pacedK, rates: cfg.rates },
    },
    scrubbed,
    floor: [],
    idle: [],
    routes: [],
    burst: [],
    targets: [],
  };
  const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
  const other = (d: DaemonKind) => kindById(d.id === 'ours' ? 'upstream' : 'ours');
  const runs = (part: Part) => cfg.only === undefined || cfg.only.has(part);
  const attempt = async <T, E>(what: string, f: () => Promise<T>, onError: (error: string) => E): Promise<T | E> => {
    log(what);
    let r: T | E;
    try {
      r = await f();
    } catch (e) {
      r = onError(errorText(e));
    }
    log(`  ${JSON.stringify(r)}`);
    return r;
  };
  const routes = async (d: DaemonKind, p: RoutesParams) => {
    const r = await attempt(
      `${d.label}: start-up, show, reloads and batch with N=${p.n}`,
      () => runRoutes(d, other(d), p),
      (error) => ({ daemon: d.id, n: p.n, error }),
    );
    results.routes.push(r);
  };
  const burst = async (d: DaemonKind, p: BurstParams) => {
    const what = p.rate === undefined ? 'back to back' : `paced at ${p.rate}/s`;
    const r = await attempt(
      `${d.label}: burst of K=${p.k} new sources, ${what}`,
      () => runBurst(d, p),
      (error) => ({ daemon: d.id, k: p.k, rate: p.rate, error }),
    );
    results.burst.push(r);
  };

  // Each floor is measured right before the start-ups it is the yardstick for, not minutes
  // earlier: this host's speed drifts over a run (a 50,000-route start-up took 327 ms in a run of
  // its own and 408 ms at the end of a full run, against the same 95 ms floor).
  const floor = async (n: number) => {
    if (!runs('floor')) return;
    results.floor.push(
      await attempt(
        `kernel floor: ${n} MRT_ADD_MFC calls`,
        () => runFloor(n, cfg.floorReps),
        (error) => ({ n, error }),
      ),
    );
  };
  if (runs('client')) {
    results.client = await attempt(
      'client start-up: node -e 0 and both clients -v',
      () => runClientStartup(cfg.clientReps, hostEnv, scrubbed),
      (error) => ({ error }),
    );
  }
  if (runs('idle')) {
    for (const d of DAEMONS) {
      results.idle.push(
        await attempt(
          `${d.label}: idle footprint`,
          () => runIdle(d),
          (error) => ({ daemon: d.id, error }),
        ),
      );
    }
  }
  await floor(cfg.n);
  if (runs('routes')) for (const d of DAEMONS) await routes(d, { ...routesBase, n: cfg.n, crossShow: true });
  if (cfg.nBig !== cfg.n) await floor(cfg.nBig);
  // Upstream is left out at the large size: no target needs it, and its reload alone would take many minutes.
  if (runs('big')) await routes(kindById('ours'), { ...routesBase, n: cfg.nBig, crossShow: false, batch: 0 });
  if (runs('burst')) for (const k of cfg.k) for (const d of DAEMONS) await burst(d, { ...burstParams, k });
  if (runs('paced'))
    for (const rate of cfg.rates) for (const d of DAEMONS) await burst(d, { ...burstParams, k: cfg.pacedK, rate });

  results.targets = judge({ ...results, n: cfg.n, nBig: cfg.nBig });
  const md = renderMarkdown(results);
  process.stdout.write(`${md}\n`);
  const base = { full: 'latest', quick: 'quick', custom: 'custom' }[cfg.kind];
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${base}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, `${base}.md`), md);
  log(`wrote bench/results/${base}.json and ${base}.md`);
  process.stderr.write(`\nIssue 8 targets (${cfg.kind} run):\n${renderTargetsText(results.targets)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
