// Test labs built from network namespaces and veth pairs: sysctls, addresses, and processes inside them.
// A Lab only ever acts on namespaces it created, and deletes all of them: on cleanup, exit, signal or hard kill.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { contains, parseAddr, parsePrefix } from '../../src/model/addr.js';
import { pollUntil, Proc, type ProcExit } from './proc.js';

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Why kernel tests cannot run here, or undefined when they can. */
export function rootSkipReason(): string | undefined {
  return isRoot() ? undefined : 'needs root to create network namespaces (run the kernel tests as root)';
}

/** Marks t skipped when not root; returns true when the caller should return at once. */
export function skipUnlessRoot(t: TestContext): boolean {
  const why = rootSkipReason();
  if (why === undefined) return false;
  t.skip(why);
  return true;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  status: number | null;
}

/** Runs a command to completion; by default throws, with its output, unless it exits 0. */
export function run(cmd: string, args: readonly string[], opts: { input?: string; check?: boolean } = {}): ExecResult {
  const r = spawnSync(cmd, args, { input: opts.input, encoding: 'utf8', maxBuffer: 64 << 20 });
  const res = { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status };
  if ((opts.check ?? true) && (r.error || r.status !== 0)) {
    const why = r.error ? r.error.message : `exit ${r.status ?? r.signal}`;
    throw new Error(`${cmd} ${args.join(' ')}: ${why}\n${res.stderr}${res.stdout}`);
  }
  return res;
}

// Namespace and temp dir names carry the creating pid, so leftovers of a killed run can be
// told apart from those of a run still going (for example another test file in parallel).
const PREFIX = 'smct-';
const OWNED_RE = /^smct-p(\d+)-[0-9a-f]+(-|$)/;
const ROLE_RE = /^[a-z][a-z0-9]{0,7}$/;
const IFNAME_MAX = 15;

const BASE_SYSCTLS: Readonly<Record<string, string>> = {
  // Sources in tests are rarely reachable by unicast routes; reverse-path checks would drop them.
  'net.ipv4.conf.all.rp_filter': '0',
  'net.ipv4.conf.default.rp_filter': '0',
  // Addresses must be usable the moment they are added, link-local ones included.
  'net.ipv6.conf.all.accept_dad': '0',
  'net.ipv6.conf.default.accept_dad': '0',
};

const FORWARDING_SYSCTLS: Readonly<Record<string, string>> = {
  'net.ipv4.conf.all.forwarding': '1',
  'net.ipv6.conf.all.forwarding': '1',
};

export interface NsOptions {
  /** Turn on IPv4/IPv6 forwarding (for router namespaces). */
  forwarding?: boolean;
  /** Extra sysctls, applied after the defaults. */
  sysctls?: Readonly<Record<string, string | number>>;
}

export interface VethEnd {
  ns: string;
  ifname: string;
}

export interface DaemonSpec {
  ns: string;
  cmd: string;
  args: readonly string[];
  /** Ready when all these exist (regular files must also be non-empty, e.g. a PID file). */
  readyFiles?: readonly string[];
  /** Ready when a stdout line matches. */
  readyLine?: RegExp;
  timeoutMs?: number;
  label?: string;
}

/** A long-running program inside a namespace. */
export class Daemon {
  constructor(readonly proc: Proc) {}
  get pid(): number {
    return this.proc.pid;
  }
  /** stdout and stderr so far. */
  get logs(): string {
    return this.proc.stdout + this.proc.stderr;
  }
  get running(): boolean {
    return this.proc.running;
  }
  stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<ProcExit> {
    return this.proc.stop(signal, graceMs);
  }
}

const live = new Set<Lab>();
let hooksInstalled = false;

export class Lab {
  readonly id: string;
  /** A private temp directory for configs, sockets and PID files; removed by cleanup. */
  readonly dir: string;
  private readonly namespaces: string[] = [];
  private readonly procs: Proc[] = [];
  private cleaning: Promise<void> | undefined;
  private gone = false;

  constructor() {
    installHooks();
    this.id = randomBytes(3).toString('hex');
    this.dir = mkdtempSync(join(tmpdir(), `${PREFIX}p${process.pid}-${this.id}-`));
    live.add(this);
  }

