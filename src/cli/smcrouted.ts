// smcrouted: config check mode, daemonizing, logging, signals, the start-up
// delay and -p around Daemon. Options and exit codes follow SMCRoute 2.6.
// Importing this module runs nothing: bin/smcrouted calls runFromProcess(), tests call main().

import { fstatSync } from 'node:fs';
import { basename } from 'node:path';
import { nodeConfFs } from '../conf/fs.js';
import { Daemon, EX } from '../daemon/daemon.js';
import { formatDiagnostic, readConfig } from '../daemon/config.js';
import { capNames } from '../kernel/capabilities.js';
import type { PlatformFacts } from '../kernel/platform.js';
import type { RunAs as RunAsIds } from '../kernel/privileges.js';
import { ok, type Result } from '../result.js';
import { createLogger, isJournalStream, jsonSink, stderrSink, type LogSink } from '../log.js';
import { VERSION } from '../version.js';
import { confPath, parseOptions, pidPath, sockPath, usage, type Options } from './smcrouted-options.js';

/** -p resolved, with the drop to run once everything is open: the line to log, or why it failed. */
type RunAs = RunAsIds & { readonly drop: () => Result<string> };

/** Set in the environment of the detached child that carries on as the daemon. */
const DAEMON_CHILD = 'SMCROUTED_DAEMON_CHILD';

export interface DaemonIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** For POSIXLY_CORRECT, and to tell the detached child from the command run by the user. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The program as invoked: getopt's messages name it so. Default "smcrouted". */
  readonly argv0?: string;
  /** The machine, as Node.js reports it; tests inject others. */
  readonly platform?: PlatformFacts;
}

function checkConfig(file: string, io: DaemonIo): number {
  const loaded = readConfig(file, nodeConfFs);
  let errors = 0;
  for (const d of loaded.diagnostics) {
    io.err(`${formatDiagnostic(d)}\n`);
    if (d.severity === 'error') errors++;
  }
  if (loaded.files.length === 0) return EX.CONFIG;
  return errors > 0 ? EX.CONFIG : EX.OK;
}

/** Re-runs this program detached, and returns once the child reports it is serving. */
function daemonize(argv: readonly string[], env: DaemonIo['env']): Promise<number> {
  return new Promise((resolve) => {
    const child = process
      .getBuiltinModule('node:child_process')
      .spawn(process.execPath, [...process.execArgv, process.argv[1] ?? '', ...argv], {
        detached: true,
        stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
        env: { ...env, [DAEMON_CHILD]: '1' },
      });
    child.once('message', () => {
      child.disconnect();
      child.unref();
      resolve(EX.OK);
    });
    child.once('exit', (code) => resolve(code ?? EX.SOFTWARE));
  });
}

/** Runs smcrouted with `argv` (without node and script); resolves with the exit status. */
export async function main(argv: readonly string[], io: DaemonIo): Promise<number> {
  const env = io.env ?? {};
  const argv0 = io.argv0 ?? 'smcrouted';
  const { opts, error } = parseOptions(argv, env.POSIXLY_CORRECT !== undefined);
  if (opts.action === 'help') {
    io.out(usage(basename(argv0), opts));
    return EX.OK;
  }
  if (opts.action === 'version') {
    io.out(`SMCRoute v${VERSION} (TypeScript port)\n`);
    return EX.OK;
  }
  if (error !== undefined) {
    io.err(`${argv0}: ${error}\n`);
    io.out(usage(basename(argv0), opts));
    return EX.USAGE;
  }

  if (opts.checkFile !== undefined) return checkConfig(opts.checkFile, io);

  // Before anything loads libc: the structures compiled in are x86_64 glibc's.
  const { verifyPlatform } = await import('../kernel/platform.js');
  const platform = await verifyPlatform(io.platform);
  if (!platform.ok) {
    io.err(`smcrouted: ${platform.error}\n`);
    return EX.UNAVAILABLE;
  }

  // Loaded only here, so that -h, -v and -F never load the FFI. As upstream, -p names are
  // checked before privileges are.
  const privileges = await import('../kernel/privileges.js');
  let runAs: RunAs | undefined;
  if (opts.runAs) {
    const resolved = privileges.resolveRunAs(opts.runAs);
    if (!resolved.ok) {
      io.err(`smcrouted: -p ${opts.runAs.user}${opts.runAs.group ? `:${opts.runAs.group}` : ''}: ${resolved.error}\n`);
      return EX.NOUSER;
    }
    const to = resolved.value;
    runAs = {
      ...to,
      drop: () => {
        const kept = privileges.dropPrivileges(to);
        if (!kept.ok) return kept;
        const group = to.group === undefined ? '' : ` (${to.group})`;
        return ok(`Root privileges dropped: UID ${to.uid} (${to.user}), GID ${to.gid}${group}, keeping ${capNames(kept.value)}`);
      },
    };
  }

  // systemd's User= with AmbientCapabilities= starts it without root, and that is enough.
  if (process.geteuid?.() !== 0 && !privileges.hasStartCaps()) {
    io.err('smcrouted: Need root privileges (or CAP_NET_ADMIN and CAP_NET_RAW) to start smcrouted\n');
    return EX.NOPERM;
  }

  const isChild = env[DAEMON_CHILD] === '1';
  if (!opts.foreground && !isChild) return daemonize(argv, env);
  return serve(opts, runAs, isChild, io);
}

