// Renders a result set as Markdown (tables, daemons side by side) for the terminal and latest.md.
// Formatting only: every number shown comes from the results object as measured.
import { BURST_RULE, type BurstParams, type BurstResult } from '../burst.js';
import type { ClientRun, RoutesParams, RoutesResult } from '../routes.js';
import type { CpuReading } from './cpu.js';
import { IIF, OIF, TOPOLOGY, type DaemonId } from './daemons.js';
import type { MachineInfo } from './machine.js';

export interface Results {
  kind: 'full' | 'custom';
  machine: MachineInfo;
  params: {
    routes: Omit<RoutesParams, 'n'> & { n: number };
    burst: Omit<BurstParams, 'k' | 'rate'> & { k: number[] };
    paced: { k: number; rates: number[] };
  };
  routes: (RoutesResult | { daemon: DaemonId; error: string })[];
  /** Back-to-back bursts have no rate; paced ones carry their target rate. */
  burst: (BurstResult | { daemon: DaemonId; k: number; rate?: number; error: string })[];
}

const ORDER: DaemonId[] = ['upstream', 'ours'];
const NAMES: Record<DaemonId, string> = { upstream: 'upstream C 2.5.6', ours: 'ours (TypeScript)' };

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

const ms = (x: number | undefined): string => (x === undefined ? '–' : x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${x} ms`);
const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;
const perSec = (x: number): string => `${Math.round(x).toLocaleString('en-US')}/s`;

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

function routesSection(r: Results): string {
  const n = r.params.routes.n;
  const by = new Map(r.routes.map((x) => [x.daemon, x]));
  const cols = ORDER.map((id) => by.get(id));
  const cell = (f: (x: RoutesResult) => string) =>
    cols.map((x) =>
      x === undefined ? 'not run' : 'error' in x && !('startup' in x) ? `error: ${x.error}` : f(x as RoutesResult),
    );
  const head = ['', ...ORDER.map((id) => NAMES[id])];
  const otherClient = (id: DaemonId) => (id === 'ours' ? 'upstream' : 'ours');
  const s1 = table(head, [
    ['host busy before the run (waited for < 20%)', ...cell((x) => `${x.quiet.busyPct}% (waited ${ms(x.quiet.waitedMs)})`)],
    [
      `spawn → all ${n} (S,G) in kernel MFC`,
      ...cell((x) => (x.startup.ok ? ms(x.startup.ms) : `FAILED after ${ms(x.startup.ms)}: ${x.startup.error}`)),
    ],
    [
      'spawn → PID file written',
      ...cell((x) => (x.startup.pidFileMs === undefined ? 'after the MFC was complete' : ms(x.startup.pidFileMs))),
    ],
    ['MFC entries matching config', ...cell((x) => `${x.startup.correct ?? '?'} / ${n}`)],
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
    ['daemon CPU (user+sys) during reload', ...cell((x) => cpuCell(x.reload?.cpu))],
    ['other load on the host meanwhile', ...cell((x) => otherCell(x.reload?.cpu))],
  ]);
  const s3 = table(head, [
    ['own client: median (min–max)', ...cell((x) => clientCell(x.show?.own))],
    [
      "other daemon's client",
      ...ORDER.map((id) => {
        const x = by.get(id);
        const c = x && 'show' in x ? x.show?.cross : undefined;
        if (!c) return '–';
        const same = c.sameOutputAsOwn === undefined ? '' : c.sameOutputAsOwn ? ', same output' : ', DIFFERENT output';
        return `${otherClient(id)}: ${clientCell(c)}${same}`;
      }),
    ],
    [
      'daemon CPU per show request',
      ...cell((x) => (x.show?.own.daemonCpuMsPerRun === undefined ? '–' : ms(x.show.own.daemonCpuMsPerRun))),
    ],
    ['output lines / bytes', ...cell((x) => (x.show?.own.ok ? `${x.show.own.lines} / ${x.show.own.bytes}` : '–'))],
  ]);

  return (
    `## 1. Start-up with N = ${n} (S,G) routes\n\n${s1}\n\n## 2. Reload (SIGHUP) with ${n} routes installed\n\n${s2}\n\n` +
    `## 3. \`smcroutectl show\` with ${n} routes (${r.params.routes.showReps} timed runs each)\n\n${s3}\n`
  );
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
  namespace, polled every ${poll} ms, so times have that resolution.
- Start-up: from spawning the daemon (\`ip netns exec\`; for ours this includes Node start-up) until the MFC holds
  N entries; then every entry is checked (resolved, iif ${IIF}, oifs exactly ${OIF}).
- Reload: a spread of routes is removed and as many new ones added, the file rewritten, SIGHUP sent; timed until
  the MFC equals the new config. Before the reload, one datagram (forged source, raw socket) is forwarded by every
  unchanged entry; an entry that the daemon deleted and re-added comes back with a packet counter of 0
  (verified: MRT_ADD_MFC on an existing entry keeps the counters, delete + add resets them). "Disturbed" counts
  unchanged entries that are missing, changed, or reset 500 ms after the MFC matched.
- show: the client is run from the host (the Unix socket is a path, not bound to a namespace), stdout to /dev/null;
  the first run (untimed) measures the output size. Node start-up is part of our client's time.
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
  const head =
    `# smcrouted benchmark: our TypeScript port vs upstream C\n\n` +
    `${r.kind === 'full' ? 'Full run' : 'Custom-size run'}, ${m.date}.\n\n` +
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
    '\n\n';
  return `${head}${routesSection(r)}\n${burstSection(r)}\n${method(r.params.routes.pollMs, r.params.burst.quietMs)}`;
}
