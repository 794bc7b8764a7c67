// smcrouted: option parsing, config check mode, daemonizing, signals; then
// hands over to Daemon. Options and exit codes follow SMCRoute 2.6.

import { spawn } from 'node:child_process';
import { Command, CommanderError, Option } from 'commander';
import { nodeConfFs } from '../conf/fs.js';
import { Daemon, EX } from '../daemon/daemon.js';
import { formatDiagnostic, readConfig } from '../daemon/config.js';
import { createLinuxKernel } from '../kernel/linux.js';
import { createLogger, parseLogLevel, stderrSink, type LevelName, type LogSink } from '../log.js';
import { VERSION } from '../version.js';
import { syslogSink } from '../kernel/syslog.js';

const RUNSTATEDIR = '/run';
const SYSCONFDIR = '/etc';
/** Set in the environment of the detached child that carries on as the daemon. */
const DAEMON_CHILD = 'SMCROUTED_DAEMON_CHILD';

interface Options {
  cacheTimeout: number;
  confFile?: string;
  checkFile?: string;
  ident: string;
  logLevel: LevelName | 'silent';
  foreground: boolean;
  pidFile?: string;
  syslog: boolean;
  table: number;
  sockFile?: string;
}

function intArg(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new CommanderError(EX.USAGE, 'smcrouted.invalidArgument', `Invalid ${name}: ${v}`);
    }
    return Number(v);
  };
}

function usage(prog: string, o: { confFile: string; ident: string; pidFile: string; sockFile: string }): string {
  return `Usage:
  ${prog} [-hnNsv] [-c SEC] [-d SEC] [-e CMD] [-f FILE] [-i NAME] [-l LVL]
                    [-m SEC] [-p USER:GROUP] [-P FILE] [-t ID] [-u FILE]

Options:
  -c SEC          Flush learned (*,G) routes idle for SEC seconds, default 60,
                  0 disables.  Helps when a source or its interface changes
  -d SEC          Startup delay (not supported yet)
  -e CMD          Script to run on (re)load and (*,G) installs (not supported yet)
  -f FILE         Configuration file, default from NAME: ${o.confFile}
  -F FILE         Check configuration file syntax and exit; -l raises detail
  -h              This help text
  -i NAME         Identity for the .conf/.pid/.sock files and logs, default: ${o.ident}
  -l LVL          Log level: none, err, notice*, info, debug
  -m SEC          Multicast router discovery interval (not supported yet)
  -n              Run in the foreground, as under systemd or finit
  -N              Accepted for compatibility, no effect: VIFs/MIFs are made on demand
  -p USER:GROUP   Drop privileges after start-up (not supported yet)
  -P FILE         PID file, default from NAME: ${o.pidFile}
  -s              Log to syslog also in the foreground
  -t ID           Multicast routing table ID, default: 0
  -u FILE         UNIX socket for smcroutectl, default from NAME: ${o.sockFile}
  -v              Show program version
`;
}

function pidPath(ident: string, pidFile?: string): string {
  const name = pidFile ?? ident;
  return name.startsWith('/') ? name : `${RUNSTATEDIR}/${name}.pid`;
}

