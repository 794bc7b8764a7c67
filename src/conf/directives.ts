// Types for a parsed smcroute.conf: one Directive per accepted line, one Diagnostic per problem.
// Types only; parsing lives in parse.ts and nothing here touches the OS.

import type { Flow, RouteFlow } from '../model/intents.js';

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

/** `mgroup|ssmgroup from IIF [source ADDR[/LEN]] group GROUP[/LEN]` */
export interface MGroupDirective extends Flow {
  readonly kind: 'mgroup';
  readonly where: Where;
}

/** `mroute from IIF [source ADDR[/LEN]] group GROUP[/LEN] [to OIF ...]` */
export interface MRouteDirective extends RouteFlow {
  readonly kind: 'mroute';
  readonly where: Where;
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
