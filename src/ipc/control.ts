// The daemon's side of the IPC protocol as an interface: the server decodes
// frames and calls these; the daemon implements them. Keeps ipc/ free of state.

import type { Command } from '../model/intents.js';
import type { Valid } from '../model/validate.js';
import type { Result } from '../result.js';
import type { GroupsSnapshot, InterfacesSnapshot, PendingView, RoutesSnapshot, ShowMode } from '../show/types.js';

export interface Control {
  /** add, remove, join or leave, checked, with what the validator found suspicious. */
  command(req: Valid<Command>): Result;
  /** `smcroutectl flush`: drop learned (*,G) routes now. */
  flush(): Result;
  /** `smcroutectl reload`: re-read the configuration. */
  reload(): Result;
  /** `smcroutectl kill`: exit cleanly once the reply is sent. */
  kill(): Result;
  showRoutes(mode: ShowMode): RoutesSnapshot;
  showGroups(mode: ShowMode): GroupsSnapshot;
  showInterfaces(mode: ShowMode): InterfacesSnapshot;
  showPending(mode: ShowMode): readonly PendingView[];
  /** IPC 'T': the statistics snapshot (daemon/stats.ts) as compact JSON, for `smcroutectl top`. */
  stats(): Promise<string>;
}
