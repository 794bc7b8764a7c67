// Multicast traffic for lab tests: receivers counting tokened datagrams per (source, group), and senders.
// Drives mcast-tool.js inside a lab's namespaces; it never addresses anything outside them.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { canon } from './fixtures.js';
import type { FlowCount, RecvReport, RecvSpec, SendSpec } from './mcast-tool.js';
import type { Lab } from './netns.js';
import { pollUntil, type Proc } from './proc.js';

const TOOL = fileURLToPath(new URL('./mcast-tool.js', import.meta.url));

export const DEFAULT_PORT = 5000;
/** Well above 1, so forwarding is never limited by TTL unless a test wants it. */
export const DEFAULT_TTL = 8;

export function newToken(): string {
  return randomBytes(8).toString('hex');
}

/** Used when a test gives no token: unique per test process, so other runs' traffic never counts. */
export const RUN_TOKEN = newToken();

/** What a receiver counted. */
export class Counts {
  readonly flows: readonly FlowCount[];
  constructor(
    flows: readonly FlowCount[],
    readonly stray: number,
  ) {
    this.flows = flows.map((f) => ({ ...f, source: canon(f.source), group: canon(f.group) }));
  }

  /** Datagrams to group, from source or, without one, from any source. */
  of(group: string, source?: string): number {
    const g = canon(group);
    const s = source === undefined ? undefined : canon(source);
    return this.flows.filter((f) => f.group === g && (s === undefined || f.source === s)).reduce((n, f) => n + f.count, 0);
  }

  get total(): number {
    return this.flows.reduce((n, f) => n + f.count, 0);
  }

  /** A short summary for assertion messages: large runs have thousands of flows. */
  toString(): string {
    const shown = 10;
    const rows = this.flows.slice(0, shown).map((f) => `(${f.source},${f.group})=${f.count}`);
    if (this.flows.length > shown) rows.push(`… ${this.flows.length - shown} more flows`);
    return `${this.total} datagrams: ${rows.join(' ') || 'none'}; stray ${this.stray}`;
  }
}

export interface Join {
  group: string;
  /** For SSM joins. */
  source?: string;
}

export interface ReceiverOptions {
  ns: string;
  iface: string;
  joins: readonly Join[];
  port?: number;
  token?: string;
  label?: string;
  timeoutMs?: number;
}

let specSeq = 0;

function spawnTool(lab: Lab, ns: string, spec: RecvSpec | SendSpec, label: string, stdin: boolean): Proc {
  // Through a file: argv cannot carry the source lists of large runs.
  const file = lab.writeFile(`mcast-${spec.mode}-${++specSeq}.json`, JSON.stringify(spec));
  return lab.spawn(ns, process.execPath, [TOOL, `@${file}`], { label, stdin });
}

function parseEvent(line: string): { event?: string } {
  try {
    return JSON.parse(line) as { event?: string };
  } catch {
    return {};
  }
}

/** The spec fields receivers and senders share, defaults filled in so both ends agree. */
function endpoint(opts: { iface: string; port?: number; token?: string }): { iface: string; port: number; token: string } {
  return { iface: opts.iface, port: opts.port ?? DEFAULT_PORT, token: opts.token ?? RUN_TOKEN };
}

/** A receiver process inside a namespace; joined and listening once start() resolves. */
export class Receiver {
  private constructor(private readonly proc: Proc) {}

  static async start(lab: Lab, opts: ReceiverOptions): Promise<Receiver> {
    const spec: RecvSpec = {
      mode: 'recv',
      ...endpoint(opts),
      joins: opts.joins.map((j) => ({ ...j })),
    };
    const proc = spawnTool(lab, opts.ns, spec, opts.label ?? `recv@${opts.iface}`, true);
    await proc.waitForLine((l) => parseEvent(l).event === 'ready', opts.timeoutMs ?? 10_000);
    return new Receiver(proc);
  }

  /** The counts so far; the receiver keeps running. */
  async report(timeoutMs = 5000): Promise<Counts> {
    const from = this.proc.lines.length;
    this.proc.write('report\n');
    return toCounts(await this.proc.waitForLine((l) => parseEvent(l).event === 'report', timeoutMs, from));
  }

  /** Polls the counts until pred holds; throws with the last counts on timeout. */
  async waitFor(pred: (c: Counts) => boolean, timeoutMs = 10_000): Promise<Counts> {
    let last: Counts | undefined;
    try {
      await pollUntil(async () => pred((last = await this.report())), {
        timeoutMs,
        intervalMs: 100,
        what: `${this.proc.label} counts`,
      });
    } catch (e) {
      throw new Error(`${(e as Error).message}; last counts: ${last?.toString() ?? 'none'}`, { cause: e });
    }
    return last!;
  }

  /** Stops the receiver and returns its final counts. */
  async stop(timeoutMs = 5000): Promise<Counts> {
    const from = this.proc.lines.length;
    this.proc.closeStdin();
    const line = await this.proc.waitForLine((l) => parseEvent(l).event === 'final', timeoutMs, from);
    await this.proc.exited;
    return toCounts(line);
  }
}

function toCounts(line: string): Counts {
  const r = JSON.parse(line) as RecvReport;
  return new Counts(r.flows, r.stray);
}

export interface SendOptions {
  ns: string;
  /** Outgoing interface (IP_MULTICAST_IF / IPV6_MULTICAST_IF). */
  iface: string;
  groups: string | readonly string[];
  /** Bind to these source addresses, one socket each (they must be on iface); default: kernel's choice. */
  sources?: string | readonly string[];
  /** Datagrams per (source, group); default 1. */
  count?: number;
  ttl?: number;
  port?: number;
  token?: string;
  intervalMs?: number;
  /** Sockets open at once when sending from many sources. */
  parallel?: number;
  timeoutMs?: number;
}

/** Sends and waits until all datagrams are out; returns how many were sent. */
export async function send(lab: Lab, opts: SendOptions): Promise<number> {
  const groups = typeof opts.groups === 'string' ? [opts.groups] : [...opts.groups];
  const sources = opts.sources === undefined ? undefined : typeof opts.sources === 'string' ? [opts.sources] : [...opts.sources];
  const spec: SendSpec = {
    mode: 'send',
    ...endpoint(opts),
    groups,
    sources,
    count: opts.count ?? 1,
    ttl: opts.ttl ?? DEFAULT_TTL,
    intervalMs: opts.intervalMs,
    parallel: opts.parallel,
  };
  const proc = spawnTool(lab, opts.ns, spec, `send@${opts.iface}`, false);
  const line = await proc.waitForLine((l) => parseEvent(l).event === 'sent', opts.timeoutMs ?? 30_000);
  const st = await proc.exited;
  if (st.code !== 0) throw new Error(`sender failed\n${proc.describe()}`);
  return (JSON.parse(line) as { datagrams: number }).datagrams;
}
