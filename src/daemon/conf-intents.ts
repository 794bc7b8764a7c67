// Configured routes and joins as the daemon keeps them between reloads:
// one small object per line, interface names and outbound lists shared.
// Values only; reading files and reusing lines is config.ts's job.

import type { MRouteDirective, Where } from '../conf/directives.js';
import { formatPrefix, maxLen, type Prefix } from '../model/addr.js';
import type { Flow, FlowText, JoinIntent, RouteIntent } from '../model/intents.js';

/**
 * A configured join or route as the router keeps it until the next reload:
 * one small object per line, since a configuration may hold tens of
 * thousands. Interface names and outbound lists are shared between lines;
 * the text as written is kept only where it differs from how the address
 * reads back, and the origin is made when asked for (so read these, never
 * spread them: `text` and `origin` live on the prototype).
 */
export class ConfFlow implements JoinIntent {
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

export class ConfRoute extends ConfFlow implements RouteIntent {
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
export class Interner {
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
