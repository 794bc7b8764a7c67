// Reads smcroute.conf (with includes) into the intents the router applies,
// again and again: a reload reuses what the last accepted read made of each
// unchanged route line. Errors stay attached to file and line; no kernel here.

import { loadConfig, type ConfFs, type DirectiveSink } from '../conf/load.js';
import type { Diagnostic, Directive } from '../conf/directives.js';
import { DEFAULT_THRESHOLD } from '../model/limits.js';
import type { ConfIntents, JoinIntent, PhyintIntent, RouteIntent } from '../model/intents.js';
import { ConfFlow, ConfRoute, Interner } from './conf-intents.js';

export interface LoadedConfig {
  readonly intents: ConfIntents;
  readonly diagnostics: readonly Diagnostic[];
  /** Files read; empty when the main file could not be read. */
  readonly files: readonly string[];
}

/** A read that takes effect, for the next read to start from, only once accepted. */
export interface ReadConfig extends LoadedConfig {
  /** The configuration is being applied: the next read compares with this one. */
  accept(): void;
}

/** One read, remembering nothing (smcrouted -F, tests). */
export function readConfig(path: string, fs: ConfFs): LoadedConfig {
  return new ConfReader(fs).read(path);
}

/**
 * Reads the configuration again and again (start-up, each reload): a route
 * line whose text is exactly as in the last accepted read is not parsed
 * again, and keeps its intent object, so a reload of 50,000 lines with 100
 * changed costs about as much as reading the file. Only the files' texts
 * are kept between reads.
 */
export class ConfReader {
  /** The files' texts and the clean route lines of the last accepted read. */
  private last?: { readonly texts: ReadonlyMap<string, string>; readonly routes: readonly ConfRoute[] };

  constructor(private readonly fs: ConfFs) {}

  read(path: string): ReadConfig {
    const texts = new Map<string, string>();
    const fs: ConfFs = {
      readFile: (file) => {
        const text = this.fs.readFile(file);
        texts.set(file, text);
        return text;
      },
      glob: (pattern) => this.fs.glob(pattern),
    };
    const intents = new IntentsBuilder(this.previous());
    const res = loadConfig(path, fs, { sink: intents });
    return {
      intents: intents.result(),
      diagnostics: res.diagnostics,
      files: res.files,
      accept: () => {
        intents.moveKept();
        this.last = { texts, routes: intents.clean };
      },
    };
  }

  /** The clean route lines of the last accepted read, file by file. */
  private previous(): Map<string, PreviousLines> {
    const byFile = new Map<string, ConfRoute[]>();
    for (const r of this.last?.routes ?? []) {
      let routes = byFile.get(r.file);
      if (!routes) byFile.set(r.file, (routes = []));
      routes.push(r);
    }
    const out = new Map<string, PreviousLines>();
    for (const [file, routes] of byFile) out.set(file, new PreviousLines(this.last?.texts.get(file) ?? '', routes));
    return out;
  }
}

/** How far ahead of where the two files are in step a line is looked for before the index is asked. */
const LOOKAHEAD = 4;

/**
 * The clean route lines of one file as last read, walked side by side with
 * the file's new lines: an unchanged line is found by one comparison, a
 * line after a few removed ones by a few; only a line from farther away
 * needs an index (made the first time, of the lines not taken by then), and
 * the walk goes on from there. Each old line is taken at most once, so a
 * line the new file repeats more often than the old one is read again. Old
 * lines are compared in place in the old text: no string is made per line.
 */
class PreviousLines {
  /** Where each route's line starts and ends in `text`. */
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly taken: Uint8Array;
  private untaken: number;
  private next = 0;
  /** The first line not taken yet of each text, and for each line the next line with the same text (-1: none). */
  private index?: { readonly first: Map<string, number>; readonly same: Int32Array };

  constructor(
    private readonly text: string,
    private readonly routes: readonly ConfRoute[],
  ) {
    this.starts = new Int32Array(routes.length);
    this.ends = new Int32Array(routes.length);
    // Routes come in reading order, so one walk down the text finds every line.
    let lineNo = 1;
    let pos = 0;
    routes.forEach((r, i) => {
      if (r.line < lineNo) [lineNo, pos] = [1, 0];
      for (; lineNo < r.line && pos <= text.length; lineNo++) {
        const nl = text.indexOf('\n', pos);
        pos = nl < 0 ? text.length + 1 : nl + 1;
      }
      const nl = text.indexOf('\n', pos);
      this.starts[i] = pos;
      this.ends[i] = Math.max(pos, nl < 0 ? text.length : nl);
    });
    this.taken = new Uint8Array(routes.length);
    this.untaken = routes.length;
  }

