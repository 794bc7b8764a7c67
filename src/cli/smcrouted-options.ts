// smcrouted's command line: upstream's option letters, plus --help,
// --version and --log-format. Pure: parses into Options, prints nothing.

import { parseLogLevel, type LevelName, type LogFormat } from '../log.js';
import type { RunAsSpec } from '../kernel/privileges.js';
import { checkSocketPath } from '../ipc/socket-path.js';
import { MRDISC_INTERVAL } from '../model/limits.js';
import { DEFAULT_MAX_LEARNED, MAX_MAX_LEARNED } from '../core/learned-cap.js';
import { parseMetricsAddr, type MetricsAddr } from '../daemon/metrics-addr.js';
import { getopt, type OptionDef, type Verdict } from './getopt.js';

export const RUNSTATEDIR = '/run';
export const SYSCONFDIR = '/etc';

export interface Options {
  cacheTimeout: number;
  confFile?: string;
  checkFile?: string;
  ident: string;
  logLevel: LevelName | 'silent';
  logFormat: LogFormat;
  foreground: boolean;
  /** Seconds between router discovery advertisements on `mrdisc` phyints. */
  mrdiscInterval: number;
  /** --max-learned: learned and stop-filter routes kept at most; the least recently active go first. */
  maxLearned: number;
  /** --metrics ADDR: serve metrics over HTTP there; off when absent. */
  metrics?: MetricsAddr;
  pidFile?: string;
  syslog: boolean;
  table: number;
  sockFile?: string;
  /** -p USER[:GROUP]: who to become once the sockets are open. */
  runAs?: RunAsSpec;
  /** -e CMD: run as `CMD reload` and `CMD install`. */
  script?: string;
  /** -d SEC: wait this long before opening anything. */
  startupDelay: number;
  /** -h or -v: print and exit, as upstream does on meeting them. */
  action?: 'help' | 'version';
}

/**
 * The longest delay a Node timer can wait, in whole seconds (about 24.8 days): beyond 2^31-1 ms
 * setTimeout and setInterval fire after 1 ms instead, so -c and -d stop there.
 */
const MAX_DELAY = Math.floor(0x7fffffff / 1000);

/**
 * The highest -t both families take: Linux refuses an IPv4 table id of 10^9 and up, an IPv6 one
 * of 10^8 and up (the table's "pimreg"/"pim6reg" device name must fit 15 characters).
 */
export const MAX_TABLE = 99_999_999;

/** USER or USER:GROUP (USER: means the primary group, as upstream reads it); names are checked at start. */
export function parseRunAs(v: string): RunAsSpec | undefined {
  const m = /^([^:]+)(?::([^:]*))?$/.exec(v);
  const user = m?.[1];
  if (user === undefined) return undefined;
  const group = m?.[2];
  return group ? { user, group } : { user };
}

export interface ParsedOptions {
  readonly opts: Options;
  /** Why the command line is refused (without "PROG: "); the caller prints the usage. */
  readonly error?: string;
}

/** A whole number in min..max; the refusal names the option's meaning and `range`. */
function intArg(name: string, min: number, max: number, range: string, set: (o: Options, n: number) => void) {
  return (o: Options, v: string): Verdict => {
    // Stricter than upstream's atoi(): "-t x" would silently mean table 0.
    if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max) return { error: `Invalid ${name}: ${v} (${range})` };
    set(o, Number(v));
    return undefined;
  };
}

