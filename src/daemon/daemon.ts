// Wires the router to its inputs: the config file, the IPC socket, kernel
// upcalls and link events, signals and the expiry timer; owns the PID file
// and the -e hook script's runs.
// Every input is handled to completion before the next (one event loop).

import { accessSync, constants, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Diagnostic } from '../conf/directives.js';
import type { ConfFs } from '../conf/load.js';
import { KernelError, describeError, describeSystemError } from '../errors.js';
import type { Control, MonitorFeed } from '../ipc/control.js';
import { SocketInUseError, claimPath, startIpcServer, type IpcServer } from '../ipc/server.js';
import type { PeerCredentials } from '../kernel/peer-credentials.js';
import type { Kernel } from '../kernel/types.js';
import type { Logger } from '../log.js';
import type { GroupsSnapshot, InterfacesSnapshot, PendingView, ReloadPlan, RoutesSnapshot, ShowMode } from '../show/types.js';
import { ConfReader, formatDiagnostic, readConfig, type LoadedConfig } from './config.js';
import type { Command } from '../model/intents.js';
import type { Valid } from '../model/validate.js';
import { formatAddr } from '../model/addr.js';
import { fail, ok, type Result } from '../result.js';
import { HookScript } from './hook-script.js';
import { PidFile } from './pid-file.js';
import { realTimers, type Timers } from './mrdisc.js';
import { compactSoon } from './heap.js';
import { Router, type LoadSummary } from './router.js';
import { COMMAND_NAMES } from '../ipc/command-names.js';
import { Counters, type CountersSnapshot } from './counters.js';
import { EventBus } from './events.js';
import { formatMetricsAddr, type MetricsAddr } from './metrics-addr.js';
import type { MetricsServer } from './metrics-server.js';
import { VERSION } from '../version.js';

export interface DaemonOptions {
  readonly confFile: string;
  readonly pidFile: string;
  readonly sockFile: string;
  readonly table: number;
  /** Seconds between flushes of idle learned routes; 0 disables. */
  readonly cacheTimeout: number;
  /** -e: the hook script. */
  readonly script?: string;
  /** -p: the PID file goes to this owner, so that reloads can still touch it after the drop. */
  readonly pidOwner?: { readonly uid: number; readonly gid: number };
  /** -p USER:GROUP: the IPC socket is opened to this group. */
  readonly sockGroup?: number;
  /**
   * -p: gives up root once everything is open and the PID file written; says what it kept.
   * A failure stops the daemon: it must not carry on as root when told not to.
   */
  readonly dropPrivileges?: () => Result<string>;
  /** Seconds between router discovery advertisements (-m); default 20. */
  readonly mrdiscInterval?: number;
  /** --max-learned: learned and stop-filter routes kept at most. */
  readonly maxLearned?: number;
  /** Told when start-up is done, around each reload and at exit (systemd's sd_notify). */
  readonly service?: ServiceManager;
  /** SO_PEERCRED of an IPC connection, so that each change is logged with who sent it. */
  readonly peerCredentials?: (fd: number) => PeerCredentials;
  /** --metrics: where to serve metrics over HTTP; the server's code is loaded only then. */
  readonly metrics?: MetricsAddr;
}

/** The service manager as the daemon sees it; `status` is one line for `systemctl status`. */
export interface ServiceManager {
  ready(status: string): void;
  reloading(status: string): void;
  stopping(status: string): void;
}

