// smcroutectl: parses options and commands the way upstream's client does and
// talks to the daemon over IPC. Holds no daemon logic; all I/O goes through CliIo.

import { basename } from 'node:path';
import type { IpcTarget } from '../ipc/client.js';
import { UNKNOWN_COMMAND } from '../ipc/command-names.js';
import { checkSocketPath } from '../ipc/socket-path.js';
import { VERSION } from '../version.js';
import { getopt, type OptionDef } from './getopt.js';
import { fdWriter, stdinGroups } from './stdio.js';
import { fail, ok, type Result } from '../result.js';

// Loaded when needed, so -v and -h load next to nothing. The reply renderer
// is fetched while the daemon works on the request.
const ipcClient = () => import('../ipc/client.js');
const requestRules = () => import('../ipc/requests.js');
const renderer = () => import('../show/render.js');
const topRunner = () => import('./top.js');

const BUG_REPORT = 'https://github.com/troglobit/smcroute/issues';
const HOMEPAGE = 'https://github.com/troglobit/smcroute/';
const DEFAULT_IDENT = 'smcroute';
const RUNSTATEDIR = '/run';

export interface CliIo {
  readonly out: (data: Buffer) => void;
  readonly err: (data: Buffer) => void;
  /**
   * Lines of stdin without their newline, for -b, in the groups they arrived
   * in: the requests of one group may share a connection.
   */
  readonly lines: () => AsyncIterable<readonly string[]>;
  /** Terminal width for headings with attributes; by default the process's terminal's. */
  readonly width?: () => number;
  /** Connection attempts and pause while the socket is missing or refuses; 30 × 100 ms by default. */
  readonly attempts?: number;
  readonly retryDelayMs?: number;
  /** How long the daemon may send nothing before the client gives up; 10 s by default. */
  readonly replyTimeoutMs?: number;
  /**
   * Calls `handler` on each of `signals` (Ctrl-C, SIGTERM, a terminal resize) until the returned
   * function is called; for `monitor` and `top`. Without it, signals keep their default action.
   */
  readonly onSignal?: (signals: readonly NodeJS.Signals[], handler: (signal: NodeJS.Signals) => void) => () => void;
  /** The output terminal's size for `top`; undefined (or absent) when stdout is not a terminal. */
  readonly terminalSize?: () => { rows: number; columns: number } | undefined;
}

interface Command {
  readonly name: string;
  readonly minArgs: number;
  /** Upstream's commands take any number of words; some of ours do not. */
  readonly maxArgs?: number;
  /** The arguments, named in the too-many message; without it the extra words are. */
  readonly argsHelp?: string;
  /** The IPC command letter, or 'h'/'v' handled locally. */
  readonly val: string;
  /** Undefined for an alias: it shares the help of the entry before it. */
  readonly help?: string;
  readonly example?: string;
  readonly isShow?: boolean;
}

// Order matters: an abbreviation picks the first entry it matches ("r" is reload).
// Exported, as OPTIONS below, for the test that holds man/smcroutectl.8 to them.
export const COMMANDS: readonly Command[] = [
  { name: 'help', minArgs: 0, val: 'h', help: 'Print this text, or the help on one command' },
  { name: 'version', minArgs: 0, val: 'v', help: 'Print the version and where to report bugs' },
  { name: 'flush', minArgs: 0, val: 'F', help: 'Drop the (S,G) routes learned from (*,G) rules now' },
  { name: 'kill', minArgs: 0, val: 'k', help: 'Tell the daemon to exit' },
  {
    name: 'reload',
    minArgs: 0,
    val: 'H',
    help: 'Re-read the configuration file, as on SIGHUP (-n: only say what would change)',
    example: '--dry-run',
  },
  { name: 'restart', minArgs: 0, val: 'H' },
  { name: 'show', minArgs: 0, val: 's', help: 'List routes, group memberships, interfaces or pending rules', isShow: true },
  { name: 'add', minArgs: 3, val: 'a', help: 'Install a multicast route', example: 'eth0 192.0.2.10 239.1.2.3 eth1 eth2' },
  { name: 'remove', minArgs: 2, val: 'r', help: 'Delete a multicast route', example: 'eth0 192.0.2.10 239.1.2.3' },
  { name: 'del', minArgs: 2, val: 'r' },
  { name: 'join', minArgs: 2, val: 'j', help: 'Join a multicast group on an interface', example: 'eth0 239.1.2.3' },
  { name: 'leave', minArgs: 2, val: 'l', help: 'Leave a multicast group joined before', example: 'eth0 239.1.2.3' },
  // Ours, after upstream's entries so that their abbreviations keep their meaning.
  {
    name: 'explain',
    minArgs: 2,
    maxArgs: 3,
    argsHelp: '[IIF] SOURCE GROUP',
    val: 'x',
    help: 'Say what the router does with a flow, and why',
    example: 'eth0 192.0.2.10 239.1.2.3',
  },
  {
    name: 'monitor',
    minArgs: 0,
    maxArgs: 0,
    val: 'm',
    help: 'Print what the daemon does as it happens, until Ctrl-C',
    example: '-j',
  },
  {
    name: 'top',
    minArgs: 0,
    maxArgs: 0,
    val: 'T',
    help: 'Live view of routes and interfaces by packet rate',
    example: '--once -s 2',
  },
];

