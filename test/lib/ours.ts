// Our smcrouted and smcroutectl in a lab: start the daemon with its files in the lab dir, run the
// client, talk raw bytes to the IPC socket, wait for log lines. Drives bin/ programs only; asserts nothing.
import { ctlRun as implCtlRun, PROGRAMS } from './impls.js';
import type { Daemon, ExecResult, Lab } from './netns.js';
import { pollUntil } from './proc.js';

export { rawIpc, type RawReply } from './impls.js';
export const SMCROUTED = PROGRAMS.ours.daemon;
export const SMCROUTECTL = PROGRAMS.ours.ctl;

export interface Ours {
  daemon: Daemon;
  /** The config file path (rewrite it with lab.writeFile(`${name}.conf`, ...)). */
  conf: string;
  sock: string;
  pid: string;
}

/** Starts bin/smcrouted in the foreground at debug level; ready once its PID file and socket exist. */
export async function startOurs(
  lab: Lab,
  ns: string,
  conf: string,
  extra: readonly string[] = [],
  name = 'smcrouted',
): Promise<Ours> {
  const cfg = lab.writeFile(`${name}.conf`, conf);
  const sock = lab.path(`${name}.sock`);
  const pid = lab.path(`${name}.pid`);
  const daemon = await lab.startDaemon({
    ns,
    cmd: SMCROUTED,
    args: ['-n', '-l', 'debug', '-i', `smct-${lab.id}`, '-f', cfg, '-u', sock, '-P', pid, ...extra],
    readyFiles: [pid, sock],
    label: name,
  });
  return { daemon, conf: cfg, sock, pid };
}

/** bin/smcroutectl -u SOCK ARGS inside the namespace; the caller checks the status. */
export function ctlRun(lab: Lab, ns: string, sock: string, ...args: string[]): ExecResult {
  return implCtlRun(lab, ns, 'ours', sock, args);
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

/** Lines of the daemon's log (stdout and stderr) so far. */
export function logLines(d: Daemon): string[] {
  return d.logs.split('\n').filter((l) => l.length > 0);
}

/** Waits until a log line matches; returns it. Throws with the log on timeout. */
export async function waitLog(d: Daemon, re: RegExp, timeoutMs = 10_000, from = 0): Promise<string> {
  let hit: string | undefined;
  try {
    await pollUntil(
      () =>
        (hit = logLines(d)
          .slice(from)
          .find((l) => re.test(l))) !== undefined,
      { timeoutMs, what: `log line ${re}` },
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- log ---\n${d.logs}`, { cause: e });
  }
  return hit!;
}

/**
 * Polls fn until it returns something other than undefined or false; returns that.
 * On timeout the error carries `state()`, to show what was there instead.
 */
export async function eventually<T>(
  what: string,
  fn: () => T | undefined | false,
  opts: { timeoutMs?: number; state?: () => string } = {},
): Promise<T> {
  let value: T | undefined | false;
  try {
    await pollUntil(() => (value = fn()) !== undefined && value !== false, { timeoutMs: opts.timeoutMs ?? 10_000, what });
  } catch (e) {
    throw new Error(`${(e as Error).message}${opts.state ? `\nstate: ${opts.state()}` : ''}`, { cause: e });
  }
  return value as T;
}
