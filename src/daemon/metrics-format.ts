// The metrics exposition: one stats snapshot and the daemon's counters as OpenMetrics 1.0 or
// Prometheus 0.0.4 text. Pure: no I/O, no clock; loaded on the first scrape, never before.

import { FAMILIES } from '../model/addr.js';
import type { CountersSnapshot } from './counters.js';
import { ROUTE_KINDS, type StatsSnapshot } from './stats.js';

/**
 * Learned and stop-filter routes listed one series each, per scrape; the rest are summed per
 * (family, iif) into source="other", group="other". A host spraying sources or groups makes
 * one MFC entry each (up to --max-learned), and a series per entry would swamp the scraper's
 * storage. Static routes are the operator's own list and are always shown.
 */
const MAX_ROUTE_SERIES = 1000;

export interface MetricsInput {
  readonly stats: StatsSnapshot;
  readonly counters: CountersSnapshot;
  readonly version: string;
  /**
   * The IPC command names counted (ipc/command-names.ts `COMMAND_NAMES`), each listed even at zero. Handed
   * in, not imported: see metrics-server.ts `claimPath`.
   */
  readonly ipcCommands: readonly string[];
  /** Default MAX_ROUTE_SERIES; tests lower it. */
  readonly maxRouteSeries?: number;
}

type Labels = readonly (readonly [string, string])[];
type Value = number | bigint;

interface MetricFamily {
  /** Without the `_total` / `_info` suffix its samples carry. */
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'info';
  readonly help: string;
  readonly unit?: string;
  readonly samples: readonly (readonly [Labels, Value])[];
}

/** Backslash, double quote and newline are the three characters the formats escape in a label value. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function sampleLine(name: string, labels: Labels, value: Value): string {
  const l = labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
  return `${name}${l} ${value.toString()}\n`;
}

/**
 * OpenMetrics names a counter family without `_total` and an info family without `_info`, and
 * has UNIT; Prometheus 0.0.4 names the family as its samples and has neither (an info is a gauge).
 */
function render(families: readonly MetricFamily[], openMetrics: boolean): string {
  let out = '';
  for (const f of families) {
    const suffix = f.type === 'counter' ? '_total' : f.type === 'info' ? '_info' : '';
    const sample = f.name + suffix;
    if (openMetrics) {
      out += `# TYPE ${f.name} ${f.type}\n`;
      if (f.unit !== undefined) out += `# UNIT ${f.name} ${f.unit}\n`;
      out += `# HELP ${f.name} ${f.help}\n`;
    } else {
      out += `# HELP ${sample} ${f.help}\n# TYPE ${sample} ${f.type === 'info' ? 'gauge' : f.type}\n`;
    }
    for (const [labels, value] of f.samples) out += sampleLine(sample, labels, value);
  }
  return openMetrics ? `${out}# EOF\n` : out;
}

interface RouteSeries {
  readonly labels: Labels;
  packets: bigint;
  bytes: bigint;
  wrongIf: bigint;
}

/** Routes as series: every static one, the first `cap` others in table order (oldest first, so the listed set stays put), the rest summed. */
function routeSeries(stats: StatsSnapshot, cap: number): { series: RouteSeries[]; summed: Record<string, number> } {
  const series: RouteSeries[] = [];
  const other = new Map<string, RouteSeries>();
  const summed: Record<string, number> = { inet: 0, inet6: 0 };
  let listed = 0;
  for (const r of stats.routes) {
    if (r.kind === 'static' || listed < cap) {
      if (r.kind !== 'static') listed++;
      const labels: Labels = [
        ['family', r.family],
        ['iif', r.iif],
        ['source', r.source],
        ['group', r.group],
      ];
      series.push({ labels, packets: r.packets, bytes: r.bytes, wrongIf: r.wrongIf });
      continue;
    }
    summed[r.family] = (summed[r.family] ?? 0) + 1;
    const key = `${r.family} ${r.iif}`;
    let s = other.get(key);
    if (!s) {
      const labels: Labels = [
        ['family', r.family],
        ['iif', r.iif],
        ['source', 'other'],
        ['group', 'other'],
      ];
      other.set(key, (s = { labels, packets: 0n, bytes: 0n, wrongIf: 0n }));
    }
    s.packets += r.packets;
    s.bytes += r.bytes;
    s.wrongIf += r.wrongIf;
  }
  return { series: [...series, ...other.values()], summed };
}