const ARGUMENTS = `Arguments:
         <---------- inbound --------->  <-- OIFs --->
  add    IIF [SOURCE[/LEN]] GROUP[/LEN]  OIF [OIF ...]
  remove IIF [SOURCE[/LEN]] GROUP[/LEN]

  join   IIF [SOURCE[/LEN]] GROUP[/LEN]
  leave  IIF [SOURCE[/LEN]] GROUP[/LEN]

  show   interfaces    Interfaces and their VIF/MIF numbers
  show   groups        Multicast groups joined
  show   pending       Rules waiting for their interfaces to appear
  show   routes        (*,G) and (S,G) rules and the kernel's routes (the default)

  explain [IIF] SOURCE GROUP   Verdict and reasons for one flow (-j: JSON);
                               IIF may be left out when a rule or the kernel names it

  top    [-s SEC] [--once [-j]]   Routes by packets/s and bits/s, refreshed every
                                  SEC seconds (1); --once prints one table

Note:
  IIF and OIF take an interface name or a wildcard: "eth+" stands for any
  interface whose name starts with "eth" (eth0, eth15, ...).

`;

interface State {
  ident: string;
  sockFile?: string;
  heading: boolean;
  detail: boolean;
  json: boolean;
  plain: boolean;
  help: number;
  batch: boolean;
  version: boolean;
  /** --dry-run: with reload, ask what it would change ('n', or 'N' with -j). */
  dryRun: boolean;
  /** top: seconds between samples, as given (checked when top runs). */
  interval?: string;
  /** top: one table and exit. */
  once: boolean;
}

/** Options in upstream's letters; those with help text are listed by usage, in this order. */
export const OPTIONS: readonly (OptionDef<State> & { readonly help?: string })[] = [
  {
    short: 'b',
    help: 'Read commands from stdin, one per line',
    apply: (st) => {
      st.batch = true;
    },
  },
  {
    short: 'd',
    help: 'Add packet and byte counters to show output',
    apply: (st) => {
      st.detail = true;
    },
  },
  {
    short: 'j',
    help: 'Print show, explain, monitor and reload --dry-run output as JSON',
    apply: (st) => {
      st.json = true;
    },
  },
  {
    short: 'i',
    arg: 'NAME',
    help: `Name of the daemon instance, default: ${DEFAULT_IDENT}`,
    apply: (st, v) => {
      st.ident = v;
    },
  },
  {
    short: 'n',
    long: 'dry-run',
    help: 'With reload (--dry-run): print what it would change, change nothing',
    apply: (st) => {
      st.dryRun = true;
    },
  },
  {
    short: 'p',
    help: 'Plain table headings, without terminal control codes',
    apply: (st) => {
      st.plain = true;
    },
  },
  {
    short: 't',
    help: 'Leave out table headings in show output',
    apply: (st) => {
      st.heading = false;
    },
  },
  // top's: letters upstream's client does not have, so its command lines keep their meaning.
  {
    short: 's',
    long: 'interval',
    arg: 'SEC',
    help: 'top: seconds between samples (--interval), default 1',
    apply: (st, v) => {
      st.interval = v;
    },
  },
  {
    long: 'once',
    help: 'top: print one table, from two samples one interval apart, and exit',
    apply: (st) => {
      st.once = true;
    },
  },
  {
    short: 'u',
    arg: 'FILE',
    help: `The daemon's UNIX socket, default: ${RUNSTATEDIR}/${DEFAULT_IDENT}.sock`,
    apply: (st, v) => {
      st.sockFile = v;
    },
  },
  // -h only counts: with a command it shows that command's help, as "help CMD" does.
  {
    short: 'h',
    long: 'help',
    apply: (st) => {
      st.help++;
    },
  },
  {
    short: 'I',
    arg: 'NAME',
    apply: (st, v) => {
      st.ident = v;
    },
  }, // older name of -i
  // Upstream prints the version as soon as it meets -v, whatever comes after.
  {
    short: 'v',
    long: 'version',
    apply: (st) => {
      st.version = true;
      return 'stop';
    },
  },
];

