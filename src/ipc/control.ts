// The daemon's side of the IPC protocol as an interface: the server decodes
// frames and calls these; the daemon implements them. Keeps ipc/ free of state.

import type { GroupsSnapshot, InterfacesSnapshot, PendingView, RoutesSnapshot, ShowMode } from '../show/types.js';

/** Outcome of a command: ok, or an error message the client prints. */
export type ControlResult = { ok: true } | { ok: false; error: string };

export interface RouteArgs {
  readonly iif: string;
  /** Exactly as given, possibly "ADDR/LEN"; undefined for (*,G). */
  readonly source?: string;
  readonly group: string;
  readonly oifs: readonly string[];
}

export interface GroupArgs {
  readonly iif: string;
  readonly source?: string;
  readonly group: string;
}

export interface Control {
  addRoute(args: RouteArgs): ControlResult;
  removeRoute(args: RouteArgs): ControlResult;
  join(args: GroupArgs): ControlResult;
  leave(args: GroupArgs): ControlResult;
  /** `smcroutectl flush`: drop learned (*,G) routes now. */
  flush(): ControlResult;
  /** `smcroutectl reload`: re-read the configuration. */
  reload(): ControlResult;
  /** `smcroutectl kill`: exit cleanly once the reply is sent. */
  kill(): ControlResult;
  showRoutes(mode: ShowMode): RoutesSnapshot;
  showGroups(mode: ShowMode): GroupsSnapshot;
  showInterfaces(mode: ShowMode): InterfacesSnapshot;
  showPending(mode: ShowMode): readonly PendingView[];
}
