// A fake clock for schedules: timers fire only when a test advances time, in due order, and
// "random" draws come from a list the test sets. Implements the daemon's Timers; no real timers.
import type { Timers } from '../../src/daemon/mrdisc.js';

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class FakeTimers implements Timers {
  /** Milliseconds since the start. */
  now = 0;
  /** Draws handed out by random(), in order; `fallback` once they run out. */
  draws: number[] = [];
  fallback = 0.5;
  private queue: Pending[] = [];
  private seq = 0;

  readonly clock = (): number => this.now;

  after(ms: number, fn: () => void): () => void {
    const p: Pending = { at: this.now + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.queue.push(p);
    return () => {
      p.cancelled = true;
    };
  }

  random(): number {
    return this.draws.shift() ?? this.fallback;
  }

  /** Timers still waiting. */
  get pending(): number {
    return this.queue.filter((p) => !p.cancelled).length;
  }

  /** Moves time forward by `ms`, firing every timer due on the way (also those set while firing). */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const live = this.queue.filter((p) => !p.cancelled && p.at <= end);
      if (live.length === 0) break;
      live.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = live[0];
      if (!next) break;
      this.queue = this.queue.filter((p) => p !== next);
      this.now = next.at;
      next.fn();
    }
    this.now = end;
    this.queue = this.queue.filter((p) => !p.cancelled);
  }
}
