// The one statistics snapshot of a running daemon: every kernel MFC entry and VIF/MIF with the
// kernel's counters, and route counts by kind. `smcroutectl top` (IPC 'T') and the metrics endpoint
// both read this; it is loaded on first use and asks the kernel only when called, never per upcall.

import type { MfcTable } from '../core/mfc-table.js';
import type { VifTable } from '../core/vif-table.js';
import type { Kernel } from '../kernel/types.js';
import { FAMILIES, formatAddr, type Family } from '../model/addr.js';
import { exactCounters } from '../model/json.js';

/** static: a configured (S,G); learned: made from a (*,G) rule on an upcall; stop: a stop filter (no OIFs). */
export const ROUTE_KINDS = ['static', 'learned', 'stop'] as const;
export type RouteKind = (typeof ROUTE_KINDS)[number];

export interface RouteStats {
  readonly family: Family;
  readonly source: string;
  readonly group: string;
  readonly iif: string;
  readonly oifs: readonly string[];
  readonly kind: RouteKind;
  readonly packets: bigint;
  readonly bytes: bigint;
  readonly wrongIf: bigint;
}

export interface InterfaceStats {
  readonly family: Family;
  readonly name: string;
  /** VIF (IPv4) or MIF (IPv6) index. */
  readonly vif: number;
  readonly packetsIn: bigint;
  readonly packetsOut: bigint;
  readonly bytesIn: bigint;
  readonly bytesOut: bigint;
}

export interface StatsSnapshot {
  /** The daemon's monotonic clock in milliseconds when the snapshot was taken: only differences mean anything. */
  readonly time: number;
  /** Kernel MFC entries, in the daemon's table order. */
  readonly routes: readonly RouteStats[];
  /** VIFs, then MIFs, each by index. */
  readonly interfaces: readonly InterfaceStats[];
  /** The routes above counted by kind. */
  readonly counts: Readonly<Record<RouteKind, number>>;
}

export interface StatsState {
  readonly mfc: MfcTable;
  readonly vifs: Readonly<Record<Family, VifTable>>;
  readonly kernel: Kernel;
}

/** One ioctl per installed MFC entry and per VIF/MIF; an entry the kernel no longer knows counts zero. */
export function statsSnapshot(st: StatsState, now: () => number = () => performance.now()): StatsSnapshot {
  const routes: RouteStats[] = [];
  const counts: Record<RouteKind, number> = { static: 0, learned: 0, stop: 0 };
  for (const e of st.mfc.values()) {
    if (!e.installed) continue;
    const oifs = st.vifs[e.family].namesOf(e.ttls);
    const kind: RouteKind = oifs.length === 0 ? 'stop' : e.learned ? 'learned' : 'static';
    counts[kind]++;
    const c = st.kernel.counters(e.family, e.source, e.group);
    routes.push({
      family: e.family,
      source: formatAddr(e.source),
      group: formatAddr(e.group),
      iif: e.iif,
      oifs,
      kind,
      packets: c?.packets ?? 0n,
      bytes: c?.bytes ?? 0n,
      wrongIf: c?.wrongIf ?? 0n,
    });
  }
  const interfaces: InterfaceStats[] = [];
  for (const family of FAMILIES) {
    for (const slot of st.vifs[family].values()) {
      const c = st.kernel.vifCounters(family, slot.vif);
      interfaces.push({
        family,
        name: slot.name,
        vif: slot.vif,
        packetsIn: c?.packetsIn ?? 0n,
        packetsOut: c?.packetsOut ?? 0n,
        bytesIn: c?.bytesIn ?? 0n,
        bytesOut: c?.bytesOut ?? 0n,
      });
    }
  }
  return { time: Math.round(now()), routes, interfaces, counts };
}

/**
 * The snapshot as compact JSON, the reply to IPC 'T'. Counters are 64-bit: each is a JSON number
 * while it is at most 2^53 - 1 (exact in every JSON reader), a decimal string above that.
 */
export function statsJson(s: StatsSnapshot): string {
  return JSON.stringify(s, exactCounters);
}
