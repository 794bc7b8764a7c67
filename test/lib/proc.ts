// One child process started by the test harness, with its output kept for assertions and logs.
// Owns spawning, line waits and stopping of that one process; knows nothing about namespaces.
import { spawn, type ChildProcess } from 'node:child_process';

export interface ProcExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ProcOptions {
  /** Short name used in error messages. */
  label?: string;
  /** Keep stdin open as a pipe (for tools that take commands on stdin). */
  stdin?: boolean;
}

export class Proc {
  readonly label: string;
  readonly pid: number;
  /** Complete stdout lines seen so far, in order. */
  readonly lines: string[] = [];
  /** Resolves once, when the process has exited. Never rejects. */
  readonly exited: Promise<ProcExit>;
  private readonly child: ChildProcess;
  private err = '';
  private partial = '';
  private exit: ProcExit | undefined;
  private readonly lineWaiters = new Set<() => void>();

  constructor(cmd: string, args: readonly string[], opts: ProcOptions = {}) {
    this.label = opts.label ?? cmd;
    this.child = spawn(cmd, args, { stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    this.exited = new Promise<ProcExit>((resolve) => {
      // 'close' (not 'exit') so that all output has been read when waiters run.
      this.child.once('close', (code, signal) => {
        if (this.partial) {
          this.lines.push(this.partial);
          this.partial = '';
        }
        this.exit = { code, signal };
        this.notify();
        resolve(this.exit);
      });
      this.child.once('error', (e) => {
        this.err += `spawn failed: ${e.message}\n`;
        this.exit = { code: null, signal: null };
        this.notify();
        resolve(this.exit);
      });
    });
    this.pid = this.child.pid ?? -1;
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => this.onStdout(s));
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      this.err += s;
    });
    // A tool that exits before reading its stdin must not crash the harness with EPIPE.
    this.child.stdin?.on('error', () => {});
  }

  get stdout(): string {
    return this.lines.map((l) => `${l}\n`).join('') + this.partial;
  }
  get stderr(): string {
    return this.err;
  }
  get running(): boolean {
    return this.exit === undefined && this.pid > 0;
  }
  get exitStatus(): ProcExit | undefined {
    return this.exit;
  }

  /** The ends of stdout and stderr, for a failure message. */
  describe(): string {
    const st = this.exit ? ` exited code=${this.exit.code} signal=${this.exit.signal}` : ' running';
    return `[${this.label} pid ${this.pid}${st}]\n--- stdout ---\n${tail(this.stdout)}--- stderr ---\n${tail(this.err)}`;
  }

  write(text: string): void {
    if (!this.child.stdin) throw new Error(`${this.label}: started without stdin`);
    this.child.stdin.write(text);
  }

  closeStdin(): void {
    this.child.stdin?.end();
  }

  /**
   * Waits for a stdout line at index >= from that satisfies pred. Rejects if the
   * process exits or the timeout passes first; the error carries the output.
   */
  waitForLine(pred: (line: string) => boolean, timeoutMs: number, from = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      let next = from;
      const check = (): boolean => {
        for (; next < this.lines.length; next++) {
          const line = this.lines[next]!;
          if (pred(line)) {
            done();
            resolve(line);
            return true;
          }
        }
        if (this.exit) {
          done();
          reject(new Error(`${this.label} exited while waiting for output\n${this.describe()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.label}: no matching output within ${timeoutMs} ms\n${this.describe()}`));
      }, timeoutMs);
      const waiter = (): void => {
        check();
      };
      const done = (): void => {
        clearTimeout(timer);
        this.lineWaiters.delete(waiter);
      };
      if (!check()) this.lineWaiters.add(waiter);
    });
  }

  /** Sends signal, waits up to graceMs, then SIGKILLs. Safe on an exited process. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<ProcExit> {
    if (!this.running) return this.exited;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const st = await this.exited;
    clearTimeout(timer);
    return st;
  }

  /** For exit hooks, which cannot wait. */
  killNow(): void {
    if (this.running) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }

  private onStdout(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop()!;
    if (parts.length === 0) return;
    this.lines.push(...parts);
    this.notify();
  }

  private notify(): void {
    for (const w of [...this.lineWaiters]) w();
  }
}

function tail(text: string, max = 4000): string {
  return text.length <= max ? text : `…${text.slice(-max)}`;
}

/** Polls cond every intervalMs until it returns true; rejects after timeoutMs with what. */
export async function pollUntil(
  cond: () => boolean | Promise<boolean>,
  opts: { timeoutMs: number; what: string; intervalMs?: number; abort?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await cond()) return;
    const why = opts.abort?.();
    if (why !== undefined) throw new Error(`gave up waiting for ${opts.what}: ${why}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}
