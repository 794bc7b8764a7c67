// The long config fuzz run: a million lines, split over 100 included files, through the loader
// (in a process of its own) and through `bin/smcrouted -F`: lines/s, memory, what was reported, and that
// nothing crashed. Two sets: every line valid, and a mix with broken lines, binary bytes, long
// lines and files that all include each other. No root needed.
// Usage (after npm run build): node dist/bench/fuzz-conf.js [--lines=N] [--seed=N]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeConfFs } from '../src/conf/fs.js';
import { loadConfig } from '../src/conf/load.js';
import { PROGRAMS } from '../test/lib/impls.js';
import { repoPath } from '../test/lib/paths.js';
import { rng, type Rng } from './lib/rng.js';
import { now, round } from './lib/timing.js';

const PARTS = 100;

interface Params {
  lines: number;
  seed: number;
}

function parseArgs(argv: readonly string[]): Params {
  const p: Params = { lines: 1_000_000, seed: 20240902 };
  for (const arg of argv) {
    const m = /^--(lines|seed)=(\d+)$/.exec(arg);
    if (!m?.[1] || m[2] === undefined) throw new Error(`unknown argument ${arg}; see the header of bench/fuzz-conf.ts`);
    p[m[1] as keyof Params] = Number(m[2]);
  }
  return p;
}

/** The i-th (S,G) route: every one distinct, so the loader keeps a million real directives. */
function route(i: number): string {
  return `mroute from eth${i % 4} source 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} group 225.1.${(i >> 8) & 255}.${i & 255} to eth${(i + 1) % 4} eth${(i + 2) % 4}`;
}

function validLine(r: Rng, i: number): string {
  const x = r.next();
  if (x < 0.7) return route(i);
  if (x < 0.8) return `mroute from eth${r.int(4)} group 225.${r.int(256)}.0.0/16 to eth${r.int(4)}`;
  if (x < 0.9)
    return `mgroup from eth${r.int(4)}${r.chance(0.3) ? ` source 10.0.${r.int(256)}.1` : ''} group 232.${r.int(256)}.${r.int(256)}.1`;
  return `phyint eth${r.int(4)} enable ttl-threshold ${1 + r.int(255)}${r.chance(0.2) ? ' mrdisc' : ''}`;
}

/** A line with something wrong, or nothing at all: what an editor, a script or a stray file leave. */
function brokenLine(r: Rng, i: number): string {
  const good = route(i);
  switch (r.int(10)) {
    case 0:
      return good.replace('group', 'grup');
    case 1:
      return good.replace('225.1.', '300.1.');
    case 2:
      return `frobnicate ${good}`;
    case 3:
      return `${good} ${'eth9 '.repeat(120)}`; // past the 512-byte line buffer
    case 4:
      return Buffer.from(Array.from({ length: 1 + r.int(80) }, () => r.int(256))).toString('latin1'); // binary, NUL too
    case 5:
      return `phyint eth0 ttl-threshold ${r.pick(['0', '256', 'x', '-1'])}`;
    case 6:
      return `mgroup from eth0 group 225.0.0.0/${r.pick(['8', '16', '40'])}`;
    case 7:
      return `# ${good}`;
    case 8:
      return '';
    default:
      return good.slice(0, r.int(good.length));
  }
}

interface ConfSet {
  name: string;
  main: string;
  lines: number;
}

/** Writes main.conf (include parts/*.conf) and the parts; in the mixed set some parts include all the others. */
function writeSet(dir: string, name: string, lines: number, r: Rng, mixed: boolean): ConfSet {
  const root = join(dir, name);
  mkdirSync(join(root, 'parts'), { recursive: true });
  const per = Math.ceil(lines / PARTS);
  let written = 1;
  for (let p = 0; p < PARTS; p++) {
    const out: string[] = [];
    for (let k = 0; k < per && written < lines; k++, written++) {
      const i = p * per + k;
      if (!mixed) out.push(route(i));
      else if (k === 0 && p % 10 === 0)
        out.push('include *.conf'); // every part again: read once, the rest is cycles
      else out.push(r.chance(0.75) ? validLine(r, i) : brokenLine(r, i));
    }
    writeFileSync(join(root, 'parts', `${String(p).padStart(3, '0')}.conf`), `${out.join('\n')}\n`);
  }
  writeFileSync(join(root, 'main.conf'), 'include parts/*.conf\n');
  return { name, main: join(root, 'main.conf'), lines };
}

/** The loader on its own, in a fresh process so each set's memory is its own: time, output, peak RSS. */
function loaderRun(main: string, lines: number) {
  const t0 = now();
  const r = loadConfig(main, nodeConfFs);
  const ms = now() - t0;
  return {
    ms: round(ms),
    linesPerSecond: Math.round(lines / (ms / 1000)),
    files: r.files.length,
    directives: r.directives.length,
    diagnosticsListed: r.diagnostics.length,
    lastDiagnostic: r.diagnostics.at(-1)?.message,
    maxRssMiB: round(process.resourceUsage().maxRSS / 1024),
  };
}

function inChild(set: ConfSet): ReturnType<typeof loaderRun> {
  const r = spawnSync(process.execPath, [process.argv[1] ?? '', `--load=${set.main}`, `--lines=${set.lines}`], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`loader run failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ReturnType<typeof loaderRun>;
}

/** `smcrouted -F` as an operator runs it, its peak memory measured by a python3 parent (getrusage). */
function checkMode(set: ConfSet) {
  const measure = [
    'import resource, subprocess, sys, time',
    't = time.monotonic()',
    'p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)',
    'ms = (time.monotonic() - t) * 1000',
    'err = p.stderr.decode("utf-8", "replace")',
    'crash = ("RangeError" in err) or ("\\n    at " in err)',
    'print(p.returncode, round(ms), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, err.count("\\n"), int(crash))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', measure, PROGRAMS.ours.daemon, '-F', set.main], { encoding: 'utf8' });
  const [code, ms, maxRssKiB, stderrLines, crash] = r.stdout.trim().split(' ').map(Number);
  return {
    exitCode: code,
    ms,
    linesPerSecond: ms ? Math.round(set.lines / (ms / 1000)) : undefined,
    maxRssMiB: maxRssKiB === undefined ? undefined : round(maxRssKiB / 1024),
    stderrLines,
    crashed: crash === 1,
  };
}

function main(): void {
  const load = process.argv.find((a) => a.startsWith('--load='));
  if (load !== undefined) {
    const lines = Number(process.argv.find((a) => a.startsWith('--lines='))?.slice(8));
    console.log(JSON.stringify(loaderRun(load.slice(7), lines)));
    return;
  }
  const p = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'smct-fuzzconf-'));
  try {
    const r = rng(p.seed);
    const results = [writeSet(dir, 'valid', p.lines, r, false), writeSet(dir, 'mixed', p.lines, r, true)].map((set) => {
      console.log(`${set.name}: ${set.lines} lines in ${PARTS} included files`);
      const loader = inChild(set);
      console.log('  loader', loader);
      const check = checkMode(set);
      console.log('  smcrouted -F', check);
      return { set: set.name, lines: set.lines, loader, check };
    });
    const out = { date: new Date().toISOString(), params: p, node: process.version, results };
    const file = repoPath('bench', 'results', process.argv.length > 2 ? 'fuzz-conf-custom.json' : 'fuzz-conf.json');
    writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`written to ${file}`);
    if (results.some((x) => x.check.crashed || x.check.exitCode === undefined || x.check.exitCode > 78)) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
