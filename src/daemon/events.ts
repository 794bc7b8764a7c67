// The daemon's event bus: what happened to routes, VIFs/MIFs, reloads and upcalls, as plain data
// for `smcroutectl monitor`. Owns the listener list only; it neither formats nor counts events.

import type { Family } from '../model/addr.js';
import type { UpcallKind } from '../kernel/types.js';

/** A single (S,G) flow as the show formatters print it. */
interface Flow {
  readonly family: Family;
  readonly source: string;
  readonly group: string;
}

/** Why a learned route left the kernel: idle past -c, `smcroutectl flush`, or the --max-learned cap. */
export type ExpiryReason = 'timeout' | 'flush' | 'evicted';

export type DaemonEvent =
  /** A configured (S,G) route put in the kernel (or its outbound set changed). */
  | (Flow & { readonly event: 'installed'; readonly iif: string; readonly oifs: readonly string[] })
  /** A flow a (*,G) rule covers, installed forwarding. */
  | (Flow & { readonly event: 'learned'; readonly iif: string; readonly oifs: readonly string[] })
  /** A flow no rule forwards, installed with no outbound interface so the kernel stops asking. */
  | (Flow & { readonly event: 'stop-filter'; readonly iif: string })
  /** After WRONGVIF: a learned flow now comes in on `to`. */
  | (Flow & { readonly event: 'moved'; readonly from: string; readonly to: string; readonly oifs: readonly string[] })
  | (Flow & { readonly event: 'expired'; readonly iif: string; readonly reason: ExpiryReason })
  /** A kernel route gone because no rule wants it any more (removed, reloaded away, its VIF gone). */
  | (Flow & { readonly event: 'removed'; readonly iif: string })
  /** A pending rule whose interface appeared. */
  | {
      readonly event: 'pending-activated';
      readonly kind: 'mroute' | 'mgroup';
      readonly iif: string;
      readonly source: string | null;
      readonly group: string;
      readonly oifs: readonly string[];
    }
  | { readonly event: 'vif-added' | 'vif-released'; readonly family: Family; readonly ifname: string; readonly vif: number }
  | {
      readonly event: 'reload-applied';
      readonly routesAdded: number;
      readonly routesRemoved: number;
      readonly joinsChanged: number;
    }
  | { readonly event: 'reload-refused'; readonly errors: number; readonly firstError: string }
  | (Flow & { readonly event: 'upcall' | 'resolved'; readonly kind: UpcallKind; readonly iif: string });

export type EventListener = (e: DaemonEvent) => void;

export class EventBus {
  private readonly listeners = new Set<EventListener>();
  /**
   * True while someone listens. Emitters test it before building an event, so with no
   * monitor attached an upcall or a route costs one field read, no allocation.
   */
  active = false;

  /** Calls `fn` with every event from now on; the returned function stops it. */
  listen(fn: EventListener): () => void {
    // Wrapped, so that the same function listening twice is two listeners.
    const own: EventListener = (e) => fn(e);
    this.listeners.add(own);
    this.active = true;
    return () => {
      this.listeners.delete(own);
      this.active = this.listeners.size > 0;
    };
  }

  emit(e: DaemonEvent): void {
    for (const fn of this.listeners) {
      // A listener's failure is its own: it must never interrupt the apply step that emits.
      try {
        fn(e);
      } catch {
        // ignored on purpose
      }
    }
  }
}
