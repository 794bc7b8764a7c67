// The one set of rules for a route or a join as written by the operator,
// whether it comes from smcroute.conf, an IPC frame or smcroutectl's
// command line. Pure: interfaces are only checked as names, never looked up.

import { fail, ok, type Result } from '../result.js';
import { isAny, isMulticast, maxLen, readPrefix, type Prefix } from './addr.js';
import { checkIfname } from './ifname.js';
import type { Flow, RouteFlow } from './intents.js';
import { MAX_JOIN_BITS, MAX_VIFS } from './limits.js';

/** A route or join as text: inbound interface, optional source, group, outbound interfaces. */
export interface FlowArgs {
  readonly iif: string;
  readonly source?: string;
  readonly group: string;
}

export interface RouteArgs extends FlowArgs {
  readonly oifs: readonly string[];
}

/** Which rule refused: callers that must answer as upstream does (IPC) branch on it. */
export type InvalidCode = 'iif' | 'oif' | 'oif-count' | 'group' | 'source' | 'family' | 'join-size';

export interface Invalid {
  readonly code: InvalidCode;
  readonly message: string;
}

/** Accepted, with what looked suspicious but upstream accepts too. */
export interface Valid<T> {
  readonly value: T;
  readonly warnings: readonly string[];
}

/** Every problem of the request at once, so a config line reports them all. */
export type Checked<T> = Result<Valid<T>, readonly Invalid[]>;

/** Source and group lengths below these reach outside the multicast space. */
const MIN_GROUP_LEN = { inet: 4, inet6: 8 } as const;

function familyName(p: Prefix): string {
  return p.addr.family === 'inet' ? 'IPv4' : 'IPv6';
}

/** Shared by every request with nothing to warn about, which is nearly all of them. */
const NO_WARNINGS: readonly string[] = [];

export function checkFlow(args: FlowArgs): Checked<Flow> {
  // Made on the first problem: a 50,000-line file has none on most lines.
  let errors: Invalid[] | undefined;
  let warnings = NO_WARNINGS;
  const iif = checkIfname(args.iif);
  if (!iif.ok) (errors ??= []).push({ code: 'iif', message: `invalid inbound interface: ${iif.error}` });

  let group: Prefix | undefined;
  const g = readPrefix(args.group);
  if (typeof g === 'string') (errors ??= []).push({ code: 'group', message: `group "${args.group}": ${g}` });
  else if (!isMulticast(g.addr))
    (errors ??= []).push({ code: 'group', message: `group ${args.group} is not a multicast address` });
  else {
    group = g;
    if (group.len < MIN_GROUP_LEN[group.addr.family]) {
      warnings = [...warnings, `group range ${args.group} reaches outside the multicast address space`];
    }
  }

  let source: Prefix | undefined;
  if (args.source !== undefined) {
    const s = readPrefix(args.source);
    if (typeof s === 'string') (errors ??= []).push({ code: 'source', message: `source "${args.source}": ${s}` });
    else if (group && s.addr.family !== group.addr.family) {
      const message = `address families differ: source ${args.source} is ${familyName(s)} but group ${args.group} is ${familyName(group)}`;
      (errors ??= []).push({ code: 'family', message });
    } else if (!isAny(s.addr)) {
      // Any all-zero source means "any source", whatever its length, as upstream.
      source = s;
      if (isMulticast(source.addr))
        warnings = [...warnings, `source ${args.source} is a multicast address; no traffic can match`];
    }
  }

  if (errors || !group) return fail(errors ?? []);
  const text = args.source !== undefined ? { source: args.source, group: args.group } : { group: args.group };
  // Spelled out rather than spread: config files run this tens of thousands of times.
  const value: Flow = source ? { iif: args.iif, source, group, text } : { iif: args.iif, group, text };
  return ok({ value, warnings });
}

export function checkRoute(args: RouteArgs): Checked<RouteFlow> {
  const flow = checkFlow(args);
  let errors: Invalid[] | undefined = flow.ok ? undefined : [...flow.error];
  for (let i = 0; i < args.oifs.length; i++) {
    const name = checkIfname(args.oifs[i] ?? '');
    if (!name.ok) (errors ??= []).push({ code: 'oif', message: `invalid outbound interface: ${name.error}` });
  }
  if (args.oifs.length > MAX_VIFS) {
    (errors ??= []).push({ code: 'oif-count', message: `${args.oifs.length} outbound interfaces, at most ${MAX_VIFS} allowed` });
  }
  if (!flow.ok || errors) return fail(errors ?? []);
  const { iif, source, group, text } = flow.value.value;
  const oifs = args.oifs;
  const value: RouteFlow = source ? { iif, source, group, text, oifs } : { iif, group, text, oifs };
  return ok({ value, warnings: flow.value.warnings });
}

/** A join expands (sources × groups) to one kernel join per address pair. */
export function checkJoin(args: FlowArgs): Checked<Flow> {
  const flow = checkFlow(args);
  if (!flow.ok) return flow;
  const { group, source } = flow.value.value;
  const width = maxLen(group.addr.family);
  const bits = width - group.len + (source ? width - source.len : 0);
  if (bits > MAX_JOIN_BITS) {
    const count = bits <= 53 ? `${2 ** bits}` : `2^${bits}`;
    const what = source ? `source ${args.source} and group ${args.group} expand` : `group ${args.group} expands`;
    return fail([{ code: 'join-size', message: `${what} to ${count} joins, at most ${2 ** MAX_JOIN_BITS} allowed` }]);
  }
  return flow;
}

/** The first problem, for a channel that carries one message (an IPC reply). */
export function firstProblem(errors: readonly Invalid[]): Invalid {
  return errors[0] ?? { code: 'group', message: 'invalid request' };
}
