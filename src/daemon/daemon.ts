// Wires the router to its inputs: the config file, the IPC socket, kernel
// upcalls and link events, signals and the expiry timer; owns the PID file.
// Every input is handled to completion before the next (one event loop).

import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import type { Diagnostic } from '../conf/directives.js';
import type { ConfFs } from '../conf/parse.js';
import { KernelError, describeError } from '../errors.js';
import type { Control } from '../ipc/control.js';
import { startIpcServer, type IpcServer } from '../ipc/server.js';
import type { Kernel } from '../kernel/types.js';
import type { Logger } from '../log.js';
import type { GroupsSnapshot, InterfacesSnapshot, PendingView, RoutesSnapshot, ShowMode } from '../show/types.js';
import { ConfReader, formatDiagnostic } from './config.js';
import type { Command } from '../model/intents.js';
import type { Valid } from '../model/validate.js';
import { fail, ok, type Result } from '../result.js';
import { compactSoon } from './heap.js';
import { Router } from './router.js';

export interface DaemonOptions {
  readonly confFile: string;
  readonly pidFile: string;
  readonly sockFile: string;
  readonly table: number;
  /** Seconds between flushes of idle learned routes; 0 disables. */
  readonly cacheTimeout: number;
}

/** sysexits.h codes the daemon exits with. */
export const EX = {
  OK: 0,
  USAGE: 64,
  SOFTWARE: 70,
  OSERR: 71,
  CANTCREAT: 73,
  NOPERM: 77,
  CONFIG: 78,
  UNAVAILABLE: 69,
  PROTOCOL: 76,
} as const;

export class Daemon implements Control {
  readonly router: Router;
  private readonly reader: ConfReader;
  private server?: IpcServer;
  private timer?: NodeJS.Timeout;
  private stopping?: Promise<void>;
  private resolveExit!: (code: number) => void;
  /** Resolves with the exit code once the daemon has stopped. */
  readonly exited: Promise<number>;

