// Types for a parsed smcroute.conf: one Directive per accepted line, one Diagnostic per problem.
// Types only; parsing lives in parse.ts and nothing here touches the OS.

import type { Prefix } from '../model/addr.js';

/** A position in a configuration file. Line 0 means the file as a whole. */
export interface Where {
  readonly file: string;
  readonly line: number;
}

/** `phyint IFNAME [enable|disable] [mrdisc] [ttl-threshold N]` */
export interface PhyintDirective {
  readonly kind: 'phyint';
  readonly where: Where;
  /** As written; may be a wildcard (`eth+`) or an alias (`eth0:1`). */
  readonly ifname: string;
  /** Undefined when neither `enable` nor `disable` was said; the last one said wins. */
  readonly enable?: boolean;
  readonly mrdisc: boolean;
  /** Undefined when not said (the daemon applies its default). */
  readonly ttlThreshold?: number;
}

/** The source and group exactly as written on the line, for show and pending listings. */
export interface DirectiveText {
  /** Present whenever `source` was written, even as 0.0.0.0 or ::. */
  readonly source?: string;
  readonly group: string;
}

/** `mgroup|ssmgroup from IIF [source ADDR[/LEN]] group GROUP[/LEN]` */
export interface MGroupDirective {
  readonly kind: 'mgroup';
  readonly where: Where;
  readonly iif: string;
  /** Undefined for an any-source join (source omitted, 0.0.0.0 or ::). */
  readonly source?: Prefix;
  readonly group: Prefix;
  readonly text: DirectiveText;
}

/** `mroute from IIF [source ADDR[/LEN]] group GROUP[/LEN] [to OIF ...]` */
export interface MRouteDirective {
  readonly kind: 'mroute';
  readonly where: Where;
  readonly iif: string;
  /** Undefined for a (*,G) template (source omitted, 0.0.0.0 or ::). */
  readonly source?: Prefix;
  readonly group: Prefix;
  /** As written, in order; empty means a route that forwards nowhere (a stop filter). */
  readonly oifs: readonly string[];
  readonly text: DirectiveText;
}

export type Directive = PhyintDirective | MGroupDirective | MRouteDirective;

/**
 * An `error` means the line was not accepted: no directive came from it.
 * A `warning` flags something suspicious that upstream accepts silently; the
 * directive (if any) is still produced.
 */
export interface Diagnostic {
  readonly where: Where;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}
