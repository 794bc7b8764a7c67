// The daemon's side of the IPC protocol as an interface: the server decodes
// frames and calls these; the daemon implements them. Keeps ipc/ free of state.

import type { Command } from '../model/intents.js';
import type { Valid } from '../model/validate.js';
import type { Result } from '../result.js';
import type { GroupsSnapshot, InterfacesSnapshot, PendingView, ReloadPlan, RoutesSnapshot, ShowMode } from '../show/types.js';

export interface Control {
  /** add, remove, join or leave, checked, with what the validator found suspicious. */
  command(req: Valid<Command>): Result;
  /** `smcroutectl flush`: drop learned (*,G) routes now. */
  flush(): Result;
  /** `smcroutectl reload`: re-read the configuration. */
  reload(): Result;
  /** `smcroutectl reload --dry-run`: what a reload would change now, changing nothing. */
  planReload(): ReloadPlan;
  /** `smcroutectl kill`: exit cleanly once the reply is sent. */
  kill(): Result;
  /** `smcroutectl explain [IIF] SOURCE GROUP`: text, or JSON when `json`; waits up to a second for a packet. */
  explain(args: readonly string[], json: boolean): Promise<Result<string>>;
  showRoutes(mode: ShowMode): RoutesSnapshot;
  showGroups(mode: ShowMode): GroupsSnapshot;
  showInterfaces(mode: ShowMode): InterfacesSnapshot;
  showPending(mode: ShowMode): readonly PendingView[];
  /** IPC 'T': the statistics snapshot (daemon/stats.ts) as compact JSON, for `smcroutectl top`. */
  stats(): Promise<string>;
  /**
   * `smcroutectl monitor` ('m' text, 'M' JSON lines): `push` gets one line per event, newline
   * included, until `stop` is called. A Control without it answers as to an unknown command.
   */
  monitor?(json: boolean, push: (line: string) => void): Promise<MonitorFeed>;
}

export interface MonitorFeed {
  /** No more lines after this. */
  stop(): void;
  /** The line that tells the reader `count` events were dropped while it did not read. */
  lostLine(count: number): string;
}
