// Cheap reads of one namespace's /proc/net files through /proc/PID/net of a process parked inside it,
// so benchmarks can poll the MFC every few ms without spawning `ip netns exec cat`. Reads only.
import { readFileSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { parseIpMrVif } from '../../test/lib/procnet.js';
import type { Lab } from '../../test/lib/netns.js';
import { pollUntil, type Proc } from '../../test/lib/proc.js';

export class NsView {
  private constructor(
    readonly ns: string,
    private readonly anchor: Proc,
  ) {}

  /** Parks `sleep infinity` in ns and waits until it really runs there (setns happens after fork). */
  static async open(lab: Lab, ns: string): Promise<NsView> {
    const anchor = lab.spawn(ns, 'sleep', ['infinity'], { label: `anchor@${ns}` });
    const want = statSync(`/run/netns/${ns}`).ino;
    await pollUntil(
      () => {
        try {
          return statSync(`/proc/${anchor.pid}/ns/net`).ino === want;
        } catch {
          return false;
        }
      },
      {
        timeoutMs: 5000,
        intervalMs: 5,
        what: `anchor process inside ${ns}`,
        abort: () => (anchor.running ? undefined : 'it exited'),
      },
    );
    return new NsView(ns, anchor);
  }

  read(name: string): string {
    return readFileSync(`/proc/${this.anchor.pid}/net/${name}`, 'utf8');
  }

  /** Entries in the IPv4 MFC (resolved or not), from a line count only. */
  mfcCount(): number {
    const text = this.read('ip_mr_cache');
    let lines = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
    return Math.max(0, lines - 1);
  }

  /**
   * The IPv4 MFC, split but not decoded: polling a 10,000-entry table must cost the benchmark
   * little CPU, which it shares with the daemon under test. Match rows with mfcKey().
   */
  mfc(): RawMfc[] {
    const lines = this.read('ip_mr_cache').split('\n');
    const rows: RawMfc[] = [];
    for (let i = 1; i < lines.length; i++) {
      const f = lines[i]!.trim().split(/\s+/);
      if (f.length < 3) continue;
      const iif = Number(f[2]);
      rows.push({
        key: `${f[0]!.toUpperCase()} ${f[1]!.toUpperCase()}`,
        iif,
        resolved: iif >= 0,
        packets: iif >= 0 ? Number(f[3]) : 0,
        oifs: f.slice(6).map((o) => Number(o.split(':')[0])),
      });
    }
    return rows;
  }

  /** VIF number of an interface, or undefined when it has none. */
  vifOf(ifname: string): number | undefined {
    return parseIpMrVif(this.read('ip_mr_vif')).find((v) => v.name === ifname)?.vif;
  }

  /** rx/tx packet counters of an interface, from /proc/net/dev. */
  linkPackets(ifname: string): { rx: number; rxDrop: number; tx: number; txDrop: number } {
    const line = this.read('dev')
      .split('\n')
      .find((l) => l.trim().startsWith(`${ifname}:`));
    if (!line) throw new Error(`no ${ifname} in ${this.ns}`);
    const f = line.split(':')[1]!.trim().split(/\s+/).map(Number);
    return { rx: f[1]!, rxDrop: f[3]!, tx: f[9]!, txDrop: f[11]! };
  }
}

/** One ip_mr_cache row; key is "GROUP ORIGIN" in the file's own hex (see mfcKey). */
export interface RawMfc {
  key: string;
  iif: number;
  resolved: boolean;
  packets: number;
  /** VIF numbers of the outbound interfaces. */
  oifs: number[];
}

/** ip_mr_cache prints an address as its network-order 32 bits read as a host integer, "%08X". */
function procHexV4(addr: string): string {
  const b = addr.split('.').map(Number);
  const n =
    endianness() === 'LE'
      ? (b[3]! << 24) | (b[2]! << 16) | (b[1]! << 8) | b[0]!
      : (b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!;
  return (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/** The RawMfc key of (source, group). */
export function mfcKey(source: string, group: string): string {
  return `${procHexV4(group)} ${procHexV4(source)}`;
}

/** VmRSS and VmHWM of a process, in KiB. */
export function memoryKiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(m[1]);
  };
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}