  take(line: string): ConfRoute | undefined {
    const end = Math.min(this.next + LOOKAHEAD, this.routes.length);
    for (let i = this.next; i < end; i++) if (this.taken[i] === 0 && this.sameText(i, line)) return this.takeAt(i);
    if (this.untaken === 0) return undefined;
    const index = (this.index ??= this.makeIndex());
    let i = index.first.get(line) ?? -1;
    while (i >= 0 && this.taken[i] === 1) i = index.same[i] ?? -1;
    if (i < 0) {
      index.first.delete(line);
      return undefined;
    }
    index.first.set(line, i);
    return this.takeAt(i);
  }

  private sameText(i: number, line: string): boolean {
    const start = this.starts[i] ?? 0;
    return (this.ends[i] ?? 0) - start === line.length && this.text.startsWith(line, start);
  }

  private takeAt(i: number): ConfRoute | undefined {
    this.taken[i] = 1;
    this.untaken--;
    this.next = i + 1;
    return this.routes[i];
  }

  /**
   * Made when a line is not where the walk expects it: of the lines not taken yet only. New
   * lines appended after a walk that found the rest in place (the usual edit) then cost an
   * index of the few lines left over, not of the whole file.
   */
  private makeIndex(): { first: Map<string, number>; same: Int32Array } {
    const first = new Map<string, number>();
    const same = new Int32Array(this.routes.length);
    for (let i = this.routes.length - 1; i >= 0; i--) {
      if (this.taken[i] === 1) continue;
      const text = this.text.slice(this.starts[i] ?? 0, this.ends[i] ?? 0);
      same[i] = first.get(text) ?? -1;
      first.set(text, i);
    }
    return { first, same };
  }
}

export function toIntents(directives: readonly Directive[]): ConfIntents {
  const intents = new IntentsBuilder(new Map());
  for (const d of directives) intents.take(d, false);
  return intents.result();
}

/** Turns directives into intents as they are read, reusing what the last read made of an unchanged route line. */
class IntentsBuilder implements DirectiveSink {
  private readonly phyints: PhyintIntent[] = [];
  private readonly routes: RouteIntent[] = [];
  private readonly joins: JoinIntent[] = [];
  private readonly shared = new Interner();
  /** Routes kept from the last read whose line moved, and where each is now (side by side: there can be 50,000). */
  private readonly moved: ConfRoute[] = [];
  private readonly movedFile: string[] = [];
  private readonly movedLine: number[] = [];
  /** Routes whose line was clean, for the next read to start from. */
  readonly clean: ConfRoute[] = [];

  constructor(private readonly previous: ReadonlyMap<string, PreviousLines>) {}

  known(line: string, file: string, lineNo: number): boolean {
    const route = this.previous.get(file)?.take(line);
    if (!route) return false;
    if (route.file !== file || route.line !== lineNo) {
      this.moved.push(route);
      this.movedFile.push(file);
      this.movedLine.push(lineNo);
    }
    this.routes.push(route);
    this.clean.push(route);
    return true;
  }

  take(d: Directive, clean: boolean): void {
    switch (d.kind) {
      case 'phyint':
        this.phyints.push({
          ifname: d.ifname,
          enable: d.enable,
          mrdisc: d.mrdisc,
          threshold: d.ttlThreshold ?? DEFAULT_THRESHOLD,
          origin: `${d.where.file}:${d.where.line}`,
        });
        break;
      case 'mroute': {
        const route = new ConfRoute(d, d.where, this.shared);
        this.routes.push(route);
        if (clean) this.clean.push(route);
        break;
      }
      case 'mgroup':
        this.joins.push(new ConfFlow(d, d.where, this.shared));
        break;
    }
  }

  /** The kept routes take their new places (only once the read is accepted: until then they serve the running configuration). */
  moveKept(): void {
    this.moved.forEach((route, i) => route.moveTo(this.movedFile[i] ?? route.file, this.movedLine[i] ?? route.line));
  }

  result(): ConfIntents {
    return { phyints: this.phyints, routes: this.routes, joins: this.joins };
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.where.line > 0 ? `${d.where.file}:${d.where.line}` : d.where.file;
  return `${where}: ${d.severity}: ${d.message}`;
}
