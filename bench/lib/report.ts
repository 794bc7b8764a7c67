// Renders a result set as Markdown (targets first, then tables with the daemons side by side) for the
// terminal and latest.md. Formatting only: every number shown comes from the results object as measured.
import { BURST_RULE, type BurstParams, type BurstResult } from '../burst.js';
import type { ClientStartup } from '../client.js';
import type { FloorResult } from '../floor.js';
import type { IdleResult } from '../idle.js';
import type { ClientRun, RoutesParams, RoutesResult } from '../routes.js';
import type { CpuReading } from './cpu.js';
import { IIF, OIF, TOPOLOGY, type DaemonId } from './daemons.js';
import type { MachineInfo } from './machine.js';
import type { Target } from './targets.js';

export interface Results {
  kind: 'full' | 'quick' | 'custom';
  machine: MachineInfo;
  params: {
    routes: Omit<RoutesParams, 'crossShow'> & { nBig: number };
    floorReps: number;
    clientReps: number;
    burst: Omit<BurstParams, 'k' | 'rate'> & { k: number[] };
    paced: { k: number; rates: number[] };
  };
  /** Variables removed from every child's environment (they slow Node's start-up; see the method). */
  scrubbed: string[];
  floor: (FloorResult | { n: number; error: string })[];
  client?: ClientStartup | { error: string };
  idle: (IdleResult | { daemon: DaemonId; error: string })[];
  /** Per daemon and size: both daemons at n, ours alone at nBig. */
  routes: (RoutesResult | { daemon: DaemonId; n: number; error: string })[];
  /** Back-to-back bursts have no rate; paced ones carry their target rate. */
  burst: (BurstResult | { daemon: DaemonId; k: number; rate?: number; error: string })[];
  targets: Target[];
}

const NAMES: Record<DaemonId, string> = { upstream: 'upstream C 2.5.6', ours: 'ours (TypeScript)' };
const SHORT: Record<DaemonId, string> = { upstream: 'C', ours: 'ours' };

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

const ms = (x: number | undefined): string => (x === undefined ? '–' : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${x} ms`);
const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;
const perSec = (x: number): string => `${Math.round(x).toLocaleString('en-US')}/s`;
const num = (x: number): string => x.toLocaleString('en-US');

function cpuCell(c: CpuReading | undefined): string {
  return c ? ms(c.daemonCpuMs) : '–';
}

function otherCell(c: CpuReading | undefined): string {
  return c ? `${c.otherBusyPct}% of all CPUs` : '–';
}

function clientCell(c: ClientRun | undefined): string {
  if (!c) return '–';
  if (!c.ok) return `failed: ${c.error ?? '?'}`;
  return `${ms(c.medianMs)} (${c.minMs}–${c.maxMs})`;
}

function targetsSection(r: Results): string {
  const mark = (p: boolean | undefined) => (p === undefined ? 'not measured' : p ? '**PASS**' : '**FAIL**');
  const rows = r.targets.map((t) => [t.goal, t.measured, t.ratio, mark(t.pass)]);
  const passed = r.targets.filter((t) => t.pass === true).length;
  const note =
    r.kind === 'full'
      ? ''
      : `\n\nThis is a ${r.kind} run: sizes or repetitions differ from the full run's, so these verdicts are indicative only.`;
  return `## Targets (issue 8)\n\n${passed} of ${r.targets.length} met.${note}\n\n${table(['target', 'measured (medians)', 'ratio', 'result'], rows)}\n`;
}

/** One column per routes run: both daemons at N, ours alone at the large N. */
function routesColumns(r: Results) {
  const cols = r.routes;
  const head = ['', ...cols.map((x) => `${NAMES[x.daemon]}, ${num(x.n)} routes`)];
  const cell = (f: (x: RoutesResult) => string) => cols.map((x) => ('startup' in x ? f(x) : `error: ${x.error}`));
  return { head, cell };
}

