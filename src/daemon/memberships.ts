// The group memberships the kernel holds for us, and the calls that change
// them. Knows nothing of rules or routes; the router says what to join.

import { describeError } from '../errors.js';
import type { Kernel } from '../kernel/types.js';
import type { Logger } from '../log.js';
import { formatAddr } from '../model/addr.js';
import { fail, ok, type Result } from '../result.js';
import type { JoinSet } from '../core/join-set.js';
import type { MembershipPlan } from '../core/desired.js';
import type { Links } from '../core/links.js';
import type { JoinSpec } from '../core/resolve.js';

/**
 * `all-or-nothing` for a command: one failed join undoes the others, so the
 * operator's retry does not meet a half-made entry. `best-effort` for a
 * reload: every join that can be made is made.
 */
export type JoinPolicy = 'all-or-nothing' | 'best-effort';

export class Memberships {
  private readonly held = new Map<string, JoinSpec>();

  constructor(
    private readonly kernel: Kernel,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.held.size;
  }

  values(): IterableIterator<JoinSpec> {
    return this.held.values();
  }

  /** What it takes to hold exactly `wanted`: a join whose interface changed index is made again. */
  diff(wanted: JoinSet): MembershipPlan {
    const join: JoinSpec[] = [];
    const leave: JoinSpec[] = [];
    for (const live of this.held.values()) {
      if (wanted.get(live.key)?.ifindex !== live.ifindex) leave.push(live);
    }
    for (const spec of wanted.values()) {
      if (this.held.get(spec.key)?.ifindex !== spec.ifindex) join.push(spec);
    }
    return { join, leave };
  }

  /** Leaves, then joins; the first failed join, if any. Joins already held are skipped. */
  apply(plan: MembershipPlan, policy: JoinPolicy, links: Links): Result {
    for (const spec of plan.leave) this.leaveOne(spec, links);
    const made: JoinSpec[] = [];
    let firstError: string | undefined;
    for (const spec of plan.join) {
      if (this.held.get(spec.key)?.ifindex === spec.ifindex) continue;
      const res = this.joinOne(spec);
      if (res.ok) {
        made.push(spec);
        continue;
      }
      firstError ??= res.error;
      if (policy === 'all-or-nothing') {
        for (const m of made) this.leaveOne(m, links);
        return fail(res.error);
      }
    }
    return firstError === undefined ? ok() : fail(firstError);
  }

  leaveAll(links: Links): void {
    for (const spec of [...this.held.values()]) this.leaveOne(spec, links);
  }

  private joinOne(spec: JoinSpec): Result {
    try {
      this.kernel.join(spec.ifindex, spec.group, spec.source);
      this.held.set(spec.key, spec);
      return ok();
    } catch (err) {
      const msg = `Failed joining ${describeJoin(spec)}: ${describeError(err)}`;
      this.log.err(msg, { iif: spec.ifname, group: formatAddr(spec.group), error: describeError(err) });
      return fail(msg);
    }
  }

  private leaveOne(spec: JoinSpec, links: Links): void {
    this.held.delete(spec.key);
    try {
      this.kernel.leave(spec.ifindex, spec.group, spec.source);
    } catch (err) {
      // A vanished interface took its memberships with it.
      if (links.byName(spec.ifname)?.index === spec.ifindex) {
        // Still held: `show groups` says so, and the next rebuild tries the leave again.
        this.held.set(spec.key, spec);
        this.log.err(`Failed leaving ${describeJoin(spec)}: ${describeError(err)}`, {
          iif: spec.ifname,
          group: formatAddr(spec.group),
        });
      }
    }
  }
}

function describeJoin(j: JoinSpec): string {
  return `(${j.source ? formatAddr(j.source) : '*'},${formatAddr(j.group)}) on ${j.ifname}`;
}
