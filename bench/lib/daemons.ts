// The two daemons under comparison (this port and Debian's C smcrouted), the lab topology they route in,
// and how to start each with identical options. Every path lives in the lab's temp dir, never /run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PROGRAMS, type Impl } from '../../test/lib/impls.js';
import type { Lab } from '../../test/lib/netns.js';
import { repoPath } from '../../test/lib/paths.js';
import type { Proc } from '../../test/lib/proc.js';
import { buildStar, starPhyints } from '../../test/lib/topology.js';
import { NsView } from './nsview.js';

export type DaemonId = Impl;

export interface DaemonKind {
  id: DaemonId;
  label: string;
  /** argv[0] and leading arguments of the daemon and of its client. */
  daemon: readonly string[];
  client: readonly string[];
}

// Ours runs as operators and systemd run it, through its shebang (node with the launcher's V8 flags);
// ip netns exec and env both exec, so the pid we hold is still the daemon's.
const kind = (id: DaemonId, label: string): DaemonKind => ({
  id,
  label,
  daemon: [PROGRAMS[id].daemon],
  client: [PROGRAMS[id].ctl],
});

export const DAEMONS: readonly DaemonKind[] = [
  kind('upstream', 'upstream C smcrouted'),
  kind('ours', 'our TypeScript smcrouted'),
];

export function kindById(id: DaemonId): DaemonKind {
  return DAEMONS.find((d) => d.id === id)!;
}

/** Why the comparison cannot run here, or undefined. */
export function missingPrerequisite(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, raw sockets)';
  if (!existsSync(PROGRAMS.upstream.daemon)) return "needs Debian's smcroute: apt-get install -y smcroute";
  const built = [repoPath('dist', 'smcrouted.cjs'), repoPath('dist', 'smcroutectl.cjs')];
  if (!built.every((f) => existsSync(f))) return 'build first: npm run build';
  if (spawnSync('python3', ['-c', 'pass']).status !== 0) return 'needs python3 (raw-socket sender)';
  return undefined;
}

/** The tests' star with one receiver (test/lib/topology.ts), on plan 9: its router's inbound and outbound. */
export const IIF = 'r0';
export const OIF = 'r1';
/** The sender's interface (peer of IIF). */
export const SND_IF = 's0';
export const TOPOLOGY = `snd(${SND_IF}) — (${IIF})rtr(${OIF}) — (x0)rx1`;

export interface Topo {
  snd: string;
  rtr: string;
  /** /proc/net views of the router namespace. */
  rtrView: NsView;
  sndView: NsView;
}

/** The star, forwarding on in rtr, rp_filter off everywhere, and the /proc views the measurements poll. */
export async function buildTopo(lab: Lab): Promise<Topo> {
  const { snd, rtr } = buildStar(lab, { net: 9, receivers: 1 });
  // netns.ts turns off rp_filter for all/default; make sure the interfaces made here agree.
  lab.sysctl(rtr, { [`net.ipv4.conf.${IIF}.rp_filter`]: 0, [`net.ipv4.conf.${OIF}.rp_filter`]: 0 });
  return { snd, rtr, rtrView: await NsView.open(lab, rtr), sndView: await NsView.open(lab, snd) };
}

export const PHYINTS = starPhyints(1);

export interface Running {
  kind: DaemonKind;
  proc: Proc;
  conf: string;
  sock: string;
  pidFile: string;
}

/**
 * Starts a daemon in the router namespace without waiting for anything: callers time from here.
 * Both get the same options: foreground, explicit VIFs only, no idle flush, lab-private paths.
 */
export function spawnDaemon(lab: Lab, topo: Topo, kind: DaemonKind, conf: string): Running {
  const sock = lab.path(`${kind.id}.sock`);
  const pidFile = lab.path(`${kind.id}.pid`);
  const args = ['-n', '-N', '-c', '0', '-i', `smct-${lab.id}-${kind.id}`, '-f', conf, '-u', sock, '-P', pidFile];
  const proc = lab.spawn(topo.rtr, kind.daemon[0]!, [...kind.daemon.slice(1), ...args], { label: kind.label });
  return { kind, proc, conf, sock, pidFile };
}

export function versionOf(kind: DaemonKind): string {
  const r = spawnSync(kind.daemon[0]!, [...kind.daemon.slice(1), '-v'], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.split('\n')[0]!.trim();
}