function routesSection(r: Results): string {
  if (r.routes.length === 0) return '';
  const { head, cell } = routesColumns(r);
  const s1 = table(head, [
    ['host busy before the run (waited for < 20%)', ...cell((x) => `${x.quiet.busyPct}% (waited ${ms(x.quiet.waitedMs)})`)],
    [
      'spawn → all (S,G) in kernel MFC',
      ...cell((x) => (x.startup.ok ? startupCell(x.startup) : `FAILED after ${ms(x.startup.ms)}: ${x.startup.error}`)),
    ],
    ['spawn → PID file written', ...cell((x) => (x.startup.pidFileMs === undefined ? 'never' : ms(x.startup.pidFileMs)))],
    [
      'timed by',
      ...cell((x) =>
        x.startup.timedBy === 'mfc'
          ? 'polling the MFC (it was not complete at the PID file)'
          : `the PID file; the MFC read after it, complete, ended at ${ms(x.startup.verifiedMs)}`,
      ),
    ],
    ['MFC entries matching config', ...cell((x) => `${x.startup.correct ?? '?'} / ${x.n}`)],
    ['daemon CPU (user+sys) during start-up', ...cell((x) => cpuCell(x.startup.cpu))],
    ['other load on the host meanwhile', ...cell((x) => otherCell(x.startup.cpu))],
    [
      'RSS after start-up (VmRSS / VmHWM)',
      ...cell((x) => (x.memory ? `${mib(x.memory.rssKiB)} / ${mib(x.memory.hwmKiB)}` : '–')),
    ],
    ['SIGTERM → exited', ...cell((x) => (x.stop ? (x.stop.ok ? ms(x.stop.ms) : `killed after ${ms(x.stop.ms)}`) : '–'))],
  ]);
  const s2 = table(head, [
    ['routes removed / added', ...cell((x) => (x.reload ? `${x.reload.removed} / ${x.reload.added}` : '–'))],
    [
      'SIGHUP → MFC equals new config',
      ...cell((x) => (x.reload ? (x.reload.ok ? ms(x.reload.ms) : `FAILED: ${x.reload.error}`) : '–')),
    ],
    ['unchanged entries disturbed / probed', ...cell((x) => (x.reload ? `${x.reload.disturbed} / ${x.reload.probed}` : '–'))],
    ['SIGHUP → daemon answers a request again', ...cell((x) => ms(x.reload?.busyMs))],
    ['daemon CPU (user+sys) during reload', ...cell((x) => cpuCell(x.reload?.cpu))],
    ['other load on the host meanwhile', ...cell((x) => otherCell(x.reload?.cpu))],
  ]);
  const s3 = table(head, [
    ['own client, daemon idle: median (min–max)', ...cell((x) => clientCell(x.show?.own))],
    [
      "other daemon's client, daemon idle",
      ...cell((x) => {
        const c = x.show?.cross;
        if (!c) return '–';
        const same = c.sameOutputAsOwn === undefined ? '' : c.sameOutputAsOwn ? ', same output' : ', DIFFERENT output';
        return `${SHORT[c.client]}: ${clientCell(c)}${same}`;
      }),
    ],
    ['bare `node -e 0`, run in turn with those', ...cell((x) => clientCell(x.show?.node0))],
    [
      "each client against a stand-in that answers at once with the daemon's reply (the client's own cost)",
      ...cell((x) => {
        const a = x.show?.alone;
        if (!a) return '–';
        const clients = [a.own, a.cross].flatMap((c) => (c ? [`${SHORT[c.client]}: ${clientCell(c)}`] : []));
        const bare = a.bare && `a bare Node client (node:net, connect, read, write): ${clientCell(a.bare)}`;
        return [...clients, ...(bare ? [bare] : [])].join('; ');
      }),
    ],
    [
      'daemon CPU per show request',
      ...cell((x) => (x.show?.own.daemonCpuMsPerRun === undefined ? '–' : ms(x.show.own.daemonCpuMsPerRun))),
    ],
    ['output lines / bytes', ...cell((x) => (x.show?.own.ok ? `${x.show.own.lines} / ${x.show.own.bytes}` : '–'))],
    [
      'own client right after a SIGHUP (small change): SIGHUP → client done',
      ...cell((x) => {
        const s = x.showAfterReload;
        if (!s) return '–';
        if (!s.ok) return `FAILED: ${s.error}`;
        return `${ms(s.ms)}${s.fresh ? '' : ' (printed the table from before the reload)'}`;
      }),
    ],
    ['… and SIGHUP → MFC equals that config', ...cell((x) => ms(x.showAfterReload?.reloadMs))],
    ['… and SIGHUP → daemon answers a request again', ...cell((x) => ms(x.showAfterReload?.busyMs))],
  ]);
  const s3b = table(head, [
    [
      'own client `-b`, one `add` per line: client start → exit',
      ...cell((x) => {
        const b = x.batch;
        if (!b) return '–';
        return b.ok ? `${ms(b.ms)} for ${num(b.adds)}` : `FAILED: ${b.error}`;
      }),
    ],
    ['added routes in the MFC afterwards', ...cell((x) => (x.batch ? `${x.batch.installed} / ${x.batch.adds}` : '–'))],
    ['daemon CPU meanwhile', ...cell((x) => cpuCell(x.batch?.cpu))],
  ]);
  const p = r.params.routes;
  return (
    `## 1. Start-up with N (S,G) routes\n\n${s1}\n\n` +
    `## 2. Reload (SIGHUP): ${p.change} routes removed, ${p.change} added\n\n${s2}\n\n` +
    `## 3. \`smcroutectl show\` (${p.showReps} timed runs each when idle)\n\n${s3}\n\n` +
    `## 3b. Runtime adds in one batch, after the reloads\n\n${s3b}\n`
  );
}

