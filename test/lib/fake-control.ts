// A Control that records every call and answers from fixed views, for IPC
// server and smcroutectl tests. No daemon logic.

import type { Control } from '../../src/ipc/control.js';
import { decodeCommand, type CommandLetter } from '../../src/ipc/requests.js';
import type { Command } from '../../src/model/intents.js';
import type { FlowArgs, RouteArgs, Valid } from '../../src/model/validate.js';
import { ok, type Result } from '../../src/result.js';
import type {
  GroupsSnapshot,
  InterfacesSnapshot,
  PendingView,
  ReloadPlan,
  RoutesSnapshot,
  ShowMode,
} from '../../src/show/types.js';
import { P } from './fixtures.js';

/** A checked command from the words smcroutectl would send, for tests that drive a Control directly. */
export function request(cmd: CommandLetter, ...words: string[]): Valid<Command> {
  const r = decodeCommand(cmd, words);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

export type Call =
  | { op: 'addRoute' | 'removeRoute'; args: RouteArgs }
  | { op: 'join' | 'leave'; args: FlowArgs }
  | { op: 'flush' | 'reload' | 'planReload' | 'kill' | 'stats' }
  | { op: 'explain'; args: readonly string[]; json: boolean }
  | { op: 'showRoutes' | 'showGroups' | 'showInterfaces' | 'showPending'; mode: ShowMode };

export class FakeControl implements Control {
  readonly calls: Call[] = [];
  /** Returned by every non-show command; set to make them fail. */
  result: Result = ok();
  /** When set, every call throws this. */
  throws?: Error;

  routes: RoutesSnapshot = {
    templates: [{ source: null, group: P('225.1.2.3'), iif: 'eth0', oifs: ['eth1', 'eth2'] }],
    sgRules: [{ source: P('10.0.0.1'), group: P('225.1.2.4'), iif: 'eth0', oifs: ['eth1'] }],
    kernel: [{ source: P('10.0.0.1'), group: P('225.1.2.4'), iif: 'eth0', oifs: ['eth1'], packets: 5n, bytes: 500n }],
    ifnameWidth: 4,
  };
  groups: GroupsSnapshot = {
    conf: [{ source: null, group: P('225.1.1.1'), iif: 'eth0' }],
    kernel: [{ source: null, group: P('225.1.1.1'), iif: 'eth0' }],
  };
  interfaces: InterfacesSnapshot = {
    interfaces: [
      { index: 1, name: 'lo' },
      { index: 2, name: 'eth0', vif: 0, mif: 0 },
    ],
    ifnameWidth: 4,
  };
  pending: PendingView[] = [{ kind: 'mroute', iif: 'eth9', group: '225.9.9.9', oifs: ['eth1'] }];

  private record(call: Call): void {
    this.calls.push(call);
    if (this.throws) throw this.throws;
  }

  /** Records a command as the words it came from, as the calls of the old interface read. */
  command(req: Valid<Command>): Result {
    const { op, intent } = req.value;
    const source = intent.text.source;
    if (op === 'add' || op === 'remove') {
      const args = { iif: intent.iif, source, group: intent.text.group, oifs: [...intent.oifs] };
      this.record({ op: op === 'add' ? 'addRoute' : 'removeRoute', args });
    } else {
      this.record({ op, args: { iif: intent.iif, ...(source !== undefined && { source }), group: intent.text.group } });
    }
    return this.result;
  }
  flush(): Result {
    this.record({ op: 'flush' });
    return this.result;
  }
  reload(): Result {
    this.record({ op: 'reload' });
    return this.result;
  }
  /** What planReload answers: no changes, by default. */
  plan: ReloadPlan = {
    file: '/etc/smcroute.conf',
    changes: { rules: [], joins: { join: [], leave: [] }, vifs: [], problems: [], runtimeDropped: 0 },
    errors: [],
    warnings: [],
  };
  planReload(): ReloadPlan {
    this.record({ op: 'planReload' });
    return this.plan;
  }
  kill(): Result {
    this.record({ op: 'kill' });
    return this.result;
  }
  /** Answered after `explainDelayMs`, as the daemon answers once its packet sample is done. */
  explainDelayMs = 0;
  explainReply = 'Verdict: forwarded\n';
  async explain(args: readonly string[], json: boolean): Promise<Result<string>> {
    this.record({ op: 'explain', args, json });
    await new Promise((r) => setTimeout(r, this.explainDelayMs));
    return this.result.ok ? ok(this.explainReply) : this.result;
  }
  /** The reply to 'T'; a promise that settles later, as the daemon's does. */
  statsText = '{"time":0,"routes":[],"interfaces":[],"counts":{"static":0,"learned":0,"stop":0}}';
  async stats(): Promise<string> {
    this.record({ op: 'stats' });
    await new Promise((r) => setImmediate(r));
    return this.statsText;
  }
  showRoutes(mode: ShowMode): RoutesSnapshot {
    this.record({ op: 'showRoutes', mode });
    return this.routes;
  }
  showGroups(mode: ShowMode): GroupsSnapshot {
    this.record({ op: 'showGroups', mode });
    return this.groups;
  }
  showInterfaces(mode: ShowMode): InterfacesSnapshot {
    this.record({ op: 'showInterfaces', mode });
    return this.interfaces;
  }
  showPending(mode: ShowMode): readonly PendingView[] {
    this.record({ op: 'showPending', mode });
    return this.pending;
  }
}