class Cli {
  private readonly prognm: string;

  constructor(
    private readonly io: CliIo,
    private readonly st: State,
    argv0: string,
  ) {
    this.prognm = basename(argv0).replace(/\.js$/, '');
  }

  print(text: string): void {
    this.io.out(Buffer.from(text, 'utf8'));
  }

  /** warnx(3): "PROG: message". */
  warnx(message: string | Buffer): void {
    const msg = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
    this.io.err(Buffer.concat([Buffer.from(`${this.prognm}: `, 'utf8'), msg, Buffer.from('\n')]));
  }

  usage(code: number): number {
    let text = `Usage:\n  ${this.prognm} [OPTIONS] CMD [ARGS]\n\nOptions:\n`;
    for (const o of OPTIONS) {
      if (!o.help) continue;
      const name = o.short ? `-${o.short}` : `--${o.long ?? ''}`;
      text += `  ${`${name} ${o.arg ?? ''}`.padEnd(13)} ${o.help}\n`;
    }
    text += '\nCommands:\n';
    for (const c of COMMANDS) {
      if (c.help) text += `  ${c.name.padEnd(7)} ${c.minArgs ? 'ARGS' : '    '}  ${c.help}\n`;
    }
    this.print(`${text}\n${ARGUMENTS}`);
    return code;
  }

  version(): number {
    this.print(`SMCRoute v${VERSION}\n\nBug report address: ${BUG_REPORT}\nProject homepage:   ${HOMEPAGE}\n`);
    return 0;
  }

  commandHelp(cmd: Command, status: number): number {
    // An alias shows its main command's help: the nearest entry before it that has help.
    const c =
      COMMANDS.slice(0, COMMANDS.indexOf(cmd) + 1)
        .reverse()
        .find((e) => e.help) ?? cmd;
    this.print(`Help:\n  ${c.help}\n\nExample:\n  ${this.prognm} ${c.name} ${c.example ?? ''}\n\n`);
    return status;
  }

  /** One command line (after the options), as upstream's parse(). */
  async run(words: readonly string[]): Promise<number> {
    const step = await this.plan(words);
    if ('local' in step) return step.local();
    return this.request(step.cmd, step.args);
  }

  /** `top`: rates from samples of the daemon's stats, until Ctrl-C or once. */
  private async top(): Promise<number> {
    const { DEFAULT_INTERVAL, parseInterval, runTop } = await topRunner();
    const interval = this.st.interval === undefined ? ok(DEFAULT_INTERVAL) : parseInterval(this.st.interval);
    if (!interval.ok) {
      this.warnx(interval.error);
      return 1;
    }
    const { IpcClientError, ipcRequest } = await ipcClient();
    const fetch = async (): Promise<Result<string, readonly string[]>> => {
      try {
        return ok(replyText(await ipcRequest(this.target(), 'T', [])).toString('utf8'));
      } catch (err) {
        if (!(err instanceof IpcClientError)) throw err;
        return fail(err.lines);
      }
    };
    const out = this.io.out;
    const res = await runTop(
      {
        fetch,
        out: (text) => out(Buffer.from(text, 'utf8')),
        size: this.io.terminalSize ?? (() => undefined),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        onSignal: this.io.onSignal ?? (() => () => {}),
      },
      { interval: interval.value, once: this.st.once || this.io.terminalSize?.() === undefined, json: this.st.json },
    );
    if (res.ok) return res.value;
    for (const line of res.error) this.warnx(line);
    return 1;
  }