function floorSection(r: Results): string {
  if (r.floor.length === 0) return '';
  const rows = r.floor.map((f) => {
    if (!('floorMs' in f)) return [num(f.n), `error: ${f.error}`, '', ''];
    const sp = (x: { medianMs: number; minMs: number; maxMs: number }) => `${ms(x.medianMs)} (${x.minMs}–${x.maxMs})`;
    return [num(f.n), sp(f.loops.node), sp(f.loops.python), `${ms(f.floorMs)} (${f.floorBy})`];
  });
  return (
    `## 0. Kernel floor: a bare loop of N MRT_ADD_MFC calls (${r.params.floorReps} runs each)\n\n` +
    'In a fresh router namespace, after MRT_INIT and two VIFs, no daemon: every request is encoded before the clock ' +
    "starts, so the loop is the system calls alone. Two loops, taking turns: Node through this project's own libc " +
    "binding (bench/lib/mfc-floor.ts, koffi) and Python's socket.setsockopt (bench/lib/mfc_floor.py). The floor is " +
    'the faster median. Each N is measured right before the start-ups compared with it.\n\n' +
    table(['N', 'Node + koffi: median (min–max)', 'Python: median (min–max)', 'floor'], rows) +
    '\n'
  );
}

function clientSection(r: Results): string {
  const c = r.client;
  if (!c) return '';
  if (!('node0' in c)) return `## Client start-up\n\nerror: ${c.error}\n`;
  const sp = (x: { medianMs: number; minMs: number; maxMs: number }) => `${ms(x.medianMs)} (${x.minMs}–${x.maxMs})`;
  const rows = [
    ['bare `node -e 0`', sp(c.node0)],
    ['our `smcroutectl -v`', sp(c.version.ours)],
    ["upstream's `smcroutectl -v`", sp(c.version.upstream)],
  ];
  if (c.node0HostEnv) rows.push([`bare \`node -e 0\` with this host's ${c.scrubbed.join(', ')} set`, sp(c.node0HostEnv)]);
  return `## Client start-up (${r.params.clientReps} runs each, in turn)\n\n${table(['', 'median (min–max)'], rows)}\n`;
}