  constructor(
    private readonly kernel: Kernel,
    private readonly log: Logger,
    private readonly opts: DaemonOptions,
    fs: ConfFs,
  ) {
    this.router = new Router(kernel, log, { table: opts.table, cacheTimeout: opts.cacheTimeout });
    this.reader = new ConfReader(fs);
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  /** Opens the kernel, applies the config, starts serving. Returns an exit code on failure. */
  async start(): Promise<number | undefined> {
    const failures = this.router.start();
    for (const f of failures) this.log.warning(`Cannot open ${f.op}: ${describeOpenError(f)}`);
    if (failures.length === 2) {
      const busy = failures.some((f) => f.code === 'EADDRINUSE');
      this.log.err(
        busy ? 'Another multicast routing application is already running.' : 'Kernel does not support multicast routing.',
      );
      this.kernel.shutdown();
      return busy ? EX.UNAVAILABLE : EX.PROTOCOL;
    }
    this.kernel.onUpcall((batch) => this.guard('Handling kernel upcalls', () => this.router.upcalls(batch)));
    this.kernel.onLinkChange(() => this.guard('Handling an interface change', () => this.router.linksChanged()));

    try {
      this.server = await startIpcServer(this.opts.sockFile, this, {
        log: {
          warn: (fields, m) => this.log.warning(m, fields),
          debug: (fields, m) => this.log.debug(m, fields),
        },
      });
    } catch (err) {
      this.log.err(`Failed binding IPC socket ${this.opts.sockFile}, client disabled: ${describeError(err)}`);
    }

    this.applyConfig(true);
    if (this.opts.cacheTimeout > 0) {
      this.timer = setInterval(
        () =>
          this.guard('Expiring idle routes', () => {
            const n = this.router.expire();
            if (n > 0) this.log.info(`Cache timeout, flushed ${n} unused (*,G) routes`);
          }),
        this.opts.cacheTimeout * 1000,
      );
    }
    this.writePidFile();
    return undefined;
  }

  /**
   * Reads the config and applies it. At start-up the good lines apply even
   * when others are broken, as upstream. On reload the file is taken whole
   * or not at all: an unreadable file or any broken line keeps the running
   * configuration, so a half-written edit never cuts traffic.
   */
  private applyConfig(initial: boolean): Result {
    const file = this.opts.confFile;
    const loaded = this.reader.read(file);
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
    for (const d of loaded.diagnostics) {
      if (d.severity === 'error') this.log.err(formatDiagnostic(d));
      else this.log.warning(formatDiagnostic(d));
    }
    if (!initial && (loaded.files.length === 0 || errors.length > 0)) {
      const n = errors.length;
      const why = loaded.files.length === 0 ? `cannot read ${file}` : `${n} error${n > 1 ? 's' : ''} in ${file}`;
      const headline = `Reload refused, ${why}; the running configuration is kept`;
      this.log.err(headline);
      return fail([headline, ...errorLines(errors)].join('\n'));
    }
    if (initial && loaded.files.length === 0) this.log.notice('Continuing anyway, waiting for client to connect.');
    loaded.accept();
    this.router.loadConfig(loaded.intents);
    const s = this.router.stats();
    this.log.notice(`Configuration ${file} applied: ${s.rules} rules, ${s.mfc} kernel routes, ${s.joins} group memberships`);
    compactSoon();
    return ok();
  }

  /**
   * Runs one event's handling; an unexpected failure (say, a kernel call
   * failing with EMFILE) is logged and the daemon serves on with the state
   * it has, rather than dying with every route.
   */
  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.err(`${what} failed: ${describeError(err)}`);
    }
  }

  private writePidFile(): void {
    try {
      writeFileSync(this.opts.pidFile, `${process.pid}\n`);
    } catch (err) {
      this.log.err(`Failed writing PID file ${this.opts.pidFile}: ${describeError(err)}`);
    }
  }

  /** SIGHUP and `smcroutectl reload`; the reason when the new file was refused. */
  reloadConfig(): Result {
    this.log.notice('Reloading configuration');
    let applied: Result = fail('Reload failed, see the log');
    this.guard('Reloading', () => {
      applied = this.applyConfig(false);
    });
    if (!applied.ok) return applied;
    try {
      const now = new Date();
      utimesSync(this.opts.pidFile, now, now);
    } catch {
      this.writePidFile();
    }
    return ok();
  }

  /** SIGTERM/SIGINT and `smcroutectl kill`: leave groups, close tables, remove files. */
  stop(code: number = EX.OK): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      this.log.notice('Exiting.');
      if (this.timer) clearInterval(this.timer);
      this.router.stop();
      this.kernel.shutdown();
      await this.server?.close();
      rmSync(this.opts.pidFile, { force: true });
      this.resolveExit(code);
    })();
    return this.stopping;
  }

  // ---- Control: what smcroutectl asks for ----

  command(req: Valid<Command>): Result {
    const { op, intent } = req.value;
    for (const w of req.warnings) this.log.warning(`ipc: ${w}`, { cmd: op, iif: intent.iif });
    const res = this.router.command(req.value);
    return res.ok ? ok() : res;
  }

  flush(): Result {
    const n = this.router.flush();
    this.log.info(`Flushed ${n} learned routes`);
    return ok();
  }

  reload(): Result {
    return this.reloadConfig();
  }

  kill(): Result {
    setImmediate(() => void this.stop());
    return ok();
  }

  showRoutes(mode: ShowMode): RoutesSnapshot {
    return this.router.showRoutes(mode);
  }

  showGroups(): GroupsSnapshot {
    return this.router.showGroups();
  }

  showInterfaces(): InterfacesSnapshot {
    return this.router.showInterfaces();
  }

  showPending(): readonly PendingView[] {
    return this.router.showPending();
  }
}

/** How many of a refused reload's errors the reply lists, as `-F` would print them. */
const MAX_LISTED_ERRORS = 20;

/** The errors as `file:line: error: message` lines for the operator, the first 20 and a count. */
function errorLines(errors: readonly Diagnostic[]): string[] {
  const lines = errors.slice(0, MAX_LISTED_ERRORS).map(formatDiagnostic);
  const more = errors.length - MAX_LISTED_ERRORS;
  if (more > 0) lines.push(`... and ${more} more error${more > 1 ? 's' : ''}`);
  return lines;
}

function describeOpenError(e: KernelError): string {
  switch (e.code) {
    case 'EADDRINUSE':
      return 'multicast routing API already in use (is another multicast routing daemon running on this table?)';
    case 'EPROTONOSUPPORT':
      return 'cannot set the multicast routing table id; does the kernel have CONFIG_IP_MROUTE_MULTIPLE_TABLES?';
    case 'EOPNOTSUPP':
    case 'ENOPROTOOPT':
      return 'kernel does not support multicast routing';
    default:
      return e.message;
  }
}