  /**
   * What a command line comes to: a request for the daemon, or what is
   * printed here (help, version, a refusal). Prints nothing itself.
   */
  private async plan(words: readonly string[]): Promise<Step> {
    const st = this.st;
    let found: Command | undefined;
    let pos = 0; // words taken so far; the found command's arguments follow them
    // Words matching no command are skipped; the first match ends the search.
    for (const word of words) {
      pos++;
      const c = COMMANDS.find((e) => {
        const n = Math.min(e.name.length, word.length);
        return word.slice(0, n) === e.name.slice(0, n);
      });
      if (!c) continue;
      if (c.val === 'h') {
        st.help++;
        continue;
      }
      if (c.val === 'v') return { local: () => this.version() };
      found = c;
      if (st.help) return { local: () => this.commandHelp(c, 0) };
      if (words.length - pos < c.minArgs) {
        return {
          local: () => {
            this.warnx(`Not enough arguments to command ${c.name}`);
            return this.commandHelp(c, 1);
          },
        };
      }
      if (c.maxArgs !== undefined && words.length - pos > c.maxArgs) {
        const what = c.argsHelp ?? words.slice(pos).join(' ');
        return {
          local: () => {
            this.warnx(`Too many arguments to command ${c.name}: ${what}`);
            return 1;
          },
        };
      }
      break;
    }
    if (st.help) return { local: () => this.usage(0) };

    if (st.dryRun && found?.val !== 'H') {
      const what = found ? `not with ${found.name}` : 'it needs the reload command';
      return {
        local: () => {
          this.warnx(`--dry-run goes with reload (or restart) only, ${what}`);
          return this.usage(1);
        },
      };
    }
    if (st.dryRun) return this.checked(st.json ? 'N' : 'n', words.slice(pos));
    const showCmd = st.json ? 'J' : st.detail ? 'S' : 's';
    if (!found) return this.checked(showCmd, []);
    // monitor and top each hold a connection of their own, for as long as they run.
    if (found.val === 'm') return this.checked(st.json ? 'M' : 'm', [], true);
    if (found.val === 'T') return this.checked('T', [], true);
    // explain: the word count is checked here; the daemon checks the rest.
    if (found.val === 'x') return this.checked(st.json ? 'X' : 'x', words.slice(pos));
    return this.checked(found.isShow ? showCmd : found.val, words.slice(pos));
  }

  /**
   * The daemon's own rules, checked before sending: the same message, without
   * the round trip. A request too big for a frame goes out alone, for the
   * client to report as upstream does; so does one that needs a connection
   * of its own (`alone`: monitor, top). Every request's socket path is checked here.
   */
  private async checked(cmd: string, args: readonly string[], alone = false): Promise<Step> {
    const sock = checkSocketPath(this.target().path);
    if (!sock.ok) {
      return {
        local: () => {
          this.warnx(sock.error);
          return 1;
        },
      };
    }
    const { fitsOneFrame } = await ipcClient();
    if (alone || !fitsOneFrame(cmd, args)) return { cmd, args, alone: true };
    if (isShowLetter(cmd)) return { cmd, args };
    const { decodeCommand, isCommandLetter } = await requestRules();
    if (!isCommandLetter(cmd)) return { cmd, args };
    const checked = decodeCommand(cmd, args);
    if (checked.ok) return { cmd, args };
    const message = checked.error.message;
    return {
      local: () => {
        this.warnx(message);
        return 1;
      },
    };
  }

  private target(): IpcTarget {
    const st = this.st;
    return {
      path: st.sockFile ?? `${RUNSTATEDIR}/${st.ident}.sock`,
      explicitPath: st.sockFile !== undefined,
      attempts: this.io.attempts,
      retryDelayMs: this.io.retryDelayMs,
      replyTimeoutMs: this.io.replyTimeoutMs,
    };
  }

  /** One request on its own connection, its reply printed. */
  private async request(cmd: string, args: readonly string[]): Promise<number> {
    if (cmd === 'm' || cmd === 'M') return this.monitor(cmd);
    if (cmd === 'T') return this.top();
    const { IpcClientError, ipcRequest } = await ipcClient();
    let render: Promise<unknown> | undefined;
    let reply: Buffer;
    try {
      reply = await ipcRequest(this.target(), cmd, args, () => {
        if (isShowLetter(cmd)) render = renderer();
      });
    } catch (err) {
      if (!(err instanceof IpcClientError)) throw err;
      for (const line of err.lines) this.warnx(line);
      return 1;
    }
    await render;
    return this.answer(cmd, reply);
  }