function memorySection(r: Results): string {
  if (r.idle.length === 0) return '';
  const rows = r.idle.map((x) =>
    'rssKiB' in x ? [NAMES[x.daemon], `${mib(x.rssKiB)} / ${mib(x.hwmKiB)}`] : [NAMES[x.daemon], `error: ${x.error}`],
  );
  const idle = r.idle.find((x): x is IdleResult => x.daemon === 'ours' && 'rssKiB' in x);
  const perRoute = r.routes
    .filter((x): x is RoutesResult => x.daemon === 'ours' && 'startup' in x && x.memory !== undefined)
    .map((x) => {
      const rss = x.memory?.rssKiB ?? 0;
      const per = idle ? `${(((rss - idle.rssKiB) * 1024) / x.n / 1000).toFixed(2)} KB` : '–';
      return [num(x.n), mib(rss), per];
    });
  return (
    `## Memory\n\nIdle: started with \`phyint ${IIF} enable\` and \`phyint ${OIF} enable\` only, read 2 s after its VIFs appeared.\n\n` +
    table(['daemon', 'idle VmRSS / VmHWM'], rows) +
    "\n\nOurs with N routes (VmRSS 500 ms after all were in the kernel), per route above idle (1 KB = 1000 bytes; the idle target's 50 MB = 50,000,000 bytes):\n\n" +
    table(['N', 'VmRSS', 'per route above idle'], perRoute) +
    '\n'
  );
}

/** The comparison the README carries, from this run: paste it in whole, never edit the numbers. */
function readmeSection(r: Results): string {
  const get = (d: DaemonId, n: number) => {
    const x = r.routes.find((y) => y.daemon === d && y.n === n);
    return x && 'startup' in x ? x : undefined;
  };
  const n = r.params.routes.n;
  const nb = r.params.routes.nBig;
  const c = get('upstream', n);
  const o = get('ours', n);
  const big = get('ours', nb);
  const t = (x: number | undefined) => (x === undefined ? '–' : x >= 1000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);
  const idle = (d: DaemonId) => {
    const x = r.idle.find((y) => y.daemon === d);
    return x && 'rssKiB' in x ? mib(x.rssKiB) : '–';
  };
  const burst = (d: DaemonId, k: number) => {
    const x = r.burst.find((y) => y.daemon === d && y.k === k && y.rate === undefined);
    return x && 'lost' in x ? `${x.lost} (${x.lossPct}%)` : '–';
  };
  const floor = r.floor.find((f): f is FloorResult => f.n === nb && 'floorMs' in f);
  const client = r.client && 'node0' in r.client ? r.client : undefined;
  const rows = [
    [`start-up with ${num(n)} \`(S,G)\` routes, until all are in the kernel`, t(c?.startup.ms), t(o?.startup.ms)],
    [`reload: ${r.params.routes.change} routes removed, ${r.params.routes.change} added`, t(c?.reload?.ms), t(o?.reload?.ms)],
    ['unchanged routes disturbed by that reload', String(c?.reload?.disturbed ?? '–'), String(o?.reload?.disturbed ?? '–')],
    ['`smcroutectl show` right after a reload', t(c?.showAfterReload?.ms), t(o?.showAfterReload?.ms)],
    ['`smcroutectl show`, daemon idle (each daemon with its own client)', t(c?.show?.own.medianMs), t(o?.show?.own.medianMs)],
    ["upstream's client's `show` against our daemon", '', t(o?.show?.cross?.medianMs)],
    [`${num(r.params.routes.batch)} \`add\`s in one \`smcroutectl -b\``, t(c?.batch?.ms), t(o?.batch?.ms)],
    [
      '`smcroutectl -v` (a bare `node -e 0`: ' + t(client?.node0.medianMs) + ')',
      t(client?.version.upstream.medianMs),
      t(client?.version.ours.medianMs),
    ],
    [`start-up with ${num(nb)} routes (kernel floor: ${t(floor?.floorMs)})`, '', t(big?.startup.ms)],
    [`reload at ${num(nb)} routes`, '', t(big?.reload?.ms)],
    [
      `resident memory: idle / ${num(n)} routes`,
      `${idle('upstream')} / ${c?.memory ? mib(c.memory.rssKiB) : '–'}`,
      `${idle('ours')} / ${o?.memory ? mib(o.memory.rssKiB) : '–'}`,
    ],
    [`resident memory with ${num(nb)} routes`, '', big?.memory ? mib(big.memory.rssKiB) : '–'],
    ...r.params.burst.k.map((k) => [
      `${num(k)} new sources back to back on one \`(*,G/LEN)\` rule: flows lost`,
      burst('upstream', k),
      burst('ours', k),
    ]),
  ];
  return `## For the README\n\n${table(['', 'upstream C', 'this port'], rows)}\n`;
}

