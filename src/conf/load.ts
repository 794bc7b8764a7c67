// Reads a configuration: the top file and every file its `include` lines match, each once,
// within fixed bounds. File access only through the injected ConfFs; the grammar is parse.ts's.

import { posix } from 'node:path';
import { describeError } from '../errors.js';
import type { Diagnostic, Directive, Where } from './directives.js';
import { escapeGlob, hasGlobMagic, unescapeGlob } from './glob.js';
import { isRouteLine, parseLine, splitLines, type ConfigResult, type LineSink } from './parse.js';

/** Nested include levels below the top file; deeper includes are refused. */
export const MAX_INCLUDE_DEPTH = 16;
/** Files opened (or tried) for one configuration, the top file included. */
export const MAX_CONF_FILES = 1000;
/**
 * Directives in one configuration. A million (S,G) routes already take the
 * daemon about 3 GB and half a minute to apply; anything beyond is a runaway
 * include or generator, not a configuration.
 */
export const MAX_DIRECTIVES = 1_000_000;
/** Diagnostics listed for one configuration; the rest are counted in one last line. */
export const MAX_DIAGNOSTICS = 1000;

/** File access for loadConfig; fs.ts has the node:fs one, tests use in-memory ones. */
export interface ConfFs {
  /** The file's text; throws (with an errno `code` when there is one) if it cannot be read. */
  readFile(path: string): string;
  /** Paths matching a glob(3) pattern, sorted; empty when nothing matches. */
  glob(pattern: string): string[];
}

/**
 * Takes directives as they are read, in reading order, instead of the
 * result's list (which then stays empty): a caller turning 50,000 lines into
 * something else never holds 50,000 directives at once.
 */
export interface DirectiveSink {
  /**
   * Offered each mroute line before it is parsed: true when the sink knows
   * what this exact text reads as (an earlier read found the same text
   * clean) and has taken that, so the line is not parsed again.
   */
  known?(line: string, file: string, lineNo: number): boolean;
  /** A directive as read; `clean` when its line had no diagnostics at all. */
  take(d: Directive, clean: boolean): void;
}

/** The bounds of one load; tests lower them, the daemon keeps the defaults. */
export interface LoadOptions {
  /** Nested include levels allowed below the top file (default MAX_INCLUDE_DEPTH). */
  maxDepth?: number;
  maxFiles?: number;
  maxDirectives?: number;
  maxDiagnostics?: number;
  /** Takes the directives of every file read, in reading order (see DirectiveSink). */
  sink?: DirectiveSink;
}

export interface LoadResult extends ConfigResult {
  /** Every file actually read, once each, in reading order; empty when the top file could not be read. */
  files: string[];
}

/** Collects a load's output and holds it to the directive and diagnostic bounds. */
class Collector implements LineSink {
  readonly directives: Directive[] = [];
  readonly diagnostics: Diagnostic[] = [];
  /** Directives read, whether kept here or handed to the sink. */
  private count = 0;
  /** Set once the directive bound is hit: nothing more is read. */
  full = false;
  private unlistedErrors = 0;
  private unlistedWarnings = 0;
  /** Where the first diagnostic past the bound stood, of each severity. */
  private firstUnlisted: { error?: Where; warning?: Where } = {};

  constructor(
    private readonly maxDirectives: number,
    private readonly maxDiagnostics: number,
    private readonly sink?: DirectiveSink,
  ) {}

  /** A line the sink already knew: it counts against the bound like any directive. */
  known(file: string, line: number): boolean {
    return this.room(file, line);
  }

  directive(d: Directive, clean: boolean): void {
    if (!this.room(d.where.file, d.where.line)) return;
    if (this.sink) this.sink.take(d, clean);
    else this.directives.push(d);
  }