  /**
   * `monitor`: the daemon's lines as they come, until Ctrl-C or SIGTERM (exit 0) or the daemon
   * ends the stream (exit 1, saying why).
   */
  private async monitor(cmd: string): Promise<number> {
    const { IpcClientError, ipcStream } = await ipcClient();
    let stream;
    try {
      stream = await ipcStream(this.target(), cmd, (data) => this.io.out(data));
    } catch (err) {
      if (!(err instanceof IpcClientError)) throw err;
      for (const line of err.lines) this.warnx(line);
      return 1;
    }
    const unhook = this.io.onSignal?.(['SIGINT', 'SIGTERM'], () => stream.close());
    const end = await stream.ended;
    unhook?.();
    switch (end.by) {
      case 'client':
        return 0;
      case 'lost':
        this.warnx('Lost the connection to the daemon: it exited or was killed');
        return 1;
      case 'daemon':
        if (end.status === '') this.warnx('The daemon ended the monitor stream: it is shutting down');
        else if (end.status.startsWith(UNKNOWN_COMMAND))
          this.warnx(`This daemon does not support monitor (an older or upstream smcrouted?): ${end.status}`);
        else this.warnx(end.status);
        return 1;
    }
  }

  /** Prints what a reply says, as upstream's client does; returns the exit status it means. */
  private async answer(cmd: string, reply: Buffer): Promise<number> {
    if (isDryRunLetter(cmd)) return this.dryRunAnswer(cmd, reply);
    if (cmd === 'x' || cmd === 'X') return this.explained(reply);
    if (reply.length <= 1) return 0;
    if (isShowLetter(cmd)) {
      // Upstream exits 0 here even when the daemon reported an error.
      const { renderReply, terminalWidth } = await renderer();
      const st = this.st;
      const opts = { heading: st.heading, plain: st.plain, width: this.io.width ?? terminalWidth };
      for (const piece of renderReply(reply, opts)) this.io.out(piece);
      return 0;
    }
    return this.refusal(reply);
  }

  /**
   * An error reply: its first line as upstream's client prints it, then any lines after it
   * (upstream's replies are one line; ours may list more, as a refused reload's errors).
   */
  private refusal(reply: Buffer, ifEmpty?: string): number {
    const text = replyText(reply);
    const nl = text.indexOf(0x0a);
    const first = text.subarray(0, Math.min(nl < 0 ? text.length : nl, 1024));
    this.warnx(first.length === 0 && ifEmpty !== undefined ? ifEmpty : first);
    if (nl >= 0 && nl + 1 < text.length) this.io.err(Buffer.concat([text.subarray(nl + 1), Buffer.from('\n')]));
    return 1;
  }

  /**
   * A dry run's reply: the plan (text starting with its verdict, or JSON
   * whose `apply` says), or a refusal, printed as a refused reload's. A
   * daemon that does not know the request (upstream's, or an older one)
   * answers that it is malformed, and has done nothing.
   */
  private dryRunAnswer(cmd: string, reply: Buffer): number {
    const text = replyText(reply).toString('utf8');
    if (text.startsWith(UNKNOWN_COMMAND)) {
      this.warnx('The daemon does not support reload --dry-run (upstream smcrouted, or an older version); nothing was reloaded');
      return 1;
    }
    if (cmd === 'N') {
      const apply = jsonApply(text);
      if (apply !== undefined) {
        this.print(text);
        return apply ? 0 : 1;
      }
    } else if (text.startsWith('No changes\n') || text.startsWith('Reload would apply:')) {
      this.print(text);
      return 0;
    }
    return this.refusal(reply);
  }

  /**
   * An explanation opens with its verdict (text) or a brace (JSON); anything else is an error,
   * and "Unknown or malformed" is what a daemon without explain (upstream's, an older ours) says.
   */
  private explained(reply: Buffer): number {
    const text = replyText(reply);
    const head = text.subarray(0, 9).toString('latin1');
    if (head.startsWith('Verdict: ') || head.startsWith('{')) {
      this.io.out(text);
      return 0;
    }
    if (text.toString('latin1', 0, UNKNOWN_COMMAND.length) === UNKNOWN_COMMAND) {
      this.warnx(`explain: this daemon does not support explain (it answered: ${text.toString('utf8').trim()})`);
      return 1;
    }
    return this.refusal(reply, 'explain: empty reply from the daemon');
  }

  /**
   * -b: one command per line. Unlike upstream, blank lines are skipped and
   * words are split on runs of blanks, so a stray empty word cannot turn into
   * "help"; lines whose first non-blank character is '#' are comments.
   * Requests on lines that arrived together go to the daemon together (see
   * pipeline); what is printed, and in which order, is as one at a time.
   */
  async batch(): Promise<number> {
    const initialHelp = this.st.help;
    let rc = 0;
    for await (const group of this.io.lines()) {
      let pending: Request[] = [];
      for (const line of group) {
        const words = line.split(/[ \t]+/).filter((w) => w !== '');
        const first = words[0];
        if (first === undefined || first.startsWith('#')) continue;
        this.st.help = initialHelp;
        const step = await this.plan(words);
        if (!('local' in step) && !step.alone) {
          pending.push(step);
          continue;
        }
        rc += await this.pipeline(pending);
        pending = [];
        if ('local' in step) rc += step.local();
        else rc += await this.request(step.cmd, step.args);
      }
      rc += await this.pipeline(pending);
    }
    return rc;
  }