/** sysexits.h codes the daemon exits with. */
export const EX = {
  OK: 0,
  USAGE: 64,
  NOUSER: 67,
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
  private metricsServer?: MetricsServer;
  private timer?: NodeJS.Timeout;
  private stopping?: Promise<void>;
  private hook?: HookScript;
  private readonly pidFile: PidFile;
  /** What happens, for `smcroutectl monitor`; costs nothing while nobody listens. */
  readonly events = new EventBus();
  private readonly counts = new Counters();
  private resolveExit!: (code: number) => void;
  /** Resolves with the exit code once the daemon has stopped. */
  readonly exited: Promise<number>;

  constructor(
    private readonly kernel: Kernel,
    private readonly log: Logger,
    private readonly opts: DaemonOptions,
    private readonly fs: ConfFs,
  ) {
    // Router discovery timers are events of their own, so they get the same guard as the others.
    const timers: Timers = {
      after: (ms, fn) => realTimers.after(ms, () => this.guard('Multicast router discovery', fn)),
      random: () => realTimers.random(),
    };
    this.router = new Router(
      kernel,
      log,
      {
        table: opts.table,
        cacheTimeout: opts.cacheTimeout,
        mrdiscInterval: opts.mrdiscInterval,
        maxLearned: opts.maxLearned,
        onLearned: (r) => this.hook?.install(formatAddr(r.source), formatAddr(r.group)),
        events: this.events,
        counters: this.counts,
      },
      undefined,
      timers,
    );
    this.pidFile = new PidFile(opts.pidFile, opts.pidOwner, (m) => log.warning(m));
    this.reader = new ConfReader(fs);
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  /** Opens the kernel, applies the config, starts serving. Returns an exit code on failure. */
  async start(): Promise<number | undefined> {
    const failures = this.router.start();
    for (const f of failures) this.log.warning(`Cannot open ${f.op}: ${describeOpenError(f)}`);
    if (failures.length === 2) {
      const busy = failures.some((f) => f.code === 'EADDRINUSE');
      const denied = failures.every((f) => f.code === 'EPERM' || f.code === 'EACCES');
      this.log.err(
        busy
          ? 'Another multicast routing application is already running.'
          : denied
            ? 'Not permitted to open the multicast routing sockets.'
            : 'Kernel does not support multicast routing.',
      );
      this.kernel.shutdown();
      return busy ? EX.UNAVAILABLE : denied ? EX.NOPERM : EX.PROTOCOL;
    }
    this.kernel.onUpcall((batch) => this.guard('Handling kernel upcalls', () => this.router.upcalls(batch)));
    this.kernel.onLinkChange(() => this.guard('Handling an interface change', () => this.router.linksChanged()));
    this.kernel.onMrdisc((h) => this.guard('Handling a router discovery message', () => this.router.mrdiscHeard(h)));

    const files = await this.openFiles();
    if (files !== undefined) {
      this.kernel.shutdown();
      return files;
    }

    // Guarded as every later event is: a throw here would leave the socket served with no one to stop it.
    this.guard('Applying the configuration', () => void this.applyConfig(true));
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
    // Only now, with the configuration in the kernel: the PID file says the daemon is up.
    const placed = this.pidFile.commit();
    if (!placed.ok) {
      this.log.err(placed.error);
      await this.stop(EX.CANTCREAT);
      return EX.CANTCREAT;
    }
    if (this.opts.dropPrivileges) {
      const dropped = this.opts.dropPrivileges();
      if (!dropped.ok) {
        this.log.err(`Cannot drop root privileges: ${dropped.error}`);
        await this.stop(EX.NOPERM);
        return EX.NOPERM;
      }
      this.log.notice(dropped.value);
    }
    this.hook = this.startHook();
    this.hook?.reload();
    // Ready only now: a daemon about to exit for a failed drop must never be reported up.
    this.opts.service?.ready(`Ready: ${this.summary()}`);
    return undefined;
  }

  /**
   * The IPC socket, the --metrics listener and the PID file, made before any route is installed, so that a start that
   * cannot make them (a read-only or full /run, a live daemon's socket) exits having changed
   * nothing. Upstream warns and serves on without them; but a daemon no smcroutectl or
   * `systemctl reload` can reach, or whose PID file names nobody (or a stale PID), is half
   * started. Returns the exit code when it cannot go on.
   */
  private async openFiles(): Promise<number | undefined> {
    const sock = this.opts.sockFile;
    try {
      this.server = await startIpcServer(sock, this, {
        group: this.opts.sockGroup,
        peerCredentials: this.opts.peerCredentials,
        onAnswered: (cmd, ok) => this.counts.ipc(cmd, ok),
        log: {
          warn: (fields, m) => this.log.warning(m, fields),
          notice: (fields, m) => this.log.notice(m, fields),
          info: (fields, m) => this.log.info(m, fields),
          debug: (fields, m) => this.log.debug(m, fields),
        },
      });
    } catch (err) {
      if (err instanceof SocketInUseError) {
        this.log.err(`IPC socket ${sock} belongs to a running daemon; give this one another -u FILE or -i NAME`);
        return EX.UNAVAILABLE;
      }
      this.log.err(`Cannot create IPC socket ${sock}: ${describeSystemError(err)}`);
      return EX.CANTCREAT;
    }
    let failed = await this.openMetrics();
    if (failed === undefined) {
      const staged = this.pidFile.stage();
      if (staged.ok) return undefined;
      this.log.err(staged.error);
      failed = EX.CANTCREAT;
    }
    await this.metricsServer?.close();
    this.metricsServer = undefined;
    await this.server.close();
    this.server = undefined;
    return failed;
  }

  /**
   * --metrics, opened with the IPC socket and as strictly: an operator who asked for metrics and
   * silently got none would find out only when the graphs are needed, so a port in use or a bad
   * path ends the start (69) before any route is installed; systemd shows why.
   */
  private async openMetrics(): Promise<number | undefined> {
    const addr = this.opts.metrics;
    if (addr === undefined) return undefined;
    const { startMetricsServer } = await import('./metrics-server.js');
    try {
      this.metricsServer = await startMetricsServer(addr, {
        render: (openMetrics) => this.renderMetrics(openMetrics),
        warn: (m) => this.log.warning(m),
        claimPath,
      });
    } catch (err) {
      const why = err instanceof SocketInUseError ? 'a running program serves there' : describeSystemError(err);
      this.log.err(`Cannot serve metrics on ${formatMetricsAddr(addr)}: ${why}`);
      return EX.UNAVAILABLE;
    }
    this.log.notice(`Serving metrics on ${formatMetricsAddr(addr)}, GET /metrics`);
    return undefined;
  }

  /** One scrape: the stats snapshot (one ioctl per route and VIF) and the counters, as text. */
  private async renderMetrics(openMetrics: boolean): Promise<string> {
    const [stats, { formatMetrics }] = await Promise.all([this.router.statsSnapshot(), import('./metrics-format.js')]);
    const ipcCommands = Object.values(COMMAND_NAMES);
    return formatMetrics({ stats, counters: this.counters(), version: VERSION, ipcCommands }, openMetrics);
  }

  /** The sizes `systemctl status` shows, as the log's "applied" line gives them. */
  private summary(): string {
    const s = this.router.stats();
    return `${s.rules} rules, ${s.mfc} kernel routes, ${s.joins} group memberships`;
  }

  /**
   * As upstream, a script that cannot be run is reported once and not tried again; checked
   * after -p, as the user it will run as. No upcall can come before this: VIFs are made by
   * the config, and nothing between it and here yields to the event loop.
   */
  private startHook(): HookScript | undefined {
    if (this.opts.script === undefined) return undefined;
    // Resolved now, as upstream's execv() takes it: relative to where smcrouted was started.
    const file = resolve(this.opts.script);
    try {
      accessSync(file, constants.X_OK);
    } catch (err) {
      this.log.err(`Script ${file} is not executable (${describeError(err)}); -e disabled`);
      return undefined;
    }
    return new HookScript(file, this.log);
  }

  /**
   * Reads the config and applies it. At start-up the good lines apply even
   * when others are broken, as upstream. On reload the file is taken whole
   * or not at all: an unreadable file or any broken line keeps the running
   * configuration, so a half-written edit never cuts traffic.
   */
  private applyConfig(initial: boolean): Result<LoadSummary, Refusal> {
    const file = this.opts.confFile;
    const loaded = this.reader.read(file);
    for (const d of loaded.diagnostics) {
      if (d.severity === 'error') this.log.err(formatDiagnostic(d));
      else this.log.warning(formatDiagnostic(d));
    }
    const refusal = initial ? undefined : refusalOf(file, loaded, errorsOf(loaded));
    if (refusal) {
      this.log.err(refusal.headline);
      return fail(refusal);
    }
    if (initial && loaded.files.length === 0) this.log.notice('Continuing anyway, waiting for client to connect.');
    loaded.accept();
    const summary = this.router.loadConfig(loaded.intents);
    this.log.notice(`Configuration ${file} applied: ${this.summary()}`);
    // Right after the PID file (and READY) or the reload's reply, before the collection below:
    // the next reload then finds the routes of this one indexed.
    setImmediate(() => this.guard('Indexing the configuration', () => this.router.settle()));
    compactSoon();
    return ok(summary);
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

  /** SIGHUP and `smcroutectl reload`; the reason when the new file was refused. */
  reloadConfig(): Result<undefined, Refusal> {
    this.log.notice('Reloading configuration');
    this.opts.service?.reloading('Reloading configuration');
    // Set inside guard(), which the type checker cannot follow: hence the widening.
    let applied = fail({ headline: 'Reload failed, see the log', errors: [], count: 0 }) as Result<LoadSummary, Refusal>;
    this.guard('Reloading', () => {
      applied = this.applyConfig(false);
    });
    // Counted and told in one place, whichever way it ended (a failure inside counts as refused).
    if (applied.ok) this.counts.reloads.applied++;
    else this.counts.reloads.refused++;
    if (this.events.active) {
      if (applied.ok) this.events.emit({ event: 'reload-applied', ...applied.value });
      else {
        const firstError = applied.error.errors[0] ?? applied.error.headline;
        this.events.emit({ event: 'reload-refused', errors: Math.max(1, applied.error.count), firstError });
      }
    }
    // READY=1 either way: systemd holds the unit in "reloading" until it comes.
    // The status line takes the headline of a refusal; the errors themselves go to the caller and the log.
    this.opts.service?.ready(applied.ok ? `Reloaded: ${this.summary()}` : `${applied.error.headline} (${this.summary()})`);
    if (!applied.ok) return applied;
    if (!this.pidFile.touch().ok) {
      const written = this.pidFile.write();
      if (!written.ok) this.log.err(written.error);
    }
    this.hook?.reload();
    return ok();
  }

  /**
   * What the daemon has counted since it started (upcalls, learned and expired routes, reloads,
   * IPC commands), for the metrics endpoint; each number only grows.
   */
  counters(): CountersSnapshot {
    return this.counts.snapshot();
  }

  /** SIGTERM/SIGINT and `smcroutectl kill`: leave groups, close tables, remove files. */
  stop(code: number = EX.OK): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      this.log.notice('Exiting.');
      this.opts.service?.stopping('Exiting');
      if (this.timer) clearInterval(this.timer);
      const dropped = this.hook?.close() ?? 0;
      if (dropped > 0) this.log.notice(`${dropped} script runs not started`);
      this.router.stop();
      this.kernel.shutdown();
      await Promise.all([this.server?.close(), this.metricsServer?.close()]);
      this.removeFiles();
      this.resolveExit(code);
    })();
    return this.stopping;
  }

  /**
   * After -p the daemon may no longer remove its files from a root-owned directory: they stay
   * behind, which is harmless (the next start replaces both), and only worth a notice.
   */
  private removeFiles(): void {
    const removed = this.pidFile.remove();
    if (!removed.ok) this.log.notice(`Cannot remove PID file ${this.opts.pidFile}: ${removed.error}`);
    else if (removed.value === 'not ours') this.log.notice(`PID file ${this.opts.pidFile} holds another PID now; left in place`);
    // The server removed its socket if it could; say so when it could not.
    if (this.server && existsSync(this.opts.sockFile)) this.log.notice(`Cannot remove IPC socket ${this.opts.sockFile}`);
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
    const reloaded = this.reloadConfig();
    return reloaded.ok ? ok() : fail(refusalText(reloaded.error));
  }

  /**
   * `smcroutectl reload --dry-run`: the file read and checked as a reload
   * reads it, then planned by the router; nothing is applied, logged as
   * applied, or written. Read afresh rather than through `reader`: lines it
   * would reuse keep their old place until a read is accepted, so warnings
   * would name the old line, and the reader must stay as the last applied
   * read left it.
   */
  planReload(): ReloadPlan {
    const file = this.opts.confFile;
    const loaded = readConfig(file, this.fs);
    const errors = errorsOf(loaded);
    const warnings = loaded.diagnostics.filter((d) => d.severity !== 'error').map(formatDiagnostic);
    this.log.info(`Reload dry run of ${file}`);
    const refusal = refusalOf(file, loaded, errors);
    if (refusal) return { file, refused: refusalText(refusal), errors, warnings };
    return { file, changes: this.router.planConfig(loaded.intents), errors, warnings };
  }

  kill(): Result {
    setImmediate(() => void this.stop());
    return ok();
  }

  /** `smcroutectl explain`: the code is loaded on the first request, so a daemon never asked pays nothing. */
  async explain(args: readonly string[], json: boolean): Promise<Result<string>> {
    const { explainFlow } = await import('./explain-flow.js');
    return explainFlow(() => this.router.explainState(), this.kernel, args, json);
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

  /** The formatter is loaded on the first monitor: a daemon nobody watches never loads it. */
  async monitor(json: boolean, push: (line: string) => void): Promise<MonitorFeed> {
    const { formatEvent } = await import('./event-format.js');
    push(formatEvent({ event: 'monitor-started' }, json));
    const stop = this.events.listen((e) => push(formatEvent(e, json)));
    return { stop, lostLine: (count) => formatEvent({ event: 'lost', count }, json) };
  }

  async stats(): Promise<string> {
    const [snapshot, { statsJson }] = await Promise.all([this.router.statsSnapshot(), import('./stats.js')]);
    return statsJson(snapshot);
  }
}