/** The cells after the first two columns, shared by the back-to-back and the paced tables. */
function burstCells(x: BurstResult): string[] {
  return [
    String(x.delivered),
    `${x.installed}${x.wrong ? ` (+${x.wrong} wrong)` : ''}`,
    `${x.lost} (${x.lossPct}%)`,
    ms(x.lastInstallMs),
    ms(x.cpu.daemonCpuMs),
    `${x.quiet.busyPct}%`,
    x.rssKiB === undefined ? '–' : mib(x.rssKiB),
    `${x.ok ? '' : `${x.error}; `}${x.daemonAlive ? '' : 'daemon died'}`,
  ];
}

const sentCell = (x: BurstResult): string => `${x.sent}${x.sendErrors ? ` (${x.sendErrors} errors)` : ''} in ${x.sendMs} ms`;
const BURST_TAIL = [
  'router rx',
  'installed',
  'lost',
  'first packet → last install',
  'daemon CPU',
  'host busy before',
  'RSS after',
  'notes',
];

function burstSection(r: Results): string {
  if (r.burst.length === 0) return '';
  const failed = (b: Results['burst'][number]): b is { daemon: DaemonId; k: number; rate?: number; error: string } =>
    'error' in b && !('installed' in b);
  const errorRow = (lead: string[], b: { error: string }) => [...lead, `error: ${b.error}`, ...BURST_TAIL.map(() => '')];
  const unpaced = r.burst
    .filter((b) => b.rate === undefined)
    .map((b) => {
      const lead = [String(b.k), NAMES[b.daemon]];
      if (failed(b)) return errorRow(lead, b);
      return [...lead, `${sentCell(b)} (${perSec(b.sendRate)})`, ...burstCells(b)];
    });
  const paced = r.burst
    .filter((b) => b.rate !== undefined)
    .map((b) => {
      const lead = [perSec(b.rate!), String(b.k), NAMES[b.daemon]];
      if (failed(b)) return [...errorRow(lead, b), ''];
      const lag = b.maxLagMs === undefined ? '–' : `${b.maxLagMs} ms`;
      const cells = burstCells(b);
      // A sender that fell behind gave this daemon a lower rate than the target: not like for like.
      if (b.sendRate < 0.97 * b.rate!)
        cells[cells.length - 1] = ['SENDER FELL BEHIND the target rate', cells.at(-1)].filter(Boolean).join('; ');
      return [...lead, perSec(b.sendRate), lag, sentCell(b), ...cells];
    });
  const rule = `one \`${BURST_RULE}\` rule`;
  const s4 =
    `## 4. Upcall burst, back to back (NOT paced): ${rule}\n\n` +
    'The sender goes as fast as it can on the same CPUs as the daemon, so the two daemons do not face the same ' +
    'packet rate: the achieved rate is in the "sent" column. Section 5 fixes the rate.\n\n' +
    table(['K', 'daemon', 'sent (send loop, achieved rate)', ...BURST_TAIL], unpaced) +
    '\n';
  if (paced.length === 0) return s4;
  const s5 =
    `\n## 5. Upcall burst, PACED at a fixed rate, the same for both daemons: ${rule}\n\n` +
    'Same scenario as 4, but every datagram i leaves at its due time (start + i / target rate). ' +
    '"Max lag" is the latest any datagram left after its due time: if it stays small, the sender kept up and ' +
    'both daemons faced the same rate.\n\n' +
    table(['target rate', 'K', 'daemon', 'achieved rate', 'max lag', 'sent (send loop)', ...BURST_TAIL], paced) +
    '\n';
  return s4 + s5;
}

