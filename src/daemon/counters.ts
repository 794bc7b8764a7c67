// Monotonic counters the daemon always keeps (upcalls, learned and expired routes, reloads, IPC
// commands), read by `Daemon.counters()`. Plain integers bumped in place; no formatting, no I/O.

import { COMMAND_NAMES } from '../ipc/command-names.js';
import type { UpcallKind } from '../kernel/types.js';

export interface IpcCount {
  ok: number;
  failed: number;
}

/** A copy of the counters at one moment; every number only ever grows while the daemon runs. */
export interface CountersSnapshot {
  readonly upcalls: Readonly<Record<UpcallKind, number>>;
  /** Upcalls that ended with a kernel route: learned, stop filter, or moved. */
  readonly upcallsResolved: number;
  /** Flows a (*,G) rule covers installed forwarding (moves after WRONGVIF included). */
  readonly routesLearned: number;
  /** Flows installed as stop filters. */
  readonly stopFilters: number;
  /** Learned and stop-filter routes removed: idle past -c, flushed, or evicted at --max-learned. */
  readonly routesExpired: number;
  readonly reloads: { readonly applied: number; readonly refused: number };
  /** By command name (`add`, `show`, ..., `other`). */
  readonly ipc: Readonly<Record<string, Readonly<IpcCount>>>;
}

export class Counters {
  readonly upcalls: Record<UpcallKind, number> = { nocache: 0, wrongvif: 0, wholepkt: 0, other: 0 };
  upcallsResolved = 0;
  routesLearned = 0;
  stopFilters = 0;
  routesExpired = 0;
  readonly reloads = { applied: 0, refused: 0 };
  private readonly ipcCounts = new Map<string, IpcCount>();

  /** One IPC request answered, by its command letter. */
  ipc(letter: string, ok: boolean): void {
    // Anything else is `other`, so the set of names stays bounded.
    const name = COMMAND_NAMES[letter] ?? 'other';
    let c = this.ipcCounts.get(name);
    if (!c) this.ipcCounts.set(name, (c = { ok: 0, failed: 0 }));
    if (ok) c.ok++;
    else c.failed++;
  }

  snapshot(): CountersSnapshot {
    const ipc: Record<string, IpcCount> = {};
    for (const [name, c] of this.ipcCounts) ipc[name] = { ...c };
    return {
      upcalls: { ...this.upcalls },
      upcallsResolved: this.upcallsResolved,
      routesLearned: this.routesLearned,
      stopFilters: this.stopFilters,
      routesExpired: this.routesExpired,
      reloads: { ...this.reloads },
      ipc,
    };
  }
}
