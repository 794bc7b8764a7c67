// smcroute.conf grammar: one file's text → Directives + Diagnostics (file:line).
// Pure: reads no files (load.ts follows includes) and never touches interfaces or the kernel.

import { checkIfname } from '../model/ifname.js';
import { checkJoin, checkRoute, type Checked, type FlowArgs } from '../model/validate.js';
import type { Diagnostic, Directive, MGroupDirective, MRouteDirective, PhyintDirective, Where } from './directives.js';

/** Upstream reads lines into a 512-byte buffer; longer lines get chopped into garbage. */
export const MAX_LINE_BYTES = 512;
export interface ConfigResult {
  directives: Directive[];
  diagnostics: Diagnostic[];
}

export interface ParseOptions {
  /**
   * Expands an `include` line; what it returns is spliced in at that line so
   * directive order follows reading order. Without it, includes are skipped
   * with a warning.
   */
  include?: (pattern: string, where: Where) => ConfigResult;
}

type Command = 'mgroup' | 'mroute' | 'phyint' | 'include';
type Keyword = 'from' | 'source' | 'group' | 'to' | 'enable' | 'disable' | 'mrdisc' | 'ttl-threshold';

// Upstream compares only the keyword's length of each token, so `mroutes`
// or `groups` are accepted; the first entry that fits wins.
const COMMANDS: readonly Spelling<Command>[] = [
  ['mgroup', 'mgroup'],
  ['ssmgroup', 'mgroup'],
  ['mroute', 'mroute'],
  ['phyint', 'phyint'],
  ['include', 'include'],
];
const KEYWORDS: readonly Keyword[] = ['from', 'source', 'group', 'to', 'enable', 'disable', 'mrdisc', 'ttl-threshold'];
const TAKES_VALUE: ReadonlySet<Keyword> = new Set(['from', 'source', 'group', 'ttl-threshold']);
const APPLIES: Record<Exclude<Command, 'include'>, ReadonlySet<Keyword>> = {
  phyint: new Set(['enable', 'disable', 'mrdisc', 'ttl-threshold']),
  mgroup: new Set(['from', 'source', 'group']),
  mroute: new Set(['from', 'source', 'group', 'to']),
};

/** A spelling and what it means: a word means the first entry it starts with. */
type Spelling<T> = readonly [string, T];

/** The entries by their spelling's first character, in list order: a word is compared with the few that can fit. */
function byFirstChar<T>(list: readonly Spelling<T>[]): ReadonlyMap<string, readonly Spelling<T>[]> {
  const out = new Map<string, Spelling<T>[]>();
  for (const entry of list) {
    const c = entry[0].charAt(0);
    out.set(c, [...(out.get(c) ?? []), entry]);
  }
  return out;
}
const COMMANDS_BY_CHAR = byFirstChar(COMMANDS);
const KEYWORDS_BY_CHAR = byFirstChar(KEYWORDS.map((k): Spelling<Keyword> => [k, k]));

/** What `word` starts with, as upstream matches it. A loop, not find(): run for every word of every line. */
function firstFit<T>(byChar: ReadonlyMap<string, readonly Spelling<T>[]>, word: string): T | undefined {
  const candidates = byChar.get(word.charAt(0));
  if (!candidates) return undefined;
  for (let i = 0; i < candidates.length; i++) {
    const entry = candidates[i];
    if (entry && word.startsWith(entry[0])) return entry[1];
  }
  return undefined;
}

const commandOf = (word: string): Command | undefined => firstFit(COMMANDS_BY_CHAR, word);
const keywordOf = (token: string): Keyword | undefined => firstFit(KEYWORDS_BY_CHAR, token);

/** isspace() in the C locale: space, \t, \n, \v, \f, \r. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** True when the line's first word is an mroute command (checked without splitting the line). */
export function isRouteLine(line: string): boolean {
  let i = 0;
  while (i < line.length && isSpace(line.charCodeAt(i))) i++;
  return line.startsWith('mroute', i);
}

/** The line's words, split at runs of white space (by hand: a regex split costs more than the rest of the parse). */
function tokenize(line: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < line.length; i++) {
    if (!isSpace(line.charCodeAt(i))) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      out.push(line.slice(start, i));
      start = -1;
    }
  }
  if (start >= 0) out.push(line.slice(start));
  return out;
}

/** What the tokens of one mgroup/mroute/phyint line said, before validation. */
interface Fields {
  iif?: string;
  source?: string;
  group?: string;
  /** Outbound interfaces after `to`; none without it. */
  oifs: readonly string[];
  enable?: boolean;
  mrdisc: boolean;
  ttl?: string;
  /** Keywords given without the value they need. */
  missing: readonly Keyword[];
}