// Exported for the test that holds man/smcrouted.8 to this table.
export const OPTIONS: readonly OptionDef<Options>[] = [
  {
    short: 'c',
    arg: 'SEC',
    // Any longer and the expiry timer would fire every millisecond; 0 already means never.
    apply: intArg('cache timeout', 0, MAX_DELAY, `0-${MAX_DELAY} seconds, 0 = never`, (o, n) => {
      o.cacheTimeout = n;
    }),
  },
  {
    short: 'd',
    arg: 'SEC',
    apply: intArg('startup delay', 0, MAX_DELAY, `0-${MAX_DELAY} seconds`, (o, n) => {
      o.startupDelay = n;
    }),
  },
  // Upstream's undocumented exit delay, for its tests; accepted so scripts written for it still run.
  { short: 'D', arg: 'SEC', apply: () => undefined },
  {
    short: 'e',
    arg: 'CMD',
    apply: (o, v) => {
      if (v === '') return { error: 'Invalid script: empty' };
      o.script = v;
      return undefined;
    },
  },
  {
    short: 'f',
    arg: 'FILE',
    apply: (o, v) => {
      o.confFile = v;
    },
  },
  {
    short: 'F',
    arg: 'FILE',
    apply: (o, v) => {
      o.checkFile = v;
    },
  },
  {
    short: 'h',
    long: 'help',
    apply: (o) => {
      o.action = 'help';
      return 'stop';
    },
  },
  {
    short: 'i',
    arg: 'NAME',
    apply: (o, v) => {
      o.ident = v;
    },
  },
  {
    short: 'I',
    arg: 'NAME',
    apply: (o, v) => {
      o.ident = v;
    },
  }, // older name of -i
  {
    short: 'l',
    arg: 'LVL',
    apply: (o, v) => {
      const level = parseLogLevel(v);
      if (level === undefined) return { error: `Invalid log level: ${v}` };
      o.logLevel = level;
      return undefined;
    },
  },
  {
    long: 'log-format',
    arg: 'FMT',
    apply: (o, v) => {
      if (v !== 'text' && v !== 'json') return { error: `Invalid log format: ${v} (text or json)` };
      o.logFormat = v;
      return undefined;
    },
  },
  {
    // No letter: upstream has no such bound, and a letter of ours could clash with one of its own later.
    long: 'max-learned',
    arg: 'N',
    apply: intArg('learned route limit', 1, MAX_MAX_LEARNED, `1-${MAX_MAX_LEARNED}`, (o, n) => {
      o.maxLearned = n;
    }),
  },
  {
    // No letter, as --max-learned: upstream has no metrics.
    long: 'metrics',
    arg: 'ADDR',
    apply: (o, v) => {
      const addr = parseMetricsAddr(v);
      if (!addr.ok) return { error: addr.error };
      o.metrics = addr.value;
      return undefined;
    },
  },
  {
    short: 'm',
    arg: 'SEC',
    apply: (o, v) => {
      const { min, max } = MRDISC_INTERVAL;
      // RFC 4286's range; upstream refuses the same values, so one config moves between the two.
      if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
        return { error: `Invalid mrdisc announcement interval: ${v} (${min}-${max} seconds)` };
      }
      o.mrdiscInterval = Number(v);
      return undefined;
    },
  },
  {
    short: 'n',
    apply: (o) => {
      o.foreground = true;
    },
  },
  { short: 'N', apply: () => undefined },
  {
    short: 'p',
    arg: 'USER[:GROUP]',
    apply: (o, v) => {
      const spec = parseRunAs(v);
      if (spec === undefined) return { error: `Invalid user:group argument: ${v}` };
      o.runAs = spec;
      return undefined;
    },
  },
  {
    short: 'P',
    arg: 'FILE',
    apply: (o, v) => {
      o.pidFile = v;
    },
  },
  {
    short: 's',
    apply: (o) => {
      o.syslog = true;
    },
  },
  {
    short: 't',
    arg: 'ID',
    apply: intArg('routing table ID', 0, MAX_TABLE, `0-${MAX_TABLE}`, (o, n) => {
      o.table = n;
    }),
  },
  {
    short: 'u',
    arg: 'FILE',
    apply: (o, v) => {
      o.sockFile = v;
    },
  },
  {
    short: 'v',
    long: 'version',
    apply: (o) => {
      o.action = 'version';
      return 'stop';
    },
  },
];