  /** File and line rather than a Where: a reload asks for every line it takes unparsed. */
  private room(file: string, line: number): boolean {
    if (this.full) return false;
    if (this.count < this.maxDirectives) {
      this.count++;
      return true;
    }
    this.full = true;
    this.bound({
      where: { file, line },
      severity: 'error',
      message: `more than ${this.maxDirectives} directives in one configuration; this line and all after it not read`,
    });
    return false;
  }

  /** A bound was hit: said once per load, so it is listed even past the diagnostic bound. */
  bound(d: Diagnostic): void {
    this.diagnostics.push(d);
  }

  diagnostic(d: Diagnostic): void {
    if (this.diagnostics.length < this.maxDiagnostics) {
      this.diagnostics.push(d);
      return;
    }
    this.firstUnlisted[d.severity] ??= d.where;
    if (d.severity === 'error') this.unlistedErrors++;
    else this.unlistedWarnings++;
  }

  result(): ConfigResult {
    const diagnostics = [...this.diagnostics];
    const [errors, warnings] = [this.unlistedErrors, this.unlistedWarnings];
    // Pointed at an unlisted error when there is one: an error line is a refused line.
    const { error, warning } = this.firstUnlisted;
    if (error) {
      const message = `${errors + warnings} more problems not listed: ${errors} errors (the first on this line), ${warnings} warnings`;
      diagnostics.push({ where: error, severity: 'error', message });
    } else if (warning) {
      diagnostics.push({
        where: warning,
        severity: 'warning',
        message: `${warnings} more warnings not listed, the first on this line`,
      });
    }
    return { directives: this.directives, diagnostics };
  }
}

/**
 * Where an include pattern points. Upstream hands the pattern to glob(3) as
 * is, so a relative one depends on the daemon's working directory (which is
 * `/` once it has daemonized). Here a relative pattern is taken relative to
 * the directory of the file that includes it, so a config tree can be moved
 * as a whole; that directory is glob-escaped so its own name cannot act as a
 * pattern.
 */
function resolvePattern(pattern: string, includingFile: string): string {
  if (posix.isAbsolute(pattern)) return pattern;
  const dir = posix.dirname(includingFile);
  if (dir === '.') return pattern;
  return `${escapeGlob(dir)}${dir.endsWith('/') ? '' : '/'}${pattern}`;
}

/** "a", "a, b", "a, b, c and 4 more": file lists in one diagnostic line stay short. */
function fewOf(items: readonly string[], shown = 3): string {
  const head = items.slice(0, shown).join(', ');
  return items.length > shown ? `${head} and ${items.length - shown} more` : head;
}

/** An include line being expanded: its matches still to read, in glob order. */
interface Expansion {
  readonly where: Where;
  readonly matches: readonly string[];
  next: number;
}

/** A file being read: the line to parse next, and the include it is in the middle of. */
interface Frame {
  readonly file: string;
  /** The path as compared for "read already" and cycles. */
  readonly key: string;
  readonly lines: readonly string[];
  next: number;
  expanding?: Expansion;
}

/**
 * Reads the config file at `path` and every file its `include` lines match
 * (in glob order, spliced in place), with an explicit stack rather than
 * recursion. A missing or unreadable top file is a warning on line 0, as
 * upstream carries on without one; check `files` to tell.
 *
 * Each file is read once per load: a file included again is skipped without
 * a word (its lines are in already, or it was reported unreadable), except
 * that a file including one that is still being read is an include cycle,
 * an error at the include line.
 * Nesting deeper than `maxDepth`, more than `maxFiles` files and more than
 * `maxDirectives` directives are errors naming the line where the bound was
 * hit; what was read up to there is kept.
 */