function metricFamilies(input: MetricsInput): MetricFamily[] {
  const { stats, counters: c } = input;
  const cap = input.maxRouteSeries ?? MAX_ROUTE_SERIES;
  const { series, summed } = routeSeries(stats, cap);

  const byKind = new Map<string, number>();
  for (const r of stats.routes) byKind.set(`${r.family} ${r.kind}`, (byKind.get(`${r.family} ${r.kind}`) ?? 0) + 1);
  const routeCounts = FAMILIES.flatMap((family) =>
    ROUTE_KINDS.map((kind): [Labels, Value] => [
      [
        ['family', family],
        ['kind', kind],
      ],
      byKind.get(`${family} ${kind}`) ?? 0,
    ]),
  );

  const ifLabels = (i: StatsSnapshot['interfaces'][number], direction: string): Labels => [
    ['family', i.family],
    ['interface', i.name],
    ['vif', String(i.vif)],
    ['direction', direction],
  ];
  const ifSamples = (get: (i: StatsSnapshot['interfaces'][number], dir: 'in' | 'out') => bigint) =>
    stats.interfaces.flatMap((i) => (['in', 'out'] as const).map((d): [Labels, Value] => [ifLabels(i, d), get(i, d)]));

  // Every command name and both results, zeros included, so a series exists before its first increase.
  const commands = [...new Set([...input.ipcCommands, 'other', ...Object.keys(c.ipc)])].sort();
  const ipcSamples = commands.flatMap((command) =>
    (['ok', 'failed'] as const).map((result): [Labels, Value] => [
      [
        ['command', command],
        ['result', result],
      ],
      c.ipc[command]?.[result] ?? 0,
    ]),
  );

  return [
    {
      name: 'smcroute_build',
      type: 'info',
      help: 'The running smcrouted: version and implementation.',
      samples: [
        [
          [
            ['version', input.version],
            ['implementation', 'typescript'],
          ],
          1,
        ],
      ],
    },
    {
      name: 'smcroute_routes',
      type: 'gauge',
      help: 'Kernel multicast routes installed, by kind: static (configured S,G), learned (from a *,G rule), stop (stop filter).',
      samples: routeCounts,
    },
    {
      name: 'smcroute_routes_summed',
      type: 'gauge',
      help: `Learned and stop-filter routes past the first ${cap}, whose counters are summed into one series per inbound interface with source and group set to other.`,
      samples: FAMILIES.map((family): [Labels, Value] => [[['family', family]], summed[family] ?? 0]),
    },
    {
      name: 'smcroute_route_packets',
      type: 'counter',
      help: 'Packets the kernel forwarded on a multicast route.',
      samples: series.map((s): [Labels, Value] => [s.labels, s.packets]),
    },
    {
      name: 'smcroute_route_bytes',
      type: 'counter',
      unit: 'bytes',
      help: 'Bytes the kernel forwarded on a multicast route.',
      samples: series.map((s): [Labels, Value] => [s.labels, s.bytes]),
    },
    {
      name: 'smcroute_route_wrong_interface_packets',
      type: 'counter',
      help: "Packets of a route's flow that arrived on another interface than its inbound one.",
      samples: series.map((s): [Labels, Value] => [s.labels, s.wrongIf]),
    },
    {
      name: 'smcroute_interface_packets',
      type: 'counter',
      help: 'Multicast packets through a VIF (IPv4) or MIF (IPv6), by direction.',
      samples: ifSamples((i, d) => (d === 'in' ? i.packetsIn : i.packetsOut)),
    },
    {
      name: 'smcroute_interface_bytes',
      type: 'counter',
      unit: 'bytes',
      help: 'Multicast bytes through a VIF (IPv4) or MIF (IPv6), by direction.',
      samples: ifSamples((i, d) => (d === 'in' ? i.bytesIn : i.bytesOut)),
    },
    {
      name: 'smcroute_upcalls',
      type: 'counter',
      help: 'Kernel upcalls received, by kind (nocache: a flow with no route; wrongvif: a flow on another interface).',
      samples: Object.entries(c.upcalls).map(([kind, n]): [Labels, Value] => [[['kind', kind]], n]),
    },
    {
      name: 'smcroute_upcalls_resolved',
      type: 'counter',
      help: 'Upcalls that ended with a kernel route: learned, stop filter or moved.',
      samples: [[[], c.upcallsResolved]],
    },
    {
      name: 'smcroute_routes_learned',
      type: 'counter',
      help: 'Flows a *,G rule covered that were installed as forwarding routes.',
      samples: [[[], c.routesLearned]],
    },
    {
      name: 'smcroute_stop_filters',
      type: 'counter',
      help: 'Flows no rule covered that were installed as stop filters.',
      samples: [[[], c.stopFilters]],
    },
    {
      name: 'smcroute_routes_expired',
      type: 'counter',
      help: 'Learned and stop-filter routes removed: idle past -c, flushed, or evicted at --max-learned.',
      samples: [[[], c.routesExpired]],
    },
    {
      name: 'smcroute_reloads',
      type: 'counter',
      help: 'Configuration reloads, by result (applied, refused).',
      samples: [
        [[['result', 'applied']], c.reloads.applied],
        [[['result', 'refused']], c.reloads.refused],
      ],
    },
    {
      name: 'smcroute_ipc_commands',
      type: 'counter',
      help: 'smcroutectl requests answered, by command and result.',
      samples: ipcSamples,
    },
  ];
}

/** The whole exposition, in the format negotiated. */
export function formatMetrics(input: MetricsInput, openMetrics: boolean): string {
  return render(metricFamilies(input), openMetrics);
}
