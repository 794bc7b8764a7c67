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
 * Renders a whole reply (show text, the closing NUL and anything after it)
 * into the bytes to print, in pieces: slices of the reply and the lines drawn.
 * Not joined: copying a megabyte costs the one-shot client more than the
 * drawing itself.
 */
export function renderReply(reply: Buffer, opts: RenderOptions): Buffer[] {
  // A reply of at most the status byte prints nothing.
  if (reply.length <= 1) return [];
  // A show of 10,000 routes is a megabyte of plain lines that print as they
  // came: those pass through as slices of the reply, and only titles,
  // headings and the tail (from the first NUL, or an unterminated last line,
  // on) are drawn line by line.
  const nul = reply.indexOf(0);
  const limit = nul < 0 ? reply.length : nul;
  const tail = limit > 0 ? reply.lastIndexOf(0x0a, limit - 1) + 1 : 0;
  const parts: Buffer[] = [];
  let passFrom = 0;
  const markers = new MarkerScan(reply, tail);
  for (let m = markers.next(); m >= 0; m = markers.next()) {
    const start = m > 0 ? reply.lastIndexOf(0x0a, m - 1) + 1 : 0;
    parts.push(reply.subarray(passFrom, start), Buffer.from(renderLine(reply.toString('latin1', start, m + 1), opts), 'latin1'));
    passFrom = m + 2;
  }
  parts.push(reply.subarray(passFrom, tail));
  // Line by line as the C client's fgets() reads it: the status NUL stays with
  // the last piece, which then counts as an (empty) line of its own.
  let out = '';
  for (let pos = tail; pos < reply.length;) {
    const nl = reply.indexOf(0x0a, pos);
    const end = nl < 0 ? reply.length : nl + 1;
    out += renderLine(cString(reply.subarray(pos, end)), opts);
    pos = end;
  }
  parts.push(Buffer.from(out, 'latin1'));
  return parts.filter((p) => p.length > 0);
}

/** Positions of `_` or `=` right before a newline, in order, below `limit`; -1 when done. */
class MarkerScan {
  private title: number;
  private heading: number;

  constructor(
    private readonly buf: Buffer,
    private readonly limit: number,
  ) {
    this.title = this.find('_\n', 0);
    this.heading = this.find('=\n', 0);
  }

  next(): number {
    if (this.title < 0 && this.heading < 0) return -1;
    if (this.heading < 0 || (this.title >= 0 && this.title < this.heading)) {
      const m = this.title;
      this.title = this.find('_\n', m + 2);
      return m;
    }
    const m = this.heading;
    this.heading = this.find('=\n', m + 2);
    return m;
  }

  private find(marker: string, from: number): number {
    const at = this.buf.indexOf(marker, from, 'latin1');
    return at >= 0 && at + 2 <= this.limit ? at : -1;
  }
}

/** The text up to the first NUL, as C string functions see it. */
function cString(piece: Buffer): string {
  const nul = piece.indexOf(0);
  return piece.toString('latin1', 0, nul < 0 ? piece.length : nul);
}

function renderLine(raw: string, opts: RenderOptions): string {
  // Trimmed by hand: a regular expression costs the one-shot client its compilation.
  let end = raw.length;
  while (end > 0 && raw.charCodeAt(end - 1) === 0x0a) end--;
  const line = raw.slice(0, end);
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
