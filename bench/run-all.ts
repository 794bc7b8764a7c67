// Runs every benchmark scenario for upstream's C smcrouted and ours in the same run, prints the tables,
// and writes bench/results/{latest|custom}.{json,md}. Usage: node dist/bench/run-all.js [options]
//   --quick           N=1000, K=1000, paced K=1000 (a minute or two)
//   --n=NUM           routes for start-up / reload / show (default 10000; env BENCH_N)
//   --k=A,B,...       back-to-back burst sizes (default 1000,5000,10000; env BENCH_K)
//   --rates=A,B,...   paced burst rates, datagrams/s (default 2000,5000,20000; env BENCH_RATES). Against our
//                     daemon the sender falls behind somewhere above 25,000/s on a 2-CPU host; see max lag.
//   --paced-k=NUM     paced burst size (default 10000; env BENCH_PACED_K)
//   --change=NUM      routes removed and added on reload (default 100; env BENCH_CHANGE)
//   --reps=NUM        timed `show` runs per client (default 5; env BENCH_REPS)
//   --only=routes|burst|paced   one part: scenarios 1-3, the back-to-back burst (4) or the paced one (5)
// Only a run with every default writes latest.*; any override writes custom.* so a quick run never
// replaces the committed full results.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from '../test/lib/paths.js';
import { runBurst, type BurstParams } from './burst.js';
import { DAEMONS, kindById, missingPrerequisite, type DaemonKind } from './lib/daemons.js';
import { machineInfo } from './lib/machine.js';
import { renderMarkdown, type Results } from './lib/report.js';
import { runRoutes, type RoutesParams } from './routes.js';

const RESULTS_DIR = repoPath('bench', 'results');

type Part = 'routes' | 'burst' | 'paced';

interface Config {
  n: number;
  k: number[];
  pacedK: number;
  rates: number[];
  change: number;
  reps: number;
  only?: Part;
  custom: boolean;
}

function positiveInt(name: string, v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`${name}: want a positive integer, got ${JSON.stringify(v)}`);
  return Number(v);
}

function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv): Config {
  const c: Config = {
    n: 10_000,
    k: [1000, 5000, 10_000],
    pacedK: 10_000,
    rates: [2000, 5000, 20_000],
    change: 100,
    reps: 5,
    custom: false,
  };
  const set: Record<string, (v: string) => void> = {
    n: (v) => {
      c.n = positiveInt('n', v);
    },
    k: (v) => {
      c.k = v.split(',').map((x) => positiveInt('k', x));
    },
    rates: (v) => {
      c.rates = v.split(',').map((x) => positiveInt('rates', x));
    },
    'paced-k': (v) => {
      c.pacedK = positiveInt('paced-k', v);
    },
    change: (v) => {
      c.change = positiveInt('change', v);
    },
    reps: (v) => {
      c.reps = positiveInt('reps', v);
    },
  };
  for (const name of Object.keys(set)) {
    const v = env[`BENCH_${name.toUpperCase().replace('-', '_')}`];
    if (v !== undefined && v !== '') {
      set[name]!(v);
      c.custom = true;
    }
  }
  for (const arg of argv) {
    if (arg === '--quick') {
      Object.assign(c, { n: 1000, k: [1000], pacedK: 1000, custom: true });
      continue;
    }
    const m = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (m && m[1] === 'only' && (m[2] === 'routes' || m[2] === 'burst' || m[2] === 'paced')) {
      c.only = m[2];
      c.custom = true;
    } else if (m && set[m[1]!]) {
      set[m[1]!]!(m[2]!);
      c.custom = true;
    } else {
      throw new Error(`unknown argument ${arg} (see the top of bench/run-all.ts)`);
    }
  }
  if (c.change * 2 > c.n) throw new Error(`--change=${c.change} is too large for --n=${c.n}`);
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
  const routesParams: RoutesParams = { n: cfg.n, change: cfg.change, showReps: cfg.reps, capMs: 120_000, pollMs: 20 };
  const burstParams: Omit<BurstParams, 'k'> = { capMs: 120_000, quietMs: 3000, pollMs: 50 };
  const results: Results = {
    kind: cfg.custom ? 'custom' : 'full',
    machine: machineInfo(),
    params: { routes: routesParams, burst: { ...burstParams, k: cfg.k }, paced: { k: cfg.pacedK, rates: cfg.rates } },
    routes: [],
    burst: [],
  };
  const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);
  const other = (d: DaemonKind) => kindById(d.id === 'ours' ? 'upstream' : 'ours');

  const runs = (part: Part) => cfg.only === undefined || cfg.only === part;
  const burst = async (d: DaemonKind, p: BurstParams) => {
    try {
      results.burst.push(await runBurst(d, p));
    } catch (e) {
      results.burst.push({ daemon: d.id, k: p.k, rate: p.rate, error: errorText(e) });
    }
    log(`  ${JSON.stringify(results.burst.at(-1))}`);
  };

  if (runs('routes')) {
    for (const d of DAEMONS) {
      log(`${d.label}: start-up, show and reload with N=${cfg.n}`);
      try {
        results.routes.push(await runRoutes(d, other(d), routesParams));
      } catch (e) {
        results.routes.push({ daemon: d.id, error: errorText(e) });
      }
      log(`  ${JSON.stringify(results.routes.at(-1))}`);
    }
  }
  if (runs('burst')) {
    for (const k of cfg.k) {
      for (const d of DAEMONS) {
        log(`${d.label}: burst of K=${k} new sources, back to back`);
        await burst(d, { ...burstParams, k });
      }
    }
  }
  if (runs('paced')) {
    for (const rate of cfg.rates) {
      for (const d of DAEMONS) {
        log(`${d.label}: burst of K=${cfg.pacedK} new sources, paced at ${rate}/s`);
        await burst(d, { ...burstParams, k: cfg.pacedK, rate });
      }
    }
  }

  const md = renderMarkdown(results);
  process.stdout.write(`${md}\n`);
  const base = cfg.custom ? 'custom' : 'latest';
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${base}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, `${base}.md`), md);
  log(`wrote bench/results/${base}.json and ${base}.md`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