  /**
   * Requests back to back over one connection, which upstream's server reads
   * as it reads one, answering each in turn: a thousand `add`s cost one
   * connection, not a thousand. Whatever the daemon did not answer (it closes
   * once it has answered all it has read), or a connection that fails, goes
   * again one request at a time, so the messages are those of that way.
   */
  private async pipeline(reqs: readonly Request[]): Promise<number> {
    const [only] = reqs;
    if (only === undefined) return 0;
    if (reqs.length === 1) return this.request(only.cmd, only.args);
    const { IpcClientError, ipcPipeline } = await ipcClient();
    let replies: Buffer[] = [];
    try {
      replies = await ipcPipeline(this.target(), reqs);
    } catch (err) {
      if (!(err instanceof IpcClientError)) throw err;
    }
    let rc = 0;
    for (const [i, r] of reqs.entries()) {
      const reply = replies[i];
      rc += reply === undefined ? await this.request(r.cmd, r.args) : await this.answer(r.cmd, reply);
    }
    return rc;
  }
}

interface Request {
  readonly cmd: string;
  readonly args: readonly string[];
  /** Sent on a connection of its own (a request too big for a frame fails there, as upstream's does). */
  readonly alone?: boolean;
}

type Step = Request | { readonly local: () => number };

function isDryRunLetter(cmd: string): boolean {
  return cmd === 'n' || cmd === 'N';
}

/** The `apply` of a dry run's JSON reply; undefined when the reply is not that. */
function jsonApply(text: string): boolean | undefined {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === 'object' && v !== null && 'apply' in v && typeof v.apply === 'boolean') return v.apply;
  } catch {
    // Not JSON: an error message.
  }
  return undefined;
}

function isShowLetter(cmd: string): boolean {
  return cmd === 's' || cmd === 'S' || cmd === 'J';
}

/** A reply's text: up to the NUL that ends every reply. */
function replyText(reply: Buffer): Buffer {
  const nul = reply.indexOf(0);
  return nul < 0 ? reply : reply.subarray(0, nul);
}

/**
 * Runs smcroutectl with `args` (argv without node and script). `argv0` names
 * the program in messages. Returns the exit status.
 */
export async function main(args: readonly string[], io: CliIo, argv0 = 'smcroutectl', posixlyCorrect = false): Promise<number> {
  const st: State = {
    ident: DEFAULT_IDENT,
    heading: true,
    detail: false,
    json: false,
    plain: false,
    help: 0,
    batch: false,
    version: false,
    dryRun: false,
    once: false,
  };
  const cli = new Cli(io, st, argv0);
  const { operands, error } = getopt(args, OPTIONS, st, posixlyCorrect);
  if (st.version) return cli.version();
  if (error !== undefined) {
    // glibc's getopt names the program exactly as it was invoked.
    io.err(Buffer.from(`${argv0}: ${error}\n`, 'utf8'));
    return cli.usage(1);
  }
  if (st.batch) return cli.batch();
  return cli.run(operands);
}

/** Process entry point: real stdio, exit status as upstream's (truncated to 8 bits). */
export async function runFromProcess(): Promise<void> {
  const stdout = fdWriter(1);
  const stderr = fdWriter(2);
  const onSignal = (signals: readonly NodeJS.Signals[], handler: (signal: NodeJS.Signals) => void) => {
    for (const sig of signals) process.on(sig, handler);
    return () => {
      for (const sig of signals) process.off(sig, handler);
    };
  };
  const terminalSize = () => {
    const { isTTY, rows, columns } = process.stdout;
    return isTTY && rows > 0 && columns > 0 ? { rows, columns } : undefined;
  };
  const io: CliIo = { out: stdout.write, err: stderr.write, lines: stdinGroups, onSignal, terminalSize };
  const argv0 = process.argv[1] ?? 'smcroutectl';
  const status = (await main(process.argv.slice(2), io, argv0, process.env.POSIXLY_CORRECT !== undefined)) & 0xff;
  // Everything is written; exit now rather than wait for the event loop to wind down.
  if (stdout.queued() || stderr.queued()) process.exitCode = status;
  else process.exit(status);
}
