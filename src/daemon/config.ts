// Reads smcroute.conf (with includes) and turns its directives into the
// intents the router applies. Errors stay attached to file and line.

import { loadConfig, type ConfFs, type DirectiveSink } from '../conf/parse.js';
import type { Diagnostic, Directive, MRouteDirective, Where } from '../conf/directives.js';
import { formatPrefix, maxLen, type Prefix } from '../model/addr.js';
import { DEFAULT_THRESHOLD } from '../model/limits.js';
import type { ConfIntents, Flow, FlowText, JoinIntent, PhyintIntent, RouteIntent } from '../model/intents.js';

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
 * needs an index (made the first time). Each old line is taken once, in
 * order, so a line the new file repeats, or moved up, is read again.
 */
class PreviousLines {
  private readonly texts: string[];
  private next = 0;
  private index?: Map<string, number>;

  constructor(
    text: string,
    private readonly routes: readonly ConfRoute[],
  ) {
    const lines = text.split('\n');
    this.texts = routes.map((r) => lines[r.line - 1] ?? '');
  }

  take(line: string): ConfRoute | undefined {
    const end = Math.min(this.next + LOOKAHEAD, this.texts.length);
    for (let i = this.next; i < end; i++) if (this.texts[i] === line) return this.takeAt(i);
    if (end >= this.texts.length) return undefined;
    if (!this.index) {
      this.index = new Map();
      for (let i = this.texts.length - 1; i >= 0; i--) this.index.set(this.texts[i] ?? '', i);
    }
    const i = this.index.get(line);
    return i !== undefined && i >= this.next ? this.takeAt(i) : undefined;
  }

  private takeAt(i: number): ConfRoute | undefined {
    this.next = i + 1;
    return this.routes[i];
  }
}

export function toIntents(directives: readonly Directive[]): ConfIntents {
  const intents = new IntentsBuilder(new Map());
  for (const d of directives) intents.take(d, '', false);
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

  take(d: Directive, _line: string, clean: boolean): void {
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

/**
 * A configured join or route as the router keeps it until the next reload:
 * one small object per line, since a configuration may hold tens of
 * thousands. Interface names and outbound lists are shared between lines;
 * the text as written is kept only where it differs from how the address
 * reads back, and the origin is made when asked for (so read these, never
 * spread them: `text` and `origin` live on the prototype).
 */
class ConfFlow implements JoinIntent {
  readonly iif: string;
  readonly source?: Prefix;
  readonly group: Prefix;
  private readonly written?: FlowText;
  /** Where the line is: changes only when a reload finds the same text elsewhere. */
  file: string;
  line: number;

  constructor(d: Flow, where: Where, shared: Interner) {
    this.iif = shared.name(d.iif);
    if (d.source) this.source = d.source;
    this.group = d.group;
    if (!sameText(d.text.group, d.group) || !sameText(d.text.source, d.source)) {
      const group = detach(d.text.group);
      this.written = d.text.source === undefined ? { group } : { source: detach(d.text.source), group };
    }
    this.file = where.file;
    this.line = where.line;
  }

  get text(): FlowText {
    if (this.written) return this.written;
    const group = formatPrefix(this.group);
    return this.source ? { source: formatPrefix(this.source), group } : { group };
  }

  get origin(): string {
    return `${this.file}:${this.line}`;
  }

  moveTo(file: string, line: number): void {
    this.file = file;
    this.line = line;
  }
}

class ConfRoute extends ConfFlow implements RouteIntent {
  readonly oifs: readonly string[];

  constructor(d: MRouteDirective, where: Where, shared: Interner) {
    super(d, where, shared);
    this.oifs = shared.names(d.oifs);
  }
}

/** True when `text` is how `p` reads back (or both are absent). */
function sameText(text: string | undefined, p: Prefix | undefined): boolean {
  if (text === undefined || p === undefined) return text === undefined && p === undefined;
  // inet_pton takes one spelling of a dotted quad (no leading zeros), so it always reads back as written.
  if (p.addr.family === 'inet' && p.len === maxLen('inet') && !text.includes('/')) return true;
  return text === formatPrefix(p);
}

/**
 * V8 cuts a token of 13 characters or more out of its line without copying,
 * and the cut-out keeps the whole file's text alive; a kept string is copied.
 */
function detach(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');
}

/** One string per interface name and one array per outbound list, whatever the number of lines naming them. */
class Interner {
  private readonly strings = new Map<string, string>();
  private readonly lists = new Map<string, readonly string[]>();

  name(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    const own = detach(s);
    this.strings.set(own, own);
    return own;
  }

  names(list: readonly string[]): readonly string[] {
    // Interface names hold no whitespace, so a space separates them unambiguously.
    const key = list.join(' ');
    const known = this.lists.get(key);
    if (known) return known;
    const own = list.map((s) => this.name(s));
    this.lists.set(key, own);
    return own;
  }
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.where.line > 0 ? `${d.where.file}:${d.where.line}` : d.where.file;
  return `${where}: ${d.severity}: ${d.message}`;
}