/** Where parseLine puts what it finds; load.ts's sink also enforces the per-load bounds. */
export interface LineSink {
  /** A directive as read; `clean` when its line had no diagnostics at all. */
  directive(d: Directive, clean: boolean): void;
  diagnostic(d: Diagnostic): void;
}

/** Shared by the lines that lack no value, nearly all. */
const NO_KEYWORDS: readonly Keyword[] = [];
const NO_OIFS: readonly string[] = [];

/** Collects diagnostics for one line; `failed` once any error was reported. */
class LineReport {
  failed = false;
  /** No diagnostic at all: a reload may take the same text's directive again without parsing it. */
  clean = true;
  constructor(
    readonly where: Where,
    private readonly out: LineSink,
  ) {}
  error(message: string): void {
    this.failed = true;
    this.clean = false;
    this.out.diagnostic({ where: this.where, severity: 'error', message });
  }
  warn(message: string): void {
    this.clean = false;
    this.out.diagnostic({ where: this.where, severity: 'warning', message });
  }
}

const isComment = (token: string | undefined): boolean => token !== undefined && token.startsWith('#');

/** The line's UTF-8 size, or its (smaller) UTF-16 length when that already proves it fits. */
function byteLength(line: string): number {
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short lines need no encoding.
  return line.length * 3 < MAX_LINE_BYTES ? line.length : Buffer.byteLength(line, 'utf8');
}

/**
 * Reads the keywords after the command. Consumption follows upstream exactly
 * (a value keyword takes the next token, `to` takes the rest of the line),
 * except that a token starting with `#` always ends the line: upstream would
 * swallow `# ...` after `to` as interface names.
 */
function readFields(op: Exclude<Command, 'include'>, tokens: string[], start: number, report: LineReport): Fields {
  const f: Fields = { mrdisc: false, missing: NO_KEYWORDS, oifs: NO_OIFS };
  for (let i = start; ; i++) {
    const token = tokens[i];
    if (token === undefined || isComment(token)) break; // the end of the line, or a comment
    const kw = keywordOf(token);
    if (!kw) {
      report.warn(`${op}: unexpected "${token}", ignored`);
      continue;
    }
    const applies = APPLIES[op].has(kw);
    if (!applies) report.warn(`${op}: "${kw}" does not apply here, ignored`);
    if (kw === 'to') {
      let end = i + 1;
      while (end < tokens.length && !isComment(tokens[end])) end++;
      if (applies) f.oifs = tokens.slice(i + 1, end);
      i = end - 1;
      continue;
    }
    let value: string | undefined;
    if (TAKES_VALUE.has(kw)) {
      const next = tokens[i + 1];
      if (next === undefined || isComment(next)) f.missing = [...f.missing, kw];
      else {
        value = next;
        i++;
      }
    }
    if (!applies) continue;
    switch (kw) {
      case 'from':
        f.iif = value ?? f.iif;
        break;
      case 'source':
        f.source = value ?? f.source;
        break;
      case 'group':
        f.group = value ?? f.group;
        break;
      case 'ttl-threshold':
        f.ttl = value ?? f.ttl;
        break;
      case 'enable':
        f.enable = true;
        break;
      case 'disable':
        f.enable = false;
        break;
      case 'mrdisc':
        f.mrdisc = true;
        break;
    }
  }
  return f;
}

function phyint(ifname: string, f: Fields, report: LineReport): PhyintDirective | undefined {
  const name = checkIfname(ifname);
  if (!name.ok) report.error(`phyint: ${name.error}`);
  let ttlThreshold: number | undefined;
  if (f.missing.includes('ttl-threshold')) report.error('phyint: "ttl-threshold" needs a value (1-255)');
  if (f.ttl !== undefined) {
    if (!/^\d+$/.test(f.ttl)) report.error(`phyint: ttl-threshold "${f.ttl}" is not a number`);
    else {
      ttlThreshold = Number(f.ttl);
      if (ttlThreshold < 1 || ttlThreshold > 255) {
        report.error(`phyint: ttl-threshold ${f.ttl} out of range (1-255)`);
      }
    }
  }
  if (report.failed) return undefined;
  return {
    kind: 'phyint',
    where: report.where,
    ifname,
    mrdisc: f.mrdisc,
    ...(f.enable !== undefined && { enable: f.enable }),
    ...(ttlThreshold !== undefined && { ttlThreshold }),
  };
}

/** Reports what the validator found, prefixed with the directive's name. */
function checked<T>(op: 'mgroup' | 'mroute', res: Checked<T>, report: LineReport): T | undefined {
  if (!res.ok) {
    for (const e of res.error) report.error(`${op}: ${e.message}`);
    return undefined;
  }
  const warnings = res.value.warnings;
  for (let i = 0; i < warnings.length; i++) report.warn(`${op}: ${warnings[i] ?? ''}`);
  return res.value.value;
}