function parse(argv: string[]): { opts: Options; unsupported: string[] } | number {
  const unsupported: string[] = [];
  const note = (flag: string, what: string) => () => void unsupported.push(`-${flag}: ${what} is not supported yet, ignored`);
  const program = new Command('smcrouted')
    .exitOverride()
    .helpOption(false)
    .allowExcessArguments(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addOption(new Option('-c <SEC>').argParser(intArg('cache timeout', 0)).default(60))
    .addOption(new Option('-d <SEC>').argParser(note('d', 'startup delay')))
    .addOption(new Option('-D <SEC>').hideHelp())
    .addOption(new Option('-e <CMD>').argParser(note('e', 'the hook script')))
    .addOption(new Option('-f <FILE>'))
    .addOption(new Option('-F <FILE>'))
    .addOption(new Option('-h'))
    .addOption(new Option('-i <NAME>'))
    .addOption(new Option('-I <NAME>').hideHelp())
    .addOption(new Option('-l <LVL>'))
    .addOption(new Option('-m <SEC>').argParser(note('m', 'multicast router discovery (mrdisc)')))
    .addOption(new Option('-n'))
    .addOption(new Option('-N'))
    .addOption(new Option('-p <USER>').argParser(note('p', 'dropping privileges')))
    .addOption(new Option('-P <FILE>'))
    .addOption(new Option('-s'))
    .addOption(new Option('-t <ID>').argParser(intArg('routing table ID', 0, 0xffffffff)).default(0))
    .addOption(new Option('-u <FILE>'))
    .addOption(new Option('-v'));
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'smcrouted.invalidArgument') process.stderr.write(`smcrouted: ${err.message}\n`);
      return EX.USAGE;
    }
    throw err;
  }
  const o = program.opts<Record<string, string | number | boolean | undefined>>();
  const ident = (o.i ?? o.I ?? 'smcroute') as string;
  if (o.h) {
    process.stdout.write(usage('smcrouted', {
      ident,
      confFile: (o.f as string | undefined) ?? `${SYSCONFDIR}/${ident}.conf`,
      pidFile: pidPath(ident, o.P as string | undefined),
      sockFile: (o.u as string | undefined) ?? `${RUNSTATEDIR}/${ident}.sock`,
    }));
    return EX.OK;
  }
  if (o.v) {
    process.stdout.write(`SMCRoute v${VERSION} (TypeScript port)\n`);
    return EX.OK;
  }
  let logLevel: LevelName | 'silent' = 'notice';
  if (o.l !== undefined) {
    const lvl = parseLogLevel(o.l as string);
    if (!lvl) {
      process.stderr.write(`smcrouted: Invalid log level: ${o.l}\n`);
      return EX.USAGE;
    }
    logLevel = lvl;
  }
  return {
    unsupported,
    opts: {
      cacheTimeout: o.c as number,
      confFile: o.f as string | undefined,
      checkFile: o.F as string | undefined,
      ident,
      logLevel,
      foreground: o.n === true,
      pidFile: o.P as string | undefined,
      syslog: o.s === true,
      table: o.t as number,
      sockFile: o.u as string | undefined,
    },
  };
}

function checkConfig(file: string): number {
  const loaded = readConfig(file, nodeConfFs);
  let errors = 0;
  for (const d of loaded.diagnostics) {
    process.stderr.write(`${formatDiagnostic(d)}\n`);
    if (d.severity === 'error') errors++;
  }
  if (loaded.files.length === 0) return EX.CONFIG;
  return errors > 0 ? EX.CONFIG : EX.OK;
}

/** Re-runs this program detached, and returns once the child reports it is serving. */
function daemonize(argv: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...argv], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: { ...process.env, [DAEMON_CHILD]: '1' },
    });
    child.once('message', () => {
      child.disconnect();
      child.unref();
      resolve(EX.OK);
    });
    child.once('exit', (code) => resolve(code ?? EX.SOFTWARE));
  });
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parse(argv);
  if (typeof parsed === 'number') return parsed;
  const { opts, unsupported } = parsed;

  if (opts.checkFile !== undefined) return checkConfig(opts.checkFile);

  if (process.geteuid?.() !== 0) {
    process.stderr.write('smcrouted: Need root privileges to start smcrouted\n');
    return EX.NOPERM;
  }

  const isChild = process.env[DAEMON_CHILD] === '1';
  if (!opts.foreground && !isChild) return daemonize(argv);

  const sinks: LogSink[] = [];
  if (opts.foreground && !isChild) sinks.push(stderrSink(opts.ident));
  if (opts.syslog || isChild) sinks.push(syslogSink(opts.ident));
  const log = createLogger(opts.logLevel, sinks);
  log.notice(`SMCRoute v${VERSION}`);
  for (const u of unsupported) log.warning(u);

  const daemon = new Daemon(createLinuxKernel({ warn: (m) => log.warning(m) }), log, {
    confFile: opts.confFile ?? `${SYSCONFDIR}/${opts.ident}.conf`,
    pidFile: pidPath(opts.ident, opts.pidFile),
    sockFile: opts.sockFile ?? `${RUNSTATEDIR}/${opts.ident}.sock`,
    table: opts.table,
    cacheTimeout: opts.cacheTimeout,
  }, nodeConfFs);

  // Handlers go in before start-up: without one, an early SIGHUP or SIGTERM
  // would kill the process outright. What arrives early waits for start-up.
  let started = false;
  let early: 'reload' | 'stop' | undefined;
  process.on('SIGHUP', () => {
    if (started) daemon.reloadConfig();
    else early ??= 'reload';
  });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      if (started) void daemon.stop();
      else early = 'stop';
    });
  }

  const failed = await daemon.start();
  if (failed !== undefined) return failed;
  started = true;
  if (early === 'stop') void daemon.stop();
  else if (early === 'reload') daemon.reloadConfig();
  if (isChild && process.send) {
    process.send('ready');
    process.disconnect?.();
  }
  return daemon.exited;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`smcrouted: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = EX.SOFTWARE;
  },
);
