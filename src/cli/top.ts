// `smcroutectl top`: samples the daemon's stats (IPC 'T') every interval and shows the rates,
// live on the terminal's alternate screen or once as plain text or JSON. Owns the terminal while
// it runs and gives it back on every way out; the arithmetic and layout are top-format.ts's.

import { formatTop, parseSample, rates, topJson, type Sample } from './top-format.js';
import { UNKNOWN_COMMAND } from '../ipc/command-names.js';
import { fail, ok, type Result } from '../result.js';

export interface TopOptions {
  /** Seconds between samples. */
  readonly interval: number;
  /** Two samples one interval apart, one table, no terminal codes. */
  readonly once: boolean;
  readonly json: boolean;
}

export interface TopIo {
  /** One 'T' request: the reply without its final NUL, or the message of a failed request. */
  readonly fetch: () => Promise<Result<string, readonly string[]>>;
  readonly out: (text: string) => void;
  /** Terminal size; undefined when the output is not a terminal. */
  readonly size: () => { rows: number; columns: number } | undefined;
  readonly sleep: (ms: number) => Promise<void>;
  /** Calls `handler` on SIGINT/SIGTERM (and on a resize); returns the function that stops listening. */
  readonly onSignal: (signals: readonly NodeJS.Signals[], handler: (signal: NodeJS.Signals) => void) => () => void;
}

// The alternate screen keeps the operator's scrollback; the cursor is hidden while drawing.
const ENTER = '\x1b[?1049h\x1b[?25l';
const LEAVE = '\x1b[?25h\x1b[?1049l';
const HOME_CLEAR = '\x1b[H\x1b[2J';

/** The default and the bounds of --interval, in seconds. */
export const DEFAULT_INTERVAL = 1;
export const MIN_INTERVAL = 0.1;
export const MAX_INTERVAL = 3600;

/** An --interval argument in seconds, decimals allowed. */
export function parseInterval(text: string): Result<number> {
  const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!(n >= MIN_INTERVAL && n <= MAX_INTERVAL)) {
    return fail(`invalid interval '${text}': seconds from ${MIN_INTERVAL} to ${MAX_INTERVAL}`);
  }
  return ok(n);
}

/** An old daemon answers a letter it does not know with UNKNOWN_COMMAND; any other text is an error of its own. */
async function sample(io: TopIo): Promise<Result<Sample, readonly string[]>> {
  const reply = await io.fetch();
  if (!reply.ok) return reply;
  const firstLine = reply.value.split('\n', 1)[0] ?? ''; // one line, not every line of a 50,000-route reply
  if (reply.value.startsWith(UNKNOWN_COMMAND)) return fail([`the daemon does not support top (an older version?): ${firstLine}`]);
  if (!reply.value.startsWith('{')) return fail([firstLine]);
  const parsed = parseSample(reply.value);
  return parsed.ok ? parsed : fail([parsed.error]);
}

/** Runs top; returns the exit status and the messages to print on failure. */
export async function runTop(io: TopIo, opts: TopOptions): Promise<Result<number, readonly string[]>> {
  const first = await sample(io);
  if (!first.ok) return first;
  if (opts.once) {
    await io.sleep(opts.interval * 1000);
    const second = await sample(io);
    if (!second.ok) return second;
    const view = rates(first.value, second.value);
    io.out(opts.json ? `${topJson(view)}\n` : `${formatTop(view).join('\n')}\n`);
    return ok(0);
  }
  return live(io, opts, first.value);
}

async function live(io: TopIo, opts: TopOptions, first: Sample): Promise<Result<number, readonly string[]>> {
  let stop: (() => void) | undefined;
  const stopped = new Promise<'stopped'>((resolve) => {
    stop = () => resolve('stopped');
  });
  let redraw: (() => void) | undefined;
  const unlisten = io.onSignal(['SIGINT', 'SIGTERM', 'SIGWINCH'], (signal) => {
    if (signal === 'SIGWINCH') redraw?.();
    else stop?.();
  });
  io.out(ENTER + HOME_CLEAR + 'smcroutectl top: sampling...\n');
  try {
    let prev = first;
    for (;;) {
      if ((await Promise.race([io.sleep(opts.interval * 1000), stopped])) === 'stopped') return ok(0);
      const cur = await sample(io);
      if (!cur.ok) return cur;
      const view = rates(prev, cur.value);
      prev = cur.value;
      const draw = () => {
        const size = io.size();
        const lines = formatTop(view, size ? { rows: size.rows - 1 } : {});
        // Cut, not wrapped: a wrapped line would push the last rows off the screen.
        const cut = size ? lines.map((l) => l.slice(0, size.columns)) : lines;
        io.out(HOME_CLEAR + cut.join('\n') + '\n');
      };
      redraw = draw;
      draw();
    }
  } finally {
    unlisten();
    io.out(LEAVE);
  }
}
