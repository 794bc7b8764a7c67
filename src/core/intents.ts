// What the operator asked for, before interface names are resolved: the
// common input of smcroute.conf directives and IPC commands. Pure types.

import type { Prefix } from '../model/addr.js';

/** Where a request came from, for messages: "file:line" or "ipc". */
export type Origin = string;

export interface RouteIntent {
  readonly iif: string;
  /** Undefined for (*,G). */
  readonly source?: Prefix;
  readonly group: Prefix;
  readonly oifs: readonly string[];
  /** Source and group as written, for `show pending`. */
  readonly text: { readonly source?: string; readonly group: string };
  readonly origin: Origin;
}

export interface JoinIntent {
  readonly iif: string;
  readonly source?: Prefix;
  readonly group: Prefix;
  readonly text: { readonly source?: string; readonly group: string };
  readonly origin: Origin;
}

export interface PhyintIntent {
  readonly ifname: string;
  /** Undefined when the line says neither enable nor disable. */
  readonly enable?: boolean;
  readonly mrdisc: boolean;
  readonly threshold: number;
  readonly origin: Origin;
}

/** Everything a configuration file asks for, in file order per kind. */
export interface ConfIntents {
  readonly phyints: readonly PhyintIntent[];
  readonly routes: readonly RouteIntent[];
  readonly joins: readonly JoinIntent[];
}
