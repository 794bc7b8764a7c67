// Issue 8's targets, judged on one result set: each as the ratio the issue states, with PASS or FAIL.
// Reads results only; a figure this run did not measure is "not measured", never a pass.
import type { BurstResult } from '../burst.js';
import type { FloorResult } from '../floor.js';
import type { IdleResult } from '../idle.js';
import type { RoutesResult } from '../routes.js';
import type { ClientStartup } from '../client.js';
import type { DaemonId } from './daemons.js';
import { round } from './timing.js';

/** What targets are judged on: the parts of a result set they read. */
export interface TargetInput {
  n: number;
  nBig: number;
  floor: readonly (FloorResult | { n: number; error: string })[];
  client?: ClientStartup | { error: string };
  idle: readonly (IdleResult | { daemon: DaemonId; error: string })[];
  routes: readonly (RoutesResult | { daemon: DaemonId; n: number; error: string })[];
  burst: readonly (BurstResult | { daemon: DaemonId; k: number; rate?: number; error: string })[];
}

export interface Target {
  /** What the issue asks, in words. */
  goal: string;
  /** The figures that went into the ratio. */
  measured: string;
  /** The ratio in the goal's own terms ("12.3×", "0.21"), or '–'. */
  ratio: string;
  /** Undefined when the run did not measure it. */
  pass?: boolean;
}

const MB = 1_000_000;
const KB = 1000;

const ms = (x: number): string => `${x} ms`;
const times = (x: number): string => `${x >= 100 ? x.toFixed(0) : x.toFixed(1)}×`;

function routesOf(inp: TargetInput, daemon: DaemonId, n: number): RoutesResult | undefined {
  const r = inp.routes.find((x) => x.daemon === daemon && x.n === n);
  return r && 'startup' in r ? r : undefined;
}

/** "C / ours ≥ want": how many times faster ours is. */
function faster(goal: string, c: number | undefined, ours: number | undefined, want: number): Target {
  if (c === undefined || ours === undefined || ours <= 0) return { goal, measured: 'not measured', ratio: '–' };
  const ratio = c / ours;
  return { goal, measured: `C ${ms(c)}, ours ${ms(ours)}`, ratio: times(ratio), pass: ratio >= want };
}

function noLoss(k: number, b: TargetInput['burst']): Target {
  const goal = `burst of ${k.toLocaleString('en-US')} new flows back to back: none lost`;
  const x = b.find((r) => r.daemon === 'ours' && r.k === k && r.rate === undefined);
  if (!x) return { goal, measured: 'not measured', ratio: '–' };
  if (!('lost' in x)) return { goal, measured: `error: ${x.error}`, ratio: '–', pass: false };
  return { goal, measured: `${x.installed} of ${k} installed, ${x.lost} lost`, ratio: '–', pass: x.ok && x.lost === 0 };
}

