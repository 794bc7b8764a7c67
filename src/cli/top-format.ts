// `smcroutectl top`'s arithmetic and layout: the daemon's stats JSON (IPC 'T') read back, rates from
// two samples, sorting, and the text and JSON it prints. Pure: no I/O, no clock, no terminal codes.

import { ROUTE_KINDS, type InterfaceStats, type RouteStats, type StatsSnapshot } from '../daemon/stats.js';
import { FAMILIES } from '../model/addr.js';
import { counterOf, exactCounters } from '../model/json.js';
import { describeError } from '../errors.js';
import { fail, ok, type Result } from '../result.js';

// The daemon's own shapes (daemon/stats.ts), as read back from its JSON: types only, no daemon code.
export type RouteSample = RouteStats;
export type InterfaceSample = InterfaceStats;
/** One stats snapshot as the client holds it; `time` is the daemon's monotonic clock in ms. */
export type Sample = StatsSnapshot;

export interface RouteRate extends RouteSample {
  readonly packetsPerSecond: number;
  readonly bitsPerSecond: number;
}

export interface InterfaceRate extends InterfaceSample {
  readonly packetsInPerSecond: number;
  readonly packetsOutPerSecond: number;
  readonly bitsInPerSecond: number;
  readonly bitsOutPerSecond: number;
}

export interface TopView {
  /** Seconds between the two samples. */
  readonly interval: number;
  /** Fastest first (packets/s, then bits/s); ties by group, then source, as text. */
  readonly routes: readonly RouteRate[];
  /** In the daemon's order: VIFs, then MIFs, by index. */
  readonly interfaces: readonly InterfaceRate[];
  readonly counts: Sample['counts'];
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function counter(v: unknown, what: string): bigint {
  const n = counterOf(v);
  if (n === undefined) throw new Error(`${what}: not a counter`);
  return n;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new Error(`${what}: not a string`);
  return v;
}

function oneOf<T extends string>(v: unknown, values: readonly T[], what: string): T {
  const found = values.find((x) => x === v);
  if (found === undefined) throw new Error(`${what}: not one of ${values.join(', ')}`);
  return found;
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what}: not a number`);
  return v;
}

function list(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what}: not a list`);
  return v as unknown[];
}

function obj(v: unknown, what: string): Json {
  if (!isObject(v)) throw new Error(`${what}: not an object`);
  return v;
}

/** The reply to 'T' (without its NUL), checked field by field. */
export function parseSample(text: string): Result<Sample> {
  try {
    const j = obj(JSON.parse(text) as unknown, 'reply');
    const routes = list(j.routes, 'routes').map((x, i) => {
      const r = obj(x, `routes[${i}]`);
      const at = `routes[${i}]`;
      return {
        family: oneOf(r.family, FAMILIES, `${at}.family`),
        source: str(r.source, `${at}.source`),
        group: str(r.group, `${at}.group`),
        iif: str(r.iif, `${at}.iif`),
        oifs: list(r.oifs, `${at}.oifs`).map((o, k) => str(o, `${at}.oifs[${k}]`)),
        kind: oneOf(r.kind, ROUTE_KINDS, `${at}.kind`),
        packets: counter(r.packets, `${at}.packets`),
        bytes: counter(r.bytes, `${at}.bytes`),
        wrongIf: counter(r.wrongIf, `${at}.wrongIf`),
      };
    });
    const interfaces = list(j.interfaces, 'interfaces').map((x, i) => {
      const r = obj(x, `interfaces[${i}]`);
      const at = `interfaces[${i}]`;
      return {
        family: oneOf(r.family, FAMILIES, `${at}.family`),
        name: str(r.name, `${at}.name`),
        vif: num(r.vif, `${at}.vif`),
        packetsIn: counter(r.packetsIn, `${at}.packetsIn`),
        packetsOut: counter(r.packetsOut, `${at}.packetsOut`),
        bytesIn: counter(r.bytesIn, `${at}.bytesIn`),
        bytesOut: counter(r.bytesOut, `${at}.bytesOut`),
      };
    });
    const c = obj(j.counts, 'counts');
    const counts = {
      static: num(c.static, 'counts.static'),
      learned: num(c.learned, 'counts.learned'),
      stop: num(c.stop, 'counts.stop'),
    };
    return ok({ time: num(j.time, 'time'), routes, interfaces, counts });
  } catch (err) {
    return fail(`bad stats reply from the daemon: ${describeError(err)}`);
  }
}

/**
 * What a counter grew by between two samples. A counter that went down belongs to an entry the
 * kernel made anew (a route deleted and re-learned, a VIF released and made again) since the
 * first sample: all it holds was counted after that, so that is the growth. One that was not
 * there before is new the same way. 64-bit counters do not wrap in practice; this covers it too.
 */
export function growth(before: bigint | undefined, after: bigint): bigint {
  if (before === undefined || after < before) return after;
  return after - before;
}

function perSecond(delta: bigint, seconds: number): number {
  return seconds > 0 ? Number(delta) / seconds : 0;
}