const method = (poll: number, quiet: number): string => `## Method

- Each daemon run gets fresh namespaces: \`${TOPOLOGY}\`, veth pairs, IPv4
  forwarding on and rp_filter off in the router. Both daemons get identical options:
  \`-n -N -c 0 -i NAME -f CONF -u SOCK -P PIDFILE\`, and the config enables \`phyint ${IIF}\` and \`phyint ${OIF}\`.
- The kernel's view is read through \`/proc/PID/net/ip_mr_cache\` of a process parked in the router
  namespace. That walks the whole table (about 25 ms at 10,000 entries, 130 ms at 50,000), so it is not
  what times start-up and reloads: polled, it would load the host and measure in steps of its own cost.
- Start-up: from spawning the daemon (\`ip netns exec\`; for ours this includes Node start-up) until all N routes
  are in the kernel. Both daemons write their PID file once the configuration is applied; the PID file is polled
  every 2 ms, and one full read of the MFC started right after it must find every route (resolved, iif ${IIF},
  oifs exactly ${OIF}): then the time is the PID file's. Otherwise the MFC is polled every ${poll} ms until complete.
  Each daemon is started several times on the same lab (stopped in between, which empties its table); the
  start-up reported, and judged, is the median of those runs, and the last one goes on to the steps below.
- Reload: a spread of routes is removed and as many new ones added, the file rewritten, SIGHUP sent; timed until
  every removed route is gone and every added one is in, by rtnetlink lookups of those entries alone
  (bench/lib/mfc_watch.py in the router namespace, every 2 ms), then the whole MFC is checked against the new
  config. Before the reload, one datagram (forged source, raw socket) is forwarded by every
  unchanged entry; an entry that the daemon deleted and re-added comes back with a packet counter of 0
  (verified: MRT_ADD_MFC on an existing entry keeps the counters, delete + add resets them). "Disturbed" counts
  unchanged entries that are missing, changed, or reset 500 ms after the daemon answered again.
- Busy: a daemon may go on working after its MFC is right (upstream's C daemon does, for seconds at 10,000
  routes, and drops a SIGHUP that arrives meanwhile: its reload flag is cleared when the reload in progress
  ends). So after each reload one untimed \`show\` by the daemon's own client waits until it answers again
  ("SIGHUP → daemon answers"), and only then does the next step signal it or time it.
- show: the clients are run from the host (the Unix socket is a path, not bound to a namespace), stdout to
  /dev/null; the first run of each (untimed) measures the output size. Node start-up is part of our client's time:
  a bare \`node -e 0\` takes turns with the clients, so the two can be subtracted under the same conditions.
  Each client is also timed against a stand-in (bench/lib/instant_reply.py) that answers every request at once with
  the daemon's own reply, taken just before: the client's own cost, without the daemon's work. Beside them, in the
  same turns, a bare Node client (\`node -e\` with a line that loads node:net, connects, sends a byte and writes
  what comes back): the least any client on Node pays, the floor under ours.
  "Right after a reload": a second small change is written, SIGHUP sent and the daemon's own client started at once;
  timed from the SIGHUP until the client exits; its output must hold one of the new routes (a table from before
  the reload fails the step).
- Batch: after the reloads (whatever the second one did, once the daemon answers again), the daemon's own client with \`-b\` and one \`add IIF SOURCE GROUP OIF\` line per new
  route on stdin, timed from spawn to exit (every add answered); then the new routes are counted in the MFC.
- Kernel floor and memory: see their sections. RSS is VmRSS from /proc/PID/status.
- Burst: K datagrams, each from a distinct never-seen source (10.64.0.1 + i) to a distinct group in
  225.1.0.0/16, sent by one python3 raw socket (IP_HDRINCL, packets prebuilt): back to back in section 4, so the
  rate is whatever the sender reaches while sharing the CPUs with the daemon; paced in section 5, where the
  sender spins on the clock until each datagram's due time (start + i / rate), the same schedule for both
  daemons, and holds one CPU busy while doing so. Achieved rate = datagrams sent / send-loop time. "router rx" is ${IIF}'s
  rx counter (it may include a stray link-local frame). The burst has settled when every flow is in the MFC, or
  nothing changed for ${quiet} ms with no unresolved entry left. Lost = K − flows installed with the right oif.
  Upstream 2.5.6 supports (*,G/LEN) rules (since 2.5.0), so both daemons run the same rule.
- CPU: the daemon's utime + stime from /proc/PID/stat (all threads; 10 ms ticks). "Other load" is the host's busy
  time minus the daemon's and this benchmark process's, as a share of all CPUs: the machine may be shared, and wall
  times stretch when it is busy. Each daemon run first waits (up to 2 min) for the host to be under 20% busy.
  In the bursts, "daemon CPU" runs from the first datagram until settled.
- Known difference in set-up: our daemon asks for a 16 MiB receive buffer on the mroute socket
  (SO_RCVBUFFORCE); upstream keeps the kernel default (net.core.rmem_default), which bounds how many upcalls
  can queue while it is busy.
`;