/** The from/source/group words both mgroup and mroute need, or an error for each one missing. */
function hasFlow(op: 'mgroup' | 'mroute', f: Fields, report: LineReport): f is Fields & FlowArgs {
  if (f.iif === undefined) report.error(`${op}: missing inbound interface, expected "from IFNAME"`);
  if (f.group === undefined) report.error(`${op}: missing multicast group, expected "group GROUP[/LEN]"`);
  if (f.missing.includes('source')) report.error(`${op}: "source" needs an address`);
  return f.iif !== undefined && f.group !== undefined;
}

function mgroup(f: Fields, report: LineReport): MGroupDirective | undefined {
  if (!hasFlow('mgroup', f, report)) return undefined;
  const flow = checked('mgroup', checkJoin(f), report);
  if (!flow || report.failed) return undefined;
  const { iif, source, group, text } = flow;
  const where = report.where;
  // Spelled out rather than spread: a spread per line is the slowest part of a 50,000-line file.
  return source ? { kind: 'mgroup', where, iif, source, group, text } : { kind: 'mgroup', where, iif, group, text };
}

function mroute(f: Fields, report: LineReport): MRouteDirective | undefined {
  if (!hasFlow('mroute', f, report)) return undefined;
  // The fields themselves are the validator's arguments: no copy per line.
  const route = checked('mroute', checkRoute(f), report);
  if (!route || report.failed) return undefined;
  if (route.oifs.length === 0) {
    report.warn('mroute: no outbound interfaces ("to OIF ..."); matching traffic will be dropped (stop filter)');
  }
  const { iif, source, group, text, oifs } = route;
  const where = report.where;
  return source ? { kind: 'mroute', where, iif, source, group, text, oifs } : { kind: 'mroute', where, iif, group, text, oifs };
}

/**
 * Parses one line into `out`; never throws, whatever the line holds. An
 * `include` line is not followed here: its pattern is returned for the caller.
 */
export function parseLine(line: string, where: Where, out: LineSink): string | undefined {
  const report = new LineReport(where, out);
  const bytes = byteLength(line) + 1; // the line end counts against the buffer too
  if (bytes > MAX_LINE_BYTES) {
    report.error(`line too long: ${bytes} bytes with its line end, at most ${MAX_LINE_BYTES} allowed`);
    return undefined;
  }
  // Upstream's C reader would silently stop at the NUL; say so instead.
  if (line.includes('\0')) {
    report.error('line contains a NUL byte, not a text line');
    return undefined;
  }
  const tokens = tokenize(line);
  const first = tokens[0];
  if (first === undefined || isComment(first)) return undefined;

  const op = commandOf(first);
  if (!op) {
    report.error(`unknown command "${first}"`);
    return undefined;
  }

  if (op === 'include') {
    const pattern = tokens[1];
    if (pattern === undefined || isComment(pattern)) {
      report.error('include: missing file name or pattern');
      return undefined;
    }
    const extra = tokens[2];
    if (extra !== undefined && !isComment(extra)) report.warn(`include: takes one pattern, "${extra}" and after ignored`);
    return pattern;
  }

  let directive: Directive | undefined;
  if (op === 'phyint') {
    const ifname = tokens[1];
    if (ifname === undefined || isComment(ifname)) {
      report.error('phyint: missing interface name');
      return undefined;
    }
    directive = phyint(ifname, readFields(op, tokens, 2, report), report);
  } else if (op === 'mgroup') {
    directive = mgroup(readFields(op, tokens, 1, report), report);
  } else {
    directive = mroute(readFields(op, tokens, 1, report), report);
  }
  if (directive) out.directive(directive, report.clean);
  return undefined;
}

/** A file's text as lines; a final line end does not start another line. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Parses the text of one smcroute.conf. Every line is parsed on its own: a
 * broken line yields error diagnostics and no directive, and parsing goes on.
 * `file` is only used to label directives and diagnostics. No bounds here:
 * loadConfig (load.ts) reads the configuration the daemon runs.
 */
export function parseConfig(text: string, file: string, opts: ParseOptions = {}): ConfigResult {
  const out: ConfigResult = { directives: [], diagnostics: [] };
  const sink: LineSink = { directive: (d) => void out.directives.push(d), diagnostic: (d) => void out.diagnostics.push(d) };
  for (const [i, line] of splitLines(text).entries()) {
    const where = { file, line: i + 1 };
    const pattern = parseLine(line, where, sink);
    if (pattern === undefined) continue;
    if (!opts.include) {
      sink.diagnostic({ where, severity: 'warning', message: `include: ${pattern} not read, includes are not followed here` });
      continue;
    }
    // One at a time: a spread of a long array overflows the stack.
    const inc = opts.include(pattern, where);
    for (const d of inc.directives) out.directives.push(d);
    for (const d of inc.diagnostics) out.diagnostics.push(d);
  }
  return out;
}
