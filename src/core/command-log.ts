// The runtime commands since the last reload, kept as their net effect per
// route and per join, so a daemon driven by scripts for months holds (and
// replays after a link change) one entry per thing touched, not every
// command ever sent. Pure.

import type { Command, JoinIntent, RouteIntent } from '../model/intents.js';
import { ruleKey } from './rule.js';

interface RouteNet {
  intent: RouteIntent;
  /** A remove without OIFs came: the route (configured or not) was deleted first. */
  reset: boolean;
  /** An add came after any reset: the route exists, even with no OIFs. */
  exists: boolean;
  /** The last word on each outbound interface. */
  oifs: Map<string, 'add' | 'remove'>;
  /** Made by commands alone: nothing of it existed before, so undoing it leaves nothing to replay. */
  created: boolean;
}

interface JoinNet {
  intent: JoinIntent;
  /** A leave came: the join (configured or not) was dropped first. */
  reset: boolean;
  /** A join came after any leave. */
  exists: boolean;
  /** Joined by a command when nothing was joined before. */
  created: boolean;
}

export class CommandLog {
  private readonly routes = new Map<string, RouteNet>();
  private readonly joins = new Map<string, JoinNet>();

  get size(): number {
    return this.routes.size + this.joins.size;
  }

  clear(): void {
    this.routes.clear();
    this.joins.clear();
  }

  /**
   * Records a command that succeeded. `created` says it made what it touched
   * from nothing (an add or join of something neither configured nor there):
   * undoing such a thing later drops its entry, so add/remove churn leaves
   * the log empty instead of one reset per route ever touched.
   */
  record(op: Command, created = false): void {
    if (op.op === 'join' || op.op === 'leave') {
      const i = op.intent;
      const key = ruleKey(i.iif, i.source ?? null, i.group);
      const net = this.joins.get(key) ?? { intent: i, reset: false, exists: false, created };
      if (net.created && op.op === 'leave') {
        this.joins.delete(key);
        return;
      }
      if (op.op === 'join') net.exists = true;
      else {
        net.reset = true;
        net.exists = false;
      }
      // Last touched last, so a replay lists things about as the commands left them.
      this.joins.delete(key);
      this.joins.set(key, net);
      return;
    }
    const i = op.intent;
    const key = ruleKey(i.iif, i.source ?? null, i.group);
    const net = this.routes.get(key) ?? { intent: i, reset: false, exists: false, oifs: new Map(), created };
    this.routes.delete(key);
    if (net.created && op.op === 'remove' && i.oifs.length === 0) return;
    this.routes.set(key, net);
    if (op.op === 'add') {
      net.exists = true;
      for (const o of i.oifs) net.oifs.set(o, 'add');
    } else if (net.created) {
      // Only commands ever gave it outbound interfaces: forgetting one is removing it.
      for (const o of i.oifs) net.oifs.delete(o);
    } else if (i.oifs.length === 0) {
      net.reset = true;
      net.exists = false;
      net.oifs.clear();
    } else {
      for (const o of i.oifs) net.oifs.set(o, 'remove');
    }
  }

  /** Commands that rebuild the same net effect, in the order things were last touched. */
  *replay(): Generator<Command> {
    for (const net of this.routes.values()) {
      const base = net.intent;
      if (net.reset) yield { op: 'remove', intent: { ...base, oifs: [] } };
      const adds = [...net.oifs].filter(([, v]) => v === 'add').map(([o]) => o);
      const removes = [...net.oifs].filter(([, v]) => v === 'remove').map(([o]) => o);
      if (net.exists || adds.length > 0) yield { op: 'add', intent: { ...base, oifs: adds } };
      if (removes.length > 0) yield { op: 'remove', intent: { ...base, oifs: removes } };
    }
    for (const net of this.joins.values()) {
      if (net.reset) yield { op: 'leave', intent: net.intent };
      if (net.exists) yield { op: 'join', intent: net.intent };
    }
  }
}