export function renderMarkdown(r: Results): string {
  const m = r.machine;
  const kind = { full: 'Full run', quick: 'Quick run (smoke test: small sizes)', custom: 'Custom-size run' }[r.kind];
  const env =
    r.scrubbed.length === 0
      ? ''
      : `Every program here (node, both daemons, both clients) ran without ${r.scrubbed.map((v) => `\`${v}\``).join(', ')}, ` +
        "which this host sets: with it, Node parses a CA bundle at every start (see the client start-up section). Our launchers' " +
        'own handling of it plays no part in these numbers.\n\n';
  const head =
    `# smcrouted benchmark: our TypeScript port vs upstream C\n\n` +
    `${kind}, ${m.date}.\n\n` +
    table(
      ['machine', ''],
      [
        ['kernel', m.kernel],
        ['CPUs', `${m.cpuCount} × ${m.cpuModel}`],
        ['memory', `${m.memTotalMiB} MiB`],
        ['Node', m.node],
        ['python3', m.python],
        ['upstream', `${m.upstreamVersion} — package ${m.upstreamPackage}`],
        ['ours', `${m.oursVersion} — commit ${m.oursCommit}`],
      ],
    ) +
    '\n\n' +
    env;
  return [
    head + targetsSection(r),
    readmeSection(r),
    floorSection(r),
    routesSection(r),
    clientSection(r),
    memorySection(r),
    burstSection(r),
    method(r.params.routes.pollMs, r.params.burst.quietMs),
  ]
    .filter((x) => x !== '')
    .join('\n');
}

/** The targets alone, as plain lines, for the end of a terminal run. */
export function renderTargetsText(targets: readonly Target[]): string {
  const mark = (p: boolean | undefined) => (p === undefined ? 'n/a ' : p ? 'PASS' : 'FAIL');
  return targets
    .map((t) => `${mark(t.pass)}  ${t.goal.replace(/`/g, '')}: ${t.ratio === '–' ? '' : `${t.ratio}; `}${t.measured}`)
    .join('\n');
}

/** The median start-up, with its spread when there were several runs. */
function startupCell(s: RoutesResult['startup']): string {
  const runs = s.runsMs ?? [];
  if (runs.length < 2) return ms(s.ms);
  return `${ms(s.ms)} (median of ${runs.length}: ${runs.map((r) => ms(r)).join(', ')})`;
}
