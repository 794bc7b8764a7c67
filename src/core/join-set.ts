// Kernel joins with reference counts: configured ranges may overlap, so one
// (S,G) on one interface can be wanted by several entries and is left only
// when the last lets go. Pure; the router makes the kernel calls.

import type { JoinSpec } from './desired.js';

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

  /** One more reference to each join; returns the joins not held before. */
  acquire(joins: readonly JoinSpec[]): JoinSpec[] {
    const fresh: JoinSpec[] = [];
    for (const j of joins) {
      const n = this.refs.get(j.key) ?? 0;
      if (n === 0) {
        this.specs.set(j.key, j);
        fresh.push(j);
      }
      this.refs.set(j.key, n + 1);
    }
    return fresh;
  }

  /** One reference less to each join; returns the joins no longer held. */
  release(joins: readonly JoinSpec[]): JoinSpec[] {
    const gone: JoinSpec[] = [];
    for (const j of joins) {
      const n = this.refs.get(j.key) ?? 0;
      if (n === 0) continue;
      if (n > 1) {
        this.refs.set(j.key, n - 1);
        continue;
      }
      const spec = this.specs.get(j.key)!;
      this.refs.delete(j.key);
      this.specs.delete(j.key);
      gone.push(spec);
    }
    return gone;
  }

  /** Takes over a join as held elsewhere, with its reference count. */
  put(spec: JoinSpec, refs: number): void {
    this.specs.set(spec.key, spec);
    this.refs.set(spec.key, refs);
  }

  delete(key: string): void {
    this.specs.delete(key);
    this.refs.delete(key);
  }

  clear(): void {
    this.specs.clear();
    this.refs.clear();
  }
}