/** Sleeps for -d, or less when `cut` is called (SIGTERM/SIGINT during the delay). */
function startupDelay(seconds: number): { done: Promise<void>; cut: () => void } {
  let cut = () => {};
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, seconds * 1000);
    cut = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return { done, cut };
}

/**
 * One place for the log, never two: syslog when detached or asked for with
 * -s (so `-n -s` under systemd does not write each line twice), else stderr.
 */
export function logTarget(opts: Pick<Options, 'syslog'>, isChild: boolean): 'syslog' | 'stderr' {
  return opts.syslog || isChild ? 'syslog' : 'stderr';
}

/** The device and inode of stderr, to compare with JOURNAL_STREAM. */
function stderrIdentity(): { dev: bigint; ino: bigint } | undefined {
  try {
    return fstatSync(2, { bigint: true });
  } catch {
    return undefined;
  }
}

async function logSinks(opts: Options, isChild: boolean, io: DaemonIo): Promise<LogSink[]> {
  if (logTarget(opts, isChild) === 'syslog') {
    // Loaded here so that -h, -v and -F never load the FFI.
    const { syslogSink } = await import('../kernel/syslog.js');
    return [syslogSink(opts.ident)];
  }
  const stderr = { priorityPrefix: isJournalStream(io.env?.JOURNAL_STREAM, stderrIdentity()) };
  return [opts.logFormat === 'json' ? jsonSink(io.err, stderr) : stderrSink(opts.ident, io.err, stderr)];
}

async function serve(opts: Options, runAs: RunAs | undefined, isChild: boolean, io: DaemonIo): Promise<number> {
  // Handlers go in first: without one, an early SIGHUP or SIGTERM would kill
  // the process outright. What arrives before start-up completes waits for it.
  // Assigned once, after start-up; it cannot be const because the handlers read it before then.
  // eslint-disable-next-line prefer-const -- as const, a signal during start-up would hit the TDZ
  let running: Daemon | undefined;
  let early: 'reload' | 'stop' | undefined;
  let delay: { done: Promise<void>; cut: () => void } | undefined;
  // A function, not a test of `early` in place: the handlers change it behind the compiler's back.
  const stopAsked = (): boolean => early === 'stop';
  process.on('SIGHUP', () => {
    if (running) running.reloadConfig();
    else early ??= 'reload';
  });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      if (running) void running.stop();
      else early = 'stop';
      delay?.cut();
    });
  }

  const log = createLogger(opts.logLevel, await logSinks(opts, isChild, io), { name: opts.ident, pid: process.pid });
  log.notice(`SMCRoute v${VERSION}`);

  // As upstream: before anything is opened or read, so interfaces have time to come up at boot.
  if (opts.startupDelay > 0 && !stopAsked()) {
    log.info(`Startup delay requested, waiting ${opts.startupDelay} sec before continuing.`);
    delay = startupDelay(opts.startupDelay);
    await delay.done;
    delay = undefined;
  }
  if (stopAsked()) {
    log.notice('Exiting.');
    return EX.OK;
  }

  const { createLinuxKernel } = await import('../kernel/linux.js');
  const { peerCredentials } = await import('../kernel/peer-credentials.js');
  // Taken from the process environment itself: what the daemon runs later must not inherit it.
  const { openNotifier } = await import('../kernel/notify.js');
  const service = openNotifier(process.env, (m) => log.warning(m));
  if (service.socket !== undefined) log.debug(`Notifying the service manager at ${service.socket}`);
  const daemon = new Daemon(
    createLinuxKernel({ warn: (m) => log.warning(m) }),
    log,
    {
      confFile: confPath(opts),
      pidFile: pidPath(opts),
      sockFile: sockPath(opts),
      table: opts.table,
      cacheTimeout: opts.cacheTimeout,
      service,
      script: opts.script,
      ...(runAs && {
        pidOwner: { uid: runAs.uid, gid: runAs.gid },
        sockGroup: runAs.group === undefined ? undefined : runAs.gid,
        dropPrivileges: runAs.drop,
      }),
      mrdiscInterval: opts.mrdiscInterval,
      maxLearned: opts.maxLearned,
      metrics: opts.metrics,
      peerCredentials,
    },
    nodeConfFs,
  );

  const failed = await daemon.start();
  if (failed !== undefined) return failed;
  running = daemon;
  if (early === 'stop') void daemon.stop();
  else if (early === 'reload') daemon.reloadConfig();
  if (isChild && process.send) {
    process.send('ready');
    process.disconnect?.();
  }
  return daemon.exited;
}

/** Process entry point: real stdio and environment; the exit status becomes process.exitCode. */
export function runFromProcess(): Promise<void> {
  const io: DaemonIo = {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    env: process.env,
    argv0: process.argv[1] ?? 'smcrouted',
  };
  return main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`smcrouted: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = EX.SOFTWARE;
    },
  );
}
