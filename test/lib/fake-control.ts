// A Control that records every call and answers from fixed views, for IPC
// server and smcroutectl tests. No daemon logic.

import type { Control, ControlResult, GroupArgs, RouteArgs } from '../../src/ipc/control.js';
import type { GroupsSnapshot, InterfacesSnapshot, PendingView, RoutesSnapshot, ShowMode } from '../../src/show/types.js';
import { P } from './fixtures.js';

export type Call =
  | { op: 'addRoute' | 'removeRoute'; args: RouteArgs }
  | { op: 'join' | 'leave'; args: GroupArgs }
  | { op: 'flush' | 'reload' | 'kill' }
  | { op: 'showRoutes' | 'showGroups' | 'showInterfaces' | 'showPending'; mode: ShowMode };

export class FakeControl implements Control {
  readonly calls: Call[] = [];
  /** Returned by every non-show command; set to make them fail. */
  result: ControlResult = { ok: true };
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
    interfaces: [{ index: 1, name: 'lo' }, { index: 2, name: 'eth0', vif: 0, mif: 0 }],
    ifnameWidth: 4,
  };
  pending: PendingView[] = [{ kind: 'mroute', iif: 'eth9', group: '225.9.9.9', oifs: ['eth1'] }];

  private record(call: Call): void {
    this.calls.push(call);
    if (this.throws) throw this.throws;
  }

  addRoute(args: RouteArgs): ControlResult {
    this.record({ op: 'addRoute', args });
    return this.result;
  }
  removeRoute(args: RouteArgs): ControlResult {
    this.record({ op: 'removeRoute', args });
    return this.result;
  }
  join(args: GroupArgs): ControlResult {
    this.record({ op: 'join', args });
    return this.result;
  }
  leave(args: GroupArgs): ControlResult {
    this.record({ op: 'leave', args });
    return this.result;
  }
  flush(): ControlResult {
    this.record({ op: 'flush' });
    return this.result;
  }
  reload(): ControlResult {
    this.record({ op: 'reload' });
    return this.result;
  }
  kill(): ControlResult {
    this.record({ op: 'kill' });
    return this.result;
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