export function judge(inp: TargetInput): Target[] {
  const { n, nBig } = inp;
  const c = routesOf(inp, 'upstream', n);
  const o = routesOf(inp, 'ours', n);
  const big = routesOf(inp, 'ours', nBig);
  const floor = inp.floor.find((f): f is FloorResult => f.n === nBig && 'floorMs' in f);
  const idle = inp.idle.find((x): x is IdleResult => x.daemon === 'ours' && 'rssKiB' in x);
  const client = inp.client && 'node0' in inp.client ? inp.client : undefined;
  const N = n.toLocaleString('en-US');
  const NB = nBig.toLocaleString('en-US');
  const out: Target[] = [];

  const ok = <T extends { ok: boolean }>(x: T | undefined): T | undefined => (x?.ok ? x : undefined);
  out.push(faster(`${N} routes: install ≥ 10× faster than C`, ok(c?.startup)?.ms, ok(o?.startup)?.ms, 10));
  out.push(faster(`${N} routes: small reload ≥ 20× faster than C`, ok(c?.reload)?.ms, ok(o?.reload)?.ms, 20));
  out.push(
    faster(
      `${N} routes: \`show\` right after a reload ≥ 20× faster than C`,
      ok(c?.showAfterReload)?.ms,
      ok(o?.showAfterReload)?.ms,
      20,
    ),
  );
  const batchGoal = `${(o?.batch?.adds ?? c?.batch?.adds ?? 1000).toLocaleString('en-US')} \`add\`s in one \`smcroutectl -b\` ≥ 4× faster than C`;
  out.push(faster(batchGoal, ok(c?.batch)?.ms, ok(o?.batch)?.ms, 4));

  {
    const goal = `${NB} routes: install within 4× of the kernel floor`;
    const inst = ok(big?.startup)?.ms;
    if (inst === undefined || !floor) out.push({ goal, measured: 'not measured', ratio: '–' });
    else {
      const ratio = inst / floor.floorMs;
      out.push({
        goal,
        measured: `ours ${ms(inst)}, floor ${ms(floor.floorMs)} (${floor.floorBy} loop)`,
        ratio: times(ratio),
        pass: ratio <= 4,
      });
    }
  }
  {
    const goal = `${NB} routes: small reload within 1/4 of our own install`;
    const inst = ok(big?.startup)?.ms;
    const rel = ok(big?.reload)?.ms;
    if (inst === undefined || rel === undefined) out.push({ goal, measured: 'not measured', ratio: '–' });
    else {
      const ratio = rel / inst;
      out.push({ goal, measured: `reload ${ms(rel)}, install ${ms(inst)}`, ratio: ratio.toFixed(2), pass: ratio <= 0.25 });
    }
  }
  {
    const goal = `${N} routes: our \`show\` minus a bare \`node -e 0\` no slower than C's client's whole \`show\` (both against our daemon)`;
    const own = o?.show?.own;
    const cross = o?.show?.cross;
    const node0 = o?.show?.node0;
    if (!own?.ok || !cross?.ok || own.medianMs === undefined || cross.medianMs === undefined || node0?.medianMs === undefined)
      out.push({ goal, measured: 'not measured', ratio: '–' });
    else {
      const mine = own.medianMs - node0.medianMs;
      const ratio = mine / cross.medianMs;
      out.push({
        goal,
        measured:
          `ours ${ms(own.medianMs)} − node ${ms(node0.medianMs)} = ${ms(round(mine))}; C ${ms(cross.medianMs)}` +
          (c?.show?.own.medianMs === undefined ? '' : ` (C client with C daemon: ${ms(c.show.own.medianMs)})`) +
          aloneText(o?.show?.alone, node0.medianMs),
        ratio: ratio.toFixed(2),
        pass: ratio <= 1,
      });
    }
  }
  {
    const goal = '`smcroutectl -v` within 1.3× of a bare `node -e 0`';
    if (!client) out.push({ goal, measured: 'not measured', ratio: '–' });
    else {
      const ratio = client.version.ours.medianMs / client.node0.medianMs;
      out.push({
        goal,
        measured: `ours ${ms(client.version.ours.medianMs)}, node ${ms(client.node0.medianMs)} (C ${ms(client.version.upstream.medianMs)})`,
        ratio: times(ratio),
        pass: ratio <= 1.3,
      });
    }
  }
  {
    const goal = `memory: at most 1 KB per route above the idle daemon, at ${NB} routes`;
    const rss = big?.memory?.rssKiB;
    if (rss === undefined || !idle) out.push({ goal, measured: 'not measured', ratio: '–' });
    else {
      const perRoute = ((rss - idle.rssKiB) * 1024) / nBig;
      out.push({
        goal,
        measured: `${(rss / 1024).toFixed(1)} MiB at ${NB}, ${(idle.rssKiB / 1024).toFixed(1)} MiB idle`,
        ratio: `${(perRoute / KB).toFixed(2)} KB/route`,
        pass: perRoute <= KB,
      });
    }
  }
  {
    const goal = 'memory: the idle daemon at most 50 MB resident';
    if (!idle) out.push({ goal, measured: 'not measured', ratio: '–' });
    else {
      const bytes = idle.rssKiB * 1024;
      out.push({ goal, measured: `VmRSS ${idle.rssKiB} KiB`, ratio: `${(bytes / MB).toFixed(1)} MB`, pass: bytes <= 50 * MB });
    }
  }
  out.push(noLoss(5000, inp.burst), noLoss(10_000, inp.burst));
  for (const [size, r] of [
    [N, o],
    [NB, big],
  ] as const) {
    const goal = `no regression: reload at ${size} routes hitless (no unchanged route disturbed)`;
    const rel = r?.reload;
    if (!rel) out.push({ goal, measured: 'not measured', ratio: '–' });
    else
      out.push({
        goal,
        measured: `${rel.disturbed} of ${rel.probed} probed disturbed`,
        ratio: '–',
        pass: rel.ok && rel.probed > 0 && rel.disturbed === 0,
      });
  }
  return out;
}

/** The clients' own cost, against the stand-in that answers at once: what the ratio above is made of. */
function aloneText(alone: NonNullable<RoutesResult['show']>['alone'], node0Ms: number): string {
  const mine = alone?.own.medianMs;
  const theirs = alone?.cross?.medianMs;
  if (mine === undefined || theirs === undefined) return '';
  const beyondNode = (t: number) => ms(round(t - node0Ms));
  const b = alone?.bare?.medianMs;
  const bare = b === undefined ? '' : `, a bare Node client ${ms(b)} − node = ${beyondNode(b)}`;
  return `; each client alone, against a stand-in that answers at once: ours ${ms(mine)} − node = ${beyondNode(mine)}, C ${ms(theirs)}${bare}`;
}
