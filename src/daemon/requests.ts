// Turns the strings of an IPC request into route and join intents, with a
// message naming the bad argument when one is wrong. Pure.

import { isAny, isMulticast, parsePrefix, type Prefix } from '../model/addr.js';
import { ifnameError } from '../iface/match.js';
import type { GroupArgs, RouteArgs } from '../ipc/control.js';
import type { JoinIntent, RouteIntent } from '../core/intents.js';
import { MAX_VIFS } from '../model/limits.js';

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function parseGroup(text: string): Parsed<Prefix> {
  const { prefix, error } = parsePrefix(text);
  if (!prefix) return { ok: false, error: `Invalid multicast group ${text}: ${error}` };
  if (!isMulticast(prefix.addr)) return { ok: false, error: `Invalid multicast group ${text}: not a multicast address` };
  return { ok: true, value: prefix };
}

/** Undefined source for (*,G): omitted, 0.0.0.0 or ::. */
function parseSource(text: string | undefined, group: Prefix): Parsed<Prefix | undefined> {
  if (text === undefined) return { ok: true, value: undefined };
  const { prefix, error } = parsePrefix(text);
  if (!prefix) return { ok: false, error: `Invalid source address ${text}: ${error}` };
  if (prefix.addr.family !== group.addr.family) {
    return { ok: false, error: `Source ${text} and group ${group.addr.family === 'inet' ? 'IPv4' : 'IPv6'} address families differ` };
  }
  if (isMulticast(prefix.addr)) return { ok: false, error: `Invalid source address ${text}: a multicast address` };
  return { ok: true, value: isAny(prefix.addr) ? undefined : prefix };
}

function checkIfname(name: string, role: string): string | undefined {
  const why = ifnameError(name);
  return why ? `Invalid ${role} interface: ${why}` : undefined;
}

/** The inbound side both commands share: interface, source (or any) and group. */
function parseInbound(args: GroupArgs): Parsed<JoinIntent> {
  const bad = checkIfname(args.iif, 'inbound');
  if (bad) return { ok: false, error: bad };
  const group = parseGroup(args.group);
  if (!group.ok) return group;
  const source = parseSource(args.source, group.value);
  if (!source.ok) return source;
  return {
    ok: true,
    value: { iif: args.iif, source: source.value, group: group.value, text: { source: args.source, group: args.group }, origin: 'ipc' },
  };
}

export function routeIntent(args: RouteArgs): Parsed<RouteIntent> {
  const bad = args.oifs.map((o) => checkIfname(o, 'outbound')).find((e) => e);
  if (bad) return { ok: false, error: bad };
  if (args.oifs.length > MAX_VIFS) return { ok: false, error: `Too many outbound interfaces, at most ${MAX_VIFS}` };
  const inbound = parseInbound(args);
  return inbound.ok ? { ok: true, value: { ...inbound.value, oifs: [...args.oifs] } } : inbound;
}

export function joinIntent(args: GroupArgs): Parsed<JoinIntent> {
  return parseInbound(args);
}
