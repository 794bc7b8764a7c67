// Our smcrouted and smcroutectl in a lab: start the daemon with its files in the lab dir, run the
// client, talk raw bytes to the IPC socket, wait for log lines. Drives bin/ programs only; asserts nothing.
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Daemon, ExecResult, Lab } from './netns.js';
import { pollUntil } from './proc.js';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
export const SMCROUTED = join(ROOT, 'bin', 'smcrouted');
export const SMCROUTECTL = join(ROOT, 'bin', 'smcroutectl');

export interface Ours {
  daemon: Daemon;
  /** The config file path (rewrite it with lab.writeFile(`${name}.conf`, ...)). */
  conf: string;
  sock: string;
  pid: string;
}

/** Starts bin/smcrouted in the foreground at debug level; ready once its PID file and socket exist. */
export async function startOurs(lab: Lab, ns: string, conf: string, extra: readonly string[] = [], name = 'smcrouted'): Promise<Ours> {
  const cfg = lab.writeFile(`${name}.conf`, conf);
  const sock = lab.path(`${name}.sock`);
  const pid = lab.path(`${name}.pid`);
  const daemon = await lab.startDaemon({
    ns, cmd: SMCROUTED, args: ['-n', '-l', 'debug', '-i', `smct-${lab.id}`, '-f', cfg, '-u', sock, '-P', pid, ...extra],
    readyFiles: [pid, sock], label: name,
  });
  return { daemon, conf: cfg, sock, pid };
}

/** bin/smcroutectl -u SOCK ARGS inside the namespace; the caller checks the status. */
export function ctlRun(lab: Lab, ns: string, sock: string, ...args: string[]): ExecResult {
  return lab.exec(ns, SMCROUTECTL, ['-u', sock, ...args], { check: false });
}

/** bin/smcroutectl; throws with its stderr unless it exits 0. */
export function ctl(lab: Lab, ns: string, sock: string, ...args: string[]): string {
  const r = ctlRun(lab, ns, sock, ...args);
  if (r.status !== 0) throw new Error(`smcroutectl ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** `smcroutectl -j show WHAT`, parsed. */
export function ctlJson<T>(lab: Lab, ns: string, sock: string, what: string): T {
  return JSON.parse(ctl(lab, ns, sock, '-j', 'show', what)) as T;
}

export interface RawReply {
  /** Everything the daemon sent before closing. */
  bytes: Buffer;
  /** Set when the connection ended with an error (e.g. ECONNRESET) rather than a clean close. */
  error?: string;
}

/**
 * Connects to an IPC socket, writes the chunks as they are, half-closes (unless keepOpen), and
 * collects the reply until the daemon closes. Rejects only when nothing closes within timeoutMs.
 */
export function rawIpc(path: string, chunks: readonly Buffer[], opts: { keepOpen?: boolean; timeoutMs?: number } = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection({ path });
    const got: Buffer[] = [];
    let error: string | undefined;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`IPC connection to ${path} not closed within ${opts.timeoutMs ?? 10_000} ms; got ${Buffer.concat(got).length} bytes`));
    }, opts.timeoutMs ?? 10_000);
    sock.on('data', (c: Buffer) => got.push(c));
    sock.on('error', (e: NodeJS.ErrnoException) => { error = e.code ?? e.message; });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes: Buffer.concat(got), error });
    });
    sock.once('connect', () => {
      for (const c of chunks) sock.write(c);
      if (!opts.keepOpen) sock.end();
    });
  });
}

/** Lines of the daemon's log (stdout and stderr) so far. */
export function logLines(d: Daemon): string[] {
  return d.logs.split('\n').filter((l) => l.length > 0);
}

/** Waits until a log line matches; returns it. Throws with the log on timeout. */
export async function waitLog(d: Daemon, re: RegExp, timeoutMs = 10_000, from = 0): Promise<string> {
  let hit: string | undefined;
  try {
    await pollUntil(() => (hit = logLines(d).slice(from).find((l) => re.test(l))) !== undefined, { timeoutMs, what: `log line ${re}` });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- log ---\n${d.logs}`);
  }
  return hit!;
}

/**
 * Polls fn until it returns something other than undefined or false; returns that.
 * On timeout the error carries `state()`, to show what was there instead.
 */
export async function eventually<T>(what: string, fn: () => T | undefined | false, opts: { timeoutMs?: number; state?: () => string } = {}): Promise<T> {
  let value: T | undefined | false;
  try {
    await pollUntil(() => (value = fn()) !== undefined && value !== false, { timeoutMs: opts.timeoutMs ?? 10_000, what });
  } catch (e) {
    throw new Error(`${(e as Error).message}${opts.state ? `\nstate: ${opts.state()}` : ''}`);
  }
  return value as T;
}