  /** Creates a namespace with lo up and the test sysctls; returns its name. */
  addNs(role: string, opts: NsOptions = {}): string {
    if (!ROLE_RE.test(role)) throw new Error(`bad namespace role ${JSON.stringify(role)}: want ${ROLE_RE}`);
    this.alive();
    const ns = `${PREFIX}p${process.pid}-${this.id}-${role}`;
    if (this.namespaces.includes(ns)) throw new Error(`namespace role ${role} already used in this lab`);
    run('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    this.sysctl(ns, { ...BASE_SYSCTLS, ...(opts.forwarding ? FORWARDING_SYSCTLS : {}), ...opts.sysctls });
    return ns;
  }

  /** Creates a veth pair between two of this lab's namespaces (or within one) and sets both ends up. */
  veth(a: VethEnd, b: VethEnd): void {
    for (const end of [a, b]) {
      this.own(end.ns);
      if (end.ifname.length === 0 || end.ifname.length > IFNAME_MAX || /[\s/:]/.test(end.ifname)) {
        throw new Error(`bad interface name ${JSON.stringify(end.ifname)}`);
      }
    }
    // Created directly inside the namespaces, so the host never sees these names.
    run('ip', ['-n', a.ns, 'link', 'add', a.ifname, 'type', 'veth', 'peer', 'name', b.ifname, 'netns', b.ns]);
    this.ip(a.ns, 'link', 'set', a.ifname, 'up');
    this.ip(b.ns, 'link', 'set', b.ifname, 'up');
  }

  /**
   * Adds addresses ("10.1.2.3/24", "fd00::1/64") in one `ip -b` batch; IPv6 ones without DAD.
   * arpOff first marks the interface NOARP: no ARP/ND on it, and IPv6 adds then skip the
   * solicited-node joins that make 10,000 adds take a minute instead of a second. Right for
   * interfaces that only send multicast from many sources.
   */
  addAddrs(ns: string, ifname: string, cidrs: readonly string[], opts: { arpOff?: boolean } = {}): void {
    this.own(ns);
    for (const c of cidrs) checkTestAddr(c);
    const lines = cidrs.map((c) => `address add ${c} dev ${ifname}${c.includes(':') ? ' nodad' : ''}\n`);
    if (opts.arpOff) lines.unshift(`link set ${ifname} arp off\n`);
    if (lines.length > 0) run('ip', ['-n', ns, '-b', '-'], { input: lines.join('') });
  }

  sysctl(ns: string, settings: Readonly<Record<string, string | number>>): void {
    const pairs = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
    if (pairs.length > 0) this.exec(ns, 'sysctl', ['-q', '-w', ...pairs]);
  }

  /** `ip -n NS ARGS...`; returns stdout. */
  ip(ns: string, ...args: string[]): string {
    this.own(ns);
    return run('ip', ['-n', ns, ...args]).stdout;
  }

  /** Runs a command inside a namespace to completion. */
  exec(ns: string, cmd: string, args: readonly string[] = [], opts: { input?: string; check?: boolean } = {}): ExecResult {
    this.own(ns);
    return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
  }

  /** Starts a command inside a namespace; the lab stops it at cleanup if still running. */
  spawn(ns: string, cmd: string, args: readonly string[] = [], opts: { label?: string; stdin?: boolean } = {}): Proc {
    this.own(ns);
    // `ip netns exec` execs the command, so the pid we hold is the command's own.
    const p = new Proc('ip', ['netns', 'exec', ns, cmd, ...args], { label: opts.label ?? cmd, stdin: opts.stdin });
    this.procs.push(p);
    return p;
  }

  /** Starts a daemon and waits until it is ready; on failure stops it and throws with its logs. */
  async startDaemon(spec: DaemonSpec): Promise<Daemon> {
    const proc = this.spawn(spec.ns, spec.cmd, spec.args, { label: spec.label ?? spec.cmd });
    const timeoutMs = spec.timeoutMs ?? 10_000;
    try {
      if (spec.readyLine) await proc.waitForLine((l) => spec.readyLine!.test(l), timeoutMs);
      await pollUntil(() => (spec.readyFiles ?? []).every(fileReady), {
        timeoutMs,
        what: `${proc.label} ready files ${(spec.readyFiles ?? []).join(', ')}`,
        abort: () => (proc.running ? undefined : 'it exited'),
      });
    } catch (e) {
      await proc.stop('SIGKILL');
      const why = (e as Error).message.split('\n')[0];
      throw new Error(`${proc.label} did not become ready: ${why}\n${proc.describe()}`, { cause: e });
    }
    return new Daemon(proc);
  }

  /** Writes a file into the lab's temp dir; returns its path. */
  writeFile(name: string, content: string): string {
    const p = this.path(name);
    writeFileSync(p, content);
    return p;
  }

  path(name: string): string {
    if (name.includes('/')) throw new Error(`lab file names are plain: ${name}`);
    return join(this.dir, name);
  }

  /** Stops processes (TERM, then KILL), deletes namespaces and the temp dir. Safe to call again. */
  cleanup(): Promise<void> {
    this.cleaning ??= (async () => {
      await Promise.all(this.procs.map((p) => p.stop('SIGTERM', 2000)));
      this.teardown();
    })();
    return this.cleaning;
  }

  /** The synchronous cleanup for exit and signal hooks. */
  cleanupNow(): void {
    for (const p of this.procs) p.killNow();
    this.teardown();
  }

  private teardown(): void {
    if (this.gone) return;
    this.gone = true;
    for (const ns of this.namespaces) removeNamespace(ns);
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  private own(ns: string): void {
    this.alive();
    if (!this.namespaces.includes(ns)) throw new Error(`namespace ${ns} does not belong to this lab`);
  }

  private alive(): void {
    if (this.gone || this.cleaning) throw new Error('lab already cleaned up');
  }
}

/** Runs fn with a fresh lab and always cleans it up, also when fn throws. */
export async function withLab<T>(fn: (lab: Lab) => Promise<T> | T): Promise<T> {
  const lab = new Lab();
  try {
    return await fn(lab);
  } finally {
    await lab.cleanup();
  }
}

// Test addresses stay in 10.0.0.0/8 and fd00::/8, so traffic can only ever be meant for a lab.
const TEST_NETS = ['10.0.0.0/8', 'fd00::/8'].map((t) => {
  const p = parsePrefix(t);
  if (!p.ok) throw new Error(p.error);
  return p.value;
});

function checkTestAddr(cidr: string): void {
  const addr = parseAddr(cidr.split('/')[0]!);
  if (!addr || !TEST_NETS.some((n) => contains(n, addr))) {
    throw new Error(`test address ${cidr} is outside 10.0.0.0/8 and fd00::/8`);
  }
}

function fileReady(path: string): boolean {
  try {
    const st = statSync(path);
    return st.isSocket() || st.size > 0;
  } catch {
    return false;
  }
}

/** Kills what still runs inside (our processes' children), then deletes the namespace. */
function removeNamespace(ns: string): void {
  const pids = run('ip', ['netns', 'pids', ns], { check: false }).stdout.split(/\s+/).filter(Boolean);
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  run('ip', ['netns', 'del', ns], { check: false });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the namespaces and temp dirs of the lab owners (by pid) that match. */
export function reapOwners(match: (ownerPid: number) => boolean): void {
  for (const line of run('ip', ['netns', 'list'], { check: false }).stdout.split('\n')) {
    const ns = line.split(' ')[0] ?? '';
    const m = OWNED_RE.exec(ns);
    if (m && match(Number(m[1]))) removeNamespace(ns);
  }
  for (const name of readdirSync(tmpdir())) {
    const m = OWNED_RE.exec(name);
    if (m && match(Number(m[1]))) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

/**
 * Cleanup in three layers. The exit and signal hooks clean up at once in the usual cases.
 * They cannot run when the process dies hard (SIGKILL, or a test runner child that crashes
 * on EPIPE after its parent left, while busy in synchronous code), so a detached janitor
 * waits for this process to die and removes whatever is left. Should the janitor itself be
 * killed, the first lab of a later run reaps owners that no longer exist.
 */
function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  if (isRoot()) {
    reapOwners((pid) => !pidAlive(pid));
    startJanitor();
  }
  process.on('exit', () => {
    for (const lab of [...live]) lab.cleanupNow();
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      for (const lab of [...live]) lab.cleanupNow();
      // Keep the signal's usual outcome unless someone else (e.g. the test runner) handles it.
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}

function startJanitor(): void {
  const janitor = fileURLToPath(new URL('./janitor.js', import.meta.url));
  // Own session, so signals to our process group do not reach it; its stdin is a pipe whose
  // only writer is this process, so it reads EOF exactly when we are gone.
  const child = spawn(process.execPath, [janitor, String(process.pid)], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.unref();
  (child.stdin as Socket).unref();
}