export function parseOptions(args: readonly string[], posixlyCorrect = false): ParsedOptions {
  const opts: Options = {
    cacheTimeout: 60,
    ident: 'smcroute',
    logLevel: 'notice',
    logFormat: 'text',
    foreground: false,
    mrdiscInterval: MRDISC_INTERVAL.default,
    maxLearned: DEFAULT_MAX_LEARNED,
    syslog: false,
    table: 0,
    startupDelay: 0,
  };
  const { operands, error } = getopt(args, OPTIONS, opts, posixlyCorrect);
  if (error !== undefined) return { opts, error };
  // Upstream ignores stray words; refusing them catches a mistyped option such as "smcrouted n".
  if (opts.action === undefined && operands.length > 0) return { opts, error: `Unexpected argument: ${operands[0] ?? ''}` };
  // From -u or from -i NAME; -F opens no socket, so it is not held to the rule.
  if (opts.action === undefined && opts.checkFile === undefined) {
    const sock = checkSocketPath(sockPath(opts));
    if (!sock.ok) return { opts, error: sock.error };
  }
  return { opts };
}

export function pidPath(opts: Options): string {
  const name = opts.pidFile ?? opts.ident;
  return name.startsWith('/') ? name : `${RUNSTATEDIR}/${name}.pid`;
}

export const confPath = (opts: Options): string => opts.confFile ?? `${SYSCONFDIR}/${opts.ident}.conf`;
export const sockPath = (opts: Options): string => opts.sockFile ?? `${RUNSTATEDIR}/${opts.ident}.sock`;

/** The help text, with the paths that follow from the options given before -h. */
export function usage(prog: string, o: Options): string {
  return `Usage:
  ${prog} [-hnNsv] [-c SEC] [-d SEC] [-e CMD] [-f FILE] [-i NAME] [-l LVL]
                    [-m SEC] [-p USER[:GROUP]] [-P FILE] [-t ID] [-u FILE]
                    [--log-format text|json] [--max-learned N] [--metrics ADDR]

Options:
  -c SEC          Flush learned (*,G) routes idle for SEC seconds, default 60,
                  0 disables.  Helps when a source or its interface changes
  -d SEC          Wait SEC seconds before start-up, e.g. for interfaces at boot
  -e CMD          Run "CMD reload" after start-up and each reload, and "CMD install"
                  (with $source and $group) for each route learned from a (*,G) rule
  -f FILE         Configuration file, default from NAME: ${confPath(o)}
  -F FILE         Check configuration file syntax and exit; -l raises detail
  -h, --help      This help text
  -i NAME         Identity for the .conf/.pid/.sock files and logs, default: ${o.ident}
  -l LVL          Log level: none, err, notice*, info, debug
  --log-format FMT
                  Log lines on stderr as text*, "ident[pid]: level: message",
                  or as json, one object per line for log shippers
  --max-learned N Keep at most N routes learned from (*,G) rules or stopping
                  unmatched flows, default ${DEFAULT_MAX_LEARNED}; the least recently active
                  go first, configured routes never
  --metrics ADDR  Serve OpenMetrics/Prometheus text at http://ADDR/metrics, where
                  ADDR is a loopback HOST:PORT (127.0.0.1:9544, [::1]:9544) or
                  unix:PATH; off by default
  -m SEC          Multicast router discovery (RFC 4286) advertisement interval on
                  phyints marked mrdisc, ${MRDISC_INTERVAL.min}-${MRDISC_INTERVAL.max} seconds, default: ${MRDISC_INTERVAL.default}
  -n              Run in the foreground, as under systemd or finit
  -N              Accepted for compatibility, no effect: VIFs/MIFs are made on demand
  -p USER[:GROUP] Run as USER (and GROUP, default USER's group) once the sockets
                  are open, keeping only CAP_NET_RAW; GROUP may use the socket
  -P FILE         PID file, default from NAME: ${pidPath(o)}
  -s              Log to syslog also in the foreground
  -t ID           Multicast routing table ID, default: 0
  -u FILE         UNIX socket for smcroutectl, default from NAME: ${sockPath(o)}
  -v, --version   Show program version
`;
}