/** Why a reload changed nothing: one line for logs and systemd, and the errors as `-F` prints them. */
export interface Refusal {
  readonly headline: string;
  /** The first errors as lines for the operator (errorLines). */
  readonly errors: readonly string[];
  /** How many errors there were in all. */
  readonly count: number;
}

function errorsOf(loaded: LoadedConfig): Diagnostic[] {
  return loaded.diagnostics.filter((d) => d.severity === 'error');
}

/** Why a reload of `file` as read (its `errors`) would be refused: it could not be read, or a line is broken. */
function refusalOf(file: string, loaded: LoadedConfig, errors: readonly Diagnostic[]): Refusal | undefined {
  if (loaded.files.length > 0 && errors.length === 0) return undefined;
  const n = errors.length;
  const why = loaded.files.length === 0 ? `cannot read ${file}` : `${n} error${n > 1 ? 's' : ''} in ${file}`;
  return { headline: `Reload refused, ${why}; the running configuration is kept`, errors: errorLines(errors), count: n };
}

/** A refusal as the IPC reply carries it: smcroutectl prints the first line as its message and the errors under it. */
function refusalText(r: Refusal): string {
  return [r.headline, ...r.errors].join('\n');
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
    case 'EPERM':
    case 'EACCES':
      return 'permission denied: the routing socket needs CAP_NET_RAW, and CAP_NET_ADMIN for a table other than 0';
    case 'EOPNOTSUPP':
    case 'ENOPROTOOPT':
      return 'kernel does not support multicast routing';
    default:
      return e.message;
  }
}
