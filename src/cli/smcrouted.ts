// smcrouted: config check mode, daemonizing, logging and signals around
// Daemon. Options and exit codes follow SMCRoute 2.6. Importing this module
// runs nothing: bin/smcrouted calls runFromProcess(), tests call main().

import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { nodeConfFs } from '../conf/fs.js';
import { Daemon, EX } from '../daemon/daemon.js';
import { formatDiagnostic, readConfig } from '../daemon/config.js';
import { createLogger, jsonSink, stderrSink, type LogSink } from '../log.js';
import { VERSION } from '../version.js';
import { confPath, parseOptions, pidPath, sockPath, usage, type Options } from './smcrouted-options.js';

/** Set in the environment of the detached child that carries on as the daemon. */
const DAEMON_CHILD = 'SMCROUTED_DAEMON_CHILD';

export interface DaemonIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** For POSIXLY_CORRECT, and to tell the detached child from the command run by the user. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The program as invoked: getopt's messages name it so. Default "smcrouted". */
  readonly argv0?: string;
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
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1] ?? '', ...argv], {
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

  if (process.geteuid?.() !== 0) {
    io.err('smcrouted: Need root privileges to start smcrouted\n');
    return EX.NOPERM;
  }

  const isChild = env[DAEMON_CHILD] === '1';
  if (!opts.foreground && !isChild) return daemonize(argv, env);
  return serve(opts, isChild, io);
}

async function logSinks(opts: Options, isChild: boolean, io: DaemonIo): Promise<LogSink[]> {
  const sinks: LogSink[] = [];
  if (opts.foreground && !isChild) sinks.push(opts.logFormat === 'json' ? jsonSink(io.err) : stderrSink(opts.ident, io.err));
  if (opts.syslog || isChild) {
    // Loaded here so that -h, -v and -F never load the FFI.
    const { syslogSink } = await import('../kernel/syslog.js');
    sinks.push(syslogSink(opts.ident));
  }
  return sinks;
}

async function serve(opts: Options, isChild: boolean, io: DaemonIo): Promise<number> {
  // Handlers go in first: without one, an early SIGHUP or SIGTERM would kill
  // the process outright. What arrives before start-up completes waits for it.
  // Assigned once, after start-up; it cannot be const because the handlers read it before then.
  // eslint-disable-next-line prefer-const -- as const, a signal during start-up would hit the TDZ
  let running: Daemon | undefined;
  let early: 'reload' | 'stop' | undefined;
  process.on('SIGHUP', () => {
    if (running) running.reloadConfig();
    else early ??= 'reload';
  });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      if (running) void running.stop();
      else early = 'stop';
    });
  }

  const log = createLogger(opts.logLevel, await logSinks(opts, isChild, io), { name: opts.ident, pid: process.pid });
  log.notice(`SMCRoute v${VERSION}`);
  for (const u of opts.unsupported) log.warning(u);

  const { createLinuxKernel } = await import('../kernel/linux.js');
  const daemon = new Daemon(
    createLinuxKernel({ warn: (m) => log.warning(m) }),
    log,
    {
      confFile: confPath(opts),
      pidFile: pidPath(opts),
      sockFile: sockPath(opts),
      table: opts.table,
      cacheTimeout: opts.cacheTimeout,
      mrdiscInterval: opts.mrdiscInterval,
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
