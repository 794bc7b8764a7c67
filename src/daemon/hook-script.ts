// The -e hook script: `CMD reload` and `CMD install` (with $source and $group), run without a
// shell, a few at a time and in order, never waited for; each end is logged. Knows no routing.

import { describeError } from '../errors.js';
import type { Logger } from '../log.js';

/** How a run ended: an exit code, a signal, or an error starting it (ENOENT, EACCES, ...). */
export interface ScriptEnd {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error?: unknown;
}

/** Starts one run and reports its end exactly once. The default spawns a process. */
export type ScriptRunner = (
  file: string,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  done: (end: ScriptEnd) => void,
) => void;

export interface HookScriptOptions {
  /** Runs at once; the rest wait in order. Default MAX_RUNNING. */
  readonly maxRunning?: number;
  /** The environment runs start from; default the daemon's. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly run?: ScriptRunner;
}

/**
 * A burst of thousands of new flows must not fork thousands of processes at once (each fork
 * of a Node process with a large heap costs milliseconds of the event loop, and the box its
 * process table), nor lose any: runs beyond this wait in a queue.
 */
export const MAX_RUNNING = 4;
/** A queue this long is worth a warning, once per burst: the script is slower than the flows. */
const BACKLOG_WARNING = 1000;

interface Job {
  readonly arg: 'reload' | 'install';
  readonly vars: Readonly<Record<string, string>>;
}

const spawnRunner: ScriptRunner = (file, args, env, done) => {
  let ended = false;
  const end = (e: ScriptEnd) => {
    if (ended) return;
    ended = true;
    done(e);
  };
  try {
    // The script's output goes where the daemon's goes (the terminal with -n, else nowhere).
    // Taken on first use: node:child_process brings dgram, cluster and more (issue 8's idle footprint).
    const child = process
      .getBuiltinModule('node:child_process')
      .spawn(file, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', (error) => end({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => end({ code, signal }));
  } catch (error) {
    end({ code: null, signal: null, error });
  }
};

export class HookScript {
  private readonly queue: Job[] = [];
  private head = 0;
  private running = 0;
  private warned = false;
  private closed = false;
  private readonly maxRunning: number;
  private readonly baseEnv: Readonly<Record<string, string | undefined>>;
  private readonly run: ScriptRunner;

  constructor(
    /** The command as a path (no shell, no PATH search, as upstream's execv). */
    readonly file: string,
    private readonly log: Logger,
    opts: HookScriptOptions = {},
  ) {
    this.maxRunning = Math.max(1, opts.maxRunning ?? MAX_RUNNING);
    this.run = opts.run ?? spawnRunner;
    // As upstream: the script must not speak for the daemon to systemd, and a reload run must
    // not see the previous install's variables.
    const env = { ...(opts.env ?? process.env) };
    delete env.NOTIFY_SOCKET;
    delete env.source;
    delete env.group;
    this.baseEnv = env;
  }

  /** `CMD reload`: after start-up and after each reload that applied. */
  reload(): void {
    this.enqueue({ arg: 'reload', vars: {} });
  }

  /** `CMD install` for a route learned from a (*,G) rule. */
  install(source: string, group: string): void {
    this.enqueue({ arg: 'install', vars: { source, group } });
  }

  /** Runs started and not yet ended, and runs waiting. */
  get busy(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.queue.length - this.head };
  }

  /** At exit: nothing more starts. Runs under way finish on their own. Returns how many were dropped. */
  close(): number {
    this.closed = true;
    const dropped = this.queue.length - this.head;
    this.queue.length = 0;
    this.head = 0;
    return dropped;
  }

  private enqueue(job: Job): void {
    if (this.closed) return;
    this.queue.push(job);
    const waiting = this.queue.length - this.head;
    if (waiting >= BACKLOG_WARNING && !this.warned) {
      this.warned = true;
      this.log.warning(`Script ${this.file} falls behind: ${waiting} runs waiting, ${this.maxRunning} at a time`);
    }
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.running < this.maxRunning && this.head < this.queue.length) {
      const job = this.queue[this.head++];
      if (job === undefined) break;
      // Reclaim the consumed front now and then, so a long burst costs no O(n) shifts.
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.start(job);
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      this.warned = false;
    }
  }

  private start(job: Job): void {
    this.running++;
    const fields = { script: this.file, arg: job.arg, ...job.vars };
    const what = `${this.file} ${job.arg}`;
    this.log.debug(`Running script ${what}`, fields);
    this.run(this.file, [job.arg], { ...this.baseEnv, ...job.vars }, (end) => {
      this.running--;
      if (end.error !== undefined) this.log.warning(`Cannot run script ${what}: ${describeError(end.error)}`, fields);
      else if (end.signal !== null)
        this.log.warning(`Script ${what} killed by signal ${end.signal}`, { ...fields, signal: end.signal });
      else if (end.code !== 0) this.log.warning(`Script ${what} exited with status ${end.code}`, { ...fields, status: end.code });
      else this.log.debug(`Script ${what} done`, fields);
      // Never from inside run(): a runner failing at once must not recurse through the queue.
      setImmediate(() => this.pump());
    });
  }
}