export function loadConfig(path: string, fs: ConfFs, opts: LoadOptions = {}): LoadResult {
  const maxDepth = opts.maxDepth ?? MAX_INCLUDE_DEPTH;
  const maxFiles = opts.maxFiles ?? MAX_CONF_FILES;
  const out = new Collector(opts.maxDirectives ?? MAX_DIRECTIVES, opts.maxDiagnostics ?? MAX_DIAGNOSTICS, opts.sink);
  const known = opts.sink?.known?.bind(opts.sink);
  const files: string[] = [];
  const seen = new Set<string>();
  const stack: Frame[] = [];
  /** The keys of the files on the stack; each file is read once, so each is there at most once. */
  const active = new Set<string>();
  /** Set once the file bound is hit: every later include is skipped, with the one error said. */
  let filesFull = false;

  const open = (file: string, from?: Where): void => {
    const key = posix.normalize(file);
    // Tried once: a file that cannot be read is reported at the first include naming it only.
    seen.add(key);
    let text: string;
    try {
      text = fs.readFile(file);
    } catch (err) {
      const why = describeError(err);
      const message = from
        ? `include: cannot read ${file}: ${why}`
        : why === 'ENOENT'
          ? `configuration file ${file} does not exist`
          : `cannot read ${file}: ${why}`;
      out.diagnostic({ where: from ?? { file, line: 0 }, severity: 'warning', message });
      return;
    }
    files.push(file);
    stack.push({ file, key, lines: splitLines(text), next: 0 });
    active.add(key);
  };

  const expand = (pattern: string, where: Where): Expansion | undefined => {
    const error = (severity: Diagnostic['severity'], message: string): undefined => {
      out.diagnostic({ where, severity, message });
      return undefined;
    };
    // The including file is at depth stack.length - 1, what it includes one deeper.
    if (stack.length > maxDepth) return error('error', `include: nested more than ${maxDepth} levels deep, ${pattern} not read`);
    const resolved = resolvePattern(pattern, where.file);
    let matches: string[];
    try {
      matches = fs.glob(resolved);
    } catch (err) {
      return error('warning', `include: cannot expand ${pattern}: ${describeError(err)}`);
    }
    // A pattern matching nothing is normal (e.g. an empty smcroute.d/); a named file that is absent is not.
    if (matches.length === 0 && !hasGlobMagic(pattern))
      return error('warning', `include: ${unescapeGlob(resolved)} does not exist`);
    // The files on the stack stay there while this include's matches are read, so cycles are known now.
    const cycle = matches.filter((m) => active.has(posix.normalize(m)));
    if (cycle.length > 0) {
      const verb = cycle.length > 1 ? 'are' : 'is';
      error('error', `include: ${fewOf(cycle)} ${verb} already being read (include cycle), skipped`);
    }
    return { where, matches: cycle.length > 0 ? matches.filter((m) => !cycle.includes(m)) : matches, next: 0 };
  };

  open(path);
  while (!out.full) {
    const frame = stack.at(-1);
    if (!frame) break;
    const inc = frame.expanding;
    if (inc) {
      const file = inc.matches[inc.next++];
      // Once the file bound is hit, the includes still open higher up stop quietly too.
      if (file === undefined || filesFull) frame.expanding = undefined;
      else if (seen.has(posix.normalize(file))) continue;
      else if (seen.size >= maxFiles) {
        filesFull = true;
        frame.expanding = undefined;
        out.bound({
          where: inc.where,
          severity: 'error',
          message: `include: more than ${maxFiles} files in one configuration; ${file} and every later include not read`,
        });
      } else open(file, inc.where);
      continue;
    }
    const line = frame.lines[frame.next];
    if (line === undefined) {
      stack.pop();
      active.delete(frame.key);
      continue;
    }
    frame.next++;
    // An unchanged route line of the last read is taken as it was: a reload costs about a read of the file.
    if (known && isRouteLine(line) && known(line, frame.file, frame.next)) {
      out.known(frame.file, frame.next);
      continue;
    }
    const where = { file: frame.file, line: frame.next };
    const pattern = parseLine(line, where, out);
    if (pattern !== undefined && !filesFull) frame.expanding = expand(pattern, where);
  }
  return { ...out.result(), files };
}
