// What `show` prints, as plain data: the daemon fills these views, the show
// formatters turn them into upstream's exact text or JSON. No state, no I/O.

import type { Diagnostic } from '../conf/directives.js';
import type { ConfigPlan } from '../core/config-plan.js';
import type { Prefix } from '../model/addr.js';

export type ShowMode = 'brief' | 'detail' | 'json';

export interface RouteView {
  /** null for (*,G): printed as "*" (text) or null (JSON). */
  readonly source: Prefix | null;
  readonly group: Prefix;
  readonly iif: string;
  /** Outbound interface names in VIF/MIF order. */
  readonly oifs: readonly string[];
  /** Kernel counters, filled in detail mode only. */
  readonly packets?: bigint;
  readonly bytes?: bigint;
}

export interface GroupView {
  readonly source: Prefix | null;
  readonly group: Prefix;
  readonly iif: string;
}

export interface InterfaceView {
  readonly index: number;
  readonly name: string;
  /** Undefined when the interface has no VIF (IPv4) / MIF (IPv6). */
  readonly vif?: number;
  readonly mif?: number;
}

export interface PendingView {
  readonly kind: 'mroute' | 'mgroup';
  readonly iif: string;
  /** Exactly as the operator wrote them, unresolved. */
  readonly source?: string;
  readonly group: string;
  readonly oifs: readonly string[];
}

export interface RoutesSnapshot {
  /** Configured rules that are not a single (S,G): (*,G), (*,G/LEN), (S/LEN,G). */
  readonly templates: readonly RouteView[];
  /** Configured single-source, single-group rules. */
  readonly sgRules: readonly RouteView[];
  /** Kernel MFC entries: forwarding ones first, then stop filters. */
  readonly kernel: readonly RouteView[];
  /** Longest interface name the daemon knows (sets the IIF column width). */
  readonly ifnameWidth: number;
}

export interface GroupsSnapshot {
  /** Joins as configured (a /LEN range is one entry). */
  readonly conf: readonly GroupView[];
  /** Joins as made in the kernel (one per address). */
  readonly kernel: readonly GroupView[];
}

export interface InterfacesSnapshot {
  readonly interfaces: readonly InterfaceView[];
  readonly ifnameWidth: number;
}

/** `smcroutectl reload --dry-run`: what a reload would do now, or why it would be refused. */
export interface ReloadPlan {
  /** The configuration file a reload reads. */
  readonly file: string;
  /** The differences; absent when the reload would be refused. */
  readonly changes?: ConfigPlan;
  /** Set when the reload would be refused: the message a refused reload answers with (headline, then errors). */
  readonly refused?: string;
  /** Every error in the files, in the order found. */
  readonly errors: readonly Diagnostic[];
  /** Warnings of the files (`file:line: warning: ...`). */
  readonly warnings: readonly string[];
}
