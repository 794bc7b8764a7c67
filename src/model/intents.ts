// What the operator asked for, before interface names are resolved: the
// common shape of smcroute.conf directives and IPC commands. Pure types.

import type { Prefix } from './addr.js';

/** Where a request came from, for messages: "file:line" or "ipc". */
export type Origin = string;

/** Source and group exactly as written, for `show pending`. */
export interface FlowText {
  /** Present whenever a source was written, even as 0.0.0.0 or ::. */
  readonly source?: string;
  readonly group: string;
}

/** An inbound interface (or pattern), a source (or any) and a group, checked. */
export interface Flow {
  readonly iif: string;
  /** Undefined for any source: (*,G). */
  readonly source?: Prefix;
  readonly group: Prefix;
  readonly text: FlowText;
}

/** A flow and where it goes: one mroute line or one add/remove command. */
export interface RouteFlow extends Flow {
  /** As written, in order; empty means a route that forwards nowhere (a stop filter). */
  readonly oifs: readonly string[];
}

export interface RouteIntent extends RouteFlow {
  readonly origin: Origin;
}

export interface JoinIntent extends Flow {
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

/** A runtime command (smcroutectl add/remove/join/leave) once its arguments are checked. */
export type Command =
  | { readonly op: 'add'; readonly intent: RouteIntent }
  | { readonly op: 'remove'; readonly intent: RouteIntent }
  | { readonly op: 'join'; readonly intent: JoinIntent }
  | { readonly op: 'leave'; readonly intent: JoinIntent };
