// Client-side drawing of a show reply, as upstream's smcroutectl does it: lines
// ending in `_` are titles, in `=` column headings. Works on bytes (latin1
// strings, one char per byte) so output is byte-identical; never writes anything.

import { isatty } from 'node:tty';

export interface RenderOptions {
  /** False with -t: titles and headings are dropped. */
  readonly heading: boolean;
  /** True with -p: rules of `_`/`=` instead of terminal attributes. */
  readonly plain: boolean;
  /** Terminal width for the ANSI modes; asked once per title or heading line. */
  readonly width: () => number;
}

const UNDERLINE = '\x1b[4m';
const REVERSE = '\x1b[7m';
const RESET = '\x1b[0m';
/** Plain rules are at least this wide, the classic 80-column terminal minus one. */
const MIN_RULE = 79;

/**
 * Renders a whole reply (show text, the closing NUL and anything after it).
 * Returns a latin1 string; write it with the 'latin1' encoding.
 */
export function renderReply(reply: Buffer, opts: RenderOptions): string {
  // A reply of at most the status byte prints nothing.
  if (reply.length <= 1) return '';
  let out = '';
  let pos = 0;
  // Line by line as the C client's fgets() reads it: the status NUL stays with
  // the last piece, which then counts as an (empty) line of its own.
  while (pos < reply.length) {
    const nl = reply.indexOf(0x0a, pos);
    const end = nl < 0 ? reply.length : nl + 1;
    out += renderLine(cString(reply.subarray(pos, end)), opts);
    pos = end;
  }
  return out;
}

/** The text up to the first NUL, as C string functions see it. */
function cString(piece: Buffer): string {
  const nul = piece.indexOf(0);
  return piece.toString('latin1', 0, nul < 0 ? piece.length : nul);
}

function renderLine(raw: string, opts: RenderOptions): string {
  const line = raw.replace(/\n+$/, '');
  const last = line.length - 1;
  // A marker only counts on lines of two characters or more.
  const kind = last > 0 ? line[last] : undefined;
  if (kind !== '_' && kind !== '=') return line + '\n';
  if (!opts.heading) return '';
  const text = line.slice(0, last);

  if (kind === '_') {
    if (!opts.plain) return `${UNDERLINE}${' '.repeat(opts.width())}${RESET}\n${text}\n`;
    return `${'_'.repeat(Math.max(text.length, MIN_RULE))}\n${text}\n`;
  }
  if (!opts.plain) {
    // printf's "%*s" with a negative width still pads, left-justified, by its magnitude.
    const pad = Math.abs(opts.width() - text.length);
    return `${REVERSE}${text}${' '.repeat(pad)}${RESET}\n`;
  }
  const rule = '='.repeat(Math.max(text.length, MIN_RULE));
  return `${rule}\n${text}\n${rule}\n`;
}

/**
 * Width for the ANSI modes: the terminal's columns when both stdin and stderr
 * are terminals (where upstream's cursor probe gets an answer), else 79.
 */
export function terminalWidth(): number {
  if (!isatty(0) || !isatty(2)) return MIN_RULE;
  return process.stderr.columns || MIN_RULE;
}
