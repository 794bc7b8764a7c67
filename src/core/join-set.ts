// Kernel joins with reference counts: configured ranges may overlap, so one
// (S,G) on one interface can be wanted by several entries and is left only
// when the last lets go. Pure; the desired state holds one of these.

import type { JoinSpec } from './resolve.js';

export class JoinSet {
  private readonly specs = new Map<string, JoinSpec>();
  private readonly refs = new Map<string, number>();

  get size(): number {
    return this.specs.size;
  }

  has(key: string): boolean {
    return this.specs.has(key);
  }

  get(key: string): JoinSpec | undefined {
    return this.specs.get(key);
  }

  refsOf(key: string): number {
    return this.refs.get(key) ?? 0;
  }

  values(): IterableIterator<JoinSpec> {
    return this.specs.values();
  }

  /** One more reference to each join. */
  acquire(joins: readonly JoinSpec[]): void {
    for (const j of joins) {
      const n = this.refs.get(j.key) ?? 0;
      if (n === 0) this.specs.set(j.key, j);
      this.refs.set(j.key, n + 1);
    }
  }

  /** One reference less to each join; the last one lets it go. */
  release(joins: readonly JoinSpec[]): void {
    for (const j of joins) {
      const n = this.refs.get(j.key) ?? 0;
      if (n > 1) this.refs.set(j.key, n - 1);
      else {
        this.refs.delete(j.key);
        this.specs.delete(j.key);
      }
    }
  }
}
