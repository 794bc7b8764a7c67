// One line of `smcroutectl monitor` per event: an ISO time and a short phrase, or a JSON object
// with `time`, `event` and the event's fields. Loaded on the first monitor; holds no state.

import { vifWord } from '../model/addr.js';
import { count } from '../show/format.js';
import type { DaemonEvent, ExpiryReason } from './events.js';

/** Lines of the monitor stream that are no daemon event: its first line, and events a slow reader lost. */
export type MonitorNote = { readonly event: 'monitor-started' } | { readonly event: 'lost'; readonly count: number };

export type MonitorLine = DaemonEvent | MonitorNote;

const EXPIRY: Readonly<Record<ExpiryReason, string>> = {
  timeout: 'idle',
  flush: 'flushed',
  evicted: 'evicted at the learned-route limit',
};

function sg(source: string | null, group: string): string {
  return `(${source ?? '*'}, ${group})`;
}

/** The phrase after the time: what an operator reads at a glance. */
export function describeEvent(e: MonitorLine): string {
  switch (e.event) {
    case 'installed':
    case 'learned':
      return `${e.event} ${sg(e.source, e.group)} from ${e.iif} to ${e.oifs.join(' ')}`;
    case 'stop-filter':
      return `stop filter ${sg(e.source, e.group)} from ${e.iif}`;
    case 'moved':
      return `moved ${sg(e.source, e.group)} inbound ${e.from || '?'} -> ${e.to}, to ${e.oifs.join(' ') || '(none)'}`;
    case 'expired':
      return `expired ${sg(e.source, e.group)} from ${e.iif} (${EXPIRY[e.reason]})`;
    case 'removed':
      return `removed ${sg(e.source, e.group)} from ${e.iif}`;
    case 'pending-activated': {
      const to = e.kind === 'mroute' ? ` to ${e.oifs.join(' ')}` : '';
      return `activated pending ${e.kind} ${sg(e.source, e.group)} on ${e.iif}${to}`;
    }
    case 'vif-added':
    case 'vif-released': {
      const word = vifWord(e.family);
      return e.event === 'vif-added' ? `${word} ${e.vif} added for ${e.ifname}` : `${word} ${e.vif} released from ${e.ifname}`;
    }
    case 'reload-applied':
      return `reload applied: ${count(e.routesAdded, 'route')} added, ${e.routesRemoved} removed, ${count(e.joinsChanged, 'join')} changed`;
    case 'reload-refused':
      return `reload refused: ${count(e.errors, 'error')}${e.firstError ? `, first: ${e.firstError}` : ''}`;
    case 'upcall':
    case 'resolved':
      return `${e.event} ${e.kind} ${sg(e.source, e.group)} on ${e.iif}`;
    case 'monitor-started':
      return 'monitor started';
    case 'lost':
      return `lost ${count(e.count, 'event')}: this monitor read too slowly`;
  }
}

/** One line, newline included; `time` is when the event happened. */
export function formatEvent(e: MonitorLine, json: boolean, time: Date = new Date()): string {
  const iso = time.toISOString();
  // time first, then event, then the fields, whatever order the event was built in.
  if (json) return `${JSON.stringify(Object.assign({ time: iso, event: e.event }, e))}\n`;
  // A phrase is one line whatever an interface name or an error text holds.
  return `${iso} ${describeEvent(e).replace(/[\r\n]+/g, ' ')}\n`;
}