const routeKey = (r: RouteSample) => `${r.family}|${r.source}|${r.group}`;
const ifaceKey = (i: InterfaceSample) => `${i.family}|${i.name}|${i.vif}`;

/** Rates between two samples of the same daemon, `prev` the older. */
export function rates(prev: Sample, cur: Sample): TopView {
  const seconds = (cur.time - prev.time) / 1000;
  const before = new Map(prev.routes.map((r) => [routeKey(r), r]));
  const routes = cur.routes.map((r): RouteRate => {
    const b = before.get(routeKey(r));
    return {
      ...r,
      packetsPerSecond: perSecond(growth(b?.packets, r.packets), seconds),
      bitsPerSecond: perSecond(growth(b?.bytes, r.bytes) * 8n, seconds),
    };
  });
  routes.sort(
    (a, b) =>
      b.packetsPerSecond - a.packetsPerSecond ||
      b.bitsPerSecond - a.bitsPerSecond ||
      textOrder(a.group, b.group) ||
      textOrder(a.source, b.source),
  );
  const ifBefore = new Map(prev.interfaces.map((i) => [ifaceKey(i), i]));
  const interfaces = cur.interfaces.map((i): InterfaceRate => {
    const b = ifBefore.get(ifaceKey(i));
    return {
      ...i,
      packetsInPerSecond: perSecond(growth(b?.packetsIn, i.packetsIn), seconds),
      packetsOutPerSecond: perSecond(growth(b?.packetsOut, i.packetsOut), seconds),
      bitsInPerSecond: perSecond(growth(b?.bytesIn, i.bytesIn) * 8n, seconds),
      bitsOutPerSecond: perSecond(growth(b?.bytesOut, i.bytesOut) * 8n, seconds),
    };
  });
  return { interval: seconds, routes, interfaces, counts: cur.counts };
}

const UNITS = ['', 'k', 'M', 'G', 'T', 'P'];

/** A rate in SI steps of 1000 with three significant digits at most: 0, 12, 999, 1.5k, 12.3M. */
export function human(n: number): string {
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 999.5 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  if (u === 0) return Number.isInteger(v) ? String(v) : v.toFixed(v >= 99.95 ? 0 : 1);
  return v.toFixed(v >= 99.95 ? 0 : v >= 9.995 ? 1 : 2) + (UNITS[u] ?? '');
}

function table(head: readonly string[], rows: readonly (readonly string[])[], rightFrom: number): string[] {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (c >= rightFrom ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

export interface TextOptions {
  /** Lines available (a terminal's height): routes are cut to fit, the interfaces and heading kept. */
  readonly rows?: number;
}

/**
 * The view as plain lines: a summary, the interfaces, then the routes fastest first. With `rows`,
 * routes beyond the height are left out and a last line says how many.
 */
export function formatTop(v: TopView, opts: TextOptions = {}): string[] {
  const c = v.counts;
  const summary = `${v.routes.length} routes (${c.static} static, ${c.learned} learned, ${c.stop} stop), interval ${v.interval.toFixed(1)} s`;
  const ifaces = table(
    ['INTERFACE', 'VIF', 'IN PKT/S', 'IN BIT/S', 'OUT PKT/S', 'OUT BIT/S'],
    v.interfaces.map((i) => [
      i.name,
      `${i.family === 'inet6' ? 'mif' : 'vif'}${i.vif}`,
      human(i.packetsInPerSecond),
      human(i.bitsInPerSecond),
      human(i.packetsOutPerSecond),
      human(i.bitsOutPerSecond),
    ]),
    2,
  );
  const routeRows = (routes: readonly RouteRate[]) =>
    routes.map((r) => [
      r.source,
      r.group,
      r.iif,
      r.kind,
      human(r.packetsPerSecond),
      human(r.bitsPerSecond),
      r.oifs.join(' ') || '-',
    ]);
  const head = ['SOURCE', 'GROUP', 'IIF', 'KIND', 'PKT/S', 'BIT/S', 'OIFS'];
  const lines = [summary, '', ...ifaces, ''];
  const n = v.routes.length;
  if (opts.rows === undefined) return [...lines, ...table(head, routeRows(v.routes), 4)];
  const room = opts.rows - lines.length - 1; // the routes' heading
  if (room >= n) return [...lines, ...table(head, routeRows(v.routes), 4)].slice(0, opts.rows);
  // Only the routes that fit are formatted: a refresh of 50,000 routes shows a screenful.
  const shown = Math.max(room - 1, 0); // one line says what is left out
  const rows = table(head, routeRows(v.routes.slice(0, shown)), 4);
  return [...lines, ...rows, `... ${n - shown} more routes`].slice(0, Math.max(opts.rows, 0));
}

/** Plain string order (no locale): ties between equally fast routes stay cheap to break. */
function textOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The view as JSON for scripts: rates as numbers, counters as the daemon sent them (exact). */
export function topJson(v: TopView): string {
  return JSON.stringify(v, exactCounters);
}
