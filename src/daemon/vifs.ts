// The VIFs (IPv4) and MIFs (IPv6) the kernel holds for us: made when an
// interface is needed, released when it is not. Says which interfaces
// changed; what that means for routes is the router's business.

import { describeError } from '../errors.js';
import type { Kernel } from '../kernel/types.js';
import type { Logger } from '../log.js';
import { vifWord, type Family } from '../model/addr.js';
import { MAX_VIFS } from '../model/limits.js';
import { fail, ok, type Result } from '../result.js';
import type { Links } from '../core/links.js';
import type { IfaceSettings } from '../core/resolve.js';
import { planVifs } from '../core/vif-plan.js';
import { VifTable, type VifSlot } from '../core/vif-table.js';
import type { EventBus } from './events.js';

/** An interface whose VIF/MIF came or went: the routes using it need a new look. */
export interface VifChange {
  readonly family: Family;
  readonly name: string;
}

export interface VifSync {
  readonly changed: VifChange[];
  /** Interfaces that need a VIF/MIF and could not get one, with why. */
  readonly problems: string[];
}

export class Vifs {
  readonly tables: Readonly<Record<Family, VifTable>> = { inet: new VifTable(), inet6: new VifTable() };
  /** Counts every VIF/MIF made, re-thresholded or released, so derived data can tell it is stale. */
  generation = 0;

  constructor(
    private readonly kernel: Kernel,
    private readonly log: Logger,
    private readonly events: EventBus,
  ) {}

  /**
   * Carries out planVifs: releases what is no longer wanted (or whose
   * interface changed), then makes those of `ensure` that are missing.
   */
  sync(
    families: Iterable<Family>,
    needs: ReadonlySet<string>,
    ensure: Iterable<string>,
    settings: ReadonlyMap<string, IfaceSettings>,
    links: Links,
  ): VifSync {
    const out: VifSync = { changed: [], problems: [] };
    for (const step of planVifs(this.tables, families, needs, ensure, settings, links)) {
      const { family } = step;
      if (step.op === 'make') {
        const made = this.make(family, step.name, step.ifindex, step.threshold, step.vif);
        if (made.ok) out.changed.push({ family, name: step.name });
        else out.problems.push(made.error);
        continue;
      }
      if (step.op === 'threshold') {
        // Same interface, new threshold: same VIF number, so routes keep their place.
        const kept = this.rethreshold(family, step.slot, step.threshold);
        if (!kept.ok) out.problems.push(kept.error);
      } else {
        this.release(family, step.slot, step.linkExists);
      }
      out.changed.push({ family, name: step.slot.name });
    }
    return out;
  }

  /** `vif`: the number the plan gave it, undefined when all are taken. */
  private make(family: Family, name: string, ifindex: number, threshold: number, vif: number | undefined): Result {
    if (vif === undefined) {
      const error = `No free ${vifWord(family)} for ${name}: all ${MAX_VIFS} are in use`;
      this.log.err(error, { iif: name });
      return fail(error);
    }
    try {
      this.kernel.addVif(family, vif, ifindex, threshold);
    } catch (err) {
      const error = `Failed creating ${vifWord(family)} for ${name}: ${describeError(err)}`;
      this.log.err(error, { iif: name });
      return fail(error);
    }
    this.tables[family].put({ vif, name, ifindex, threshold });
    this.generation++;
    if (this.events.active) this.events.emit({ event: 'vif-added', family, ifname: name, vif });
    this.log.debug(`Map ${name} => ${vifWord(family)} ${vif} ifindex ${ifindex} TTL threshold ${threshold}`);
    return ok();
  }

  /**
   * The kernel cannot change a VIF's threshold in place: delete it and add it
   * again under the same number, at once, before anything else can take it.
   * MFC entries keep pointing at the number; the router updates their TTLs.
   */
  private rethreshold(family: Family, slot: VifSlot, threshold: number): Result {
    this.release(family, slot, true, false);
    try {
      this.kernel.addVif(family, slot.vif, slot.ifindex, threshold);
    } catch (err) {
      const error = `Failed re-creating ${vifWord(family)} ${slot.vif} for ${slot.name}: ${describeError(err)}`;
      this.log.err(error, { iif: slot.name });
      // Released after all: say so, as release() would have.
      if (this.events.active) this.events.emit({ event: 'vif-released', family, ifname: slot.name, vif: slot.vif });
      return fail(error);
    }
    this.tables[family].put({ ...slot, threshold });
    this.generation++;
    this.log.debug(`Map ${slot.name} => ${vifWord(family)} ${slot.vif} ifindex ${slot.ifindex} TTL threshold ${threshold}`);
    return ok();
  }

  /** `announce` false: the VIF comes back under its number at once (a new threshold), which is no event. */
  private release(family: Family, slot: VifSlot, linkExists: boolean, announce = true): void {
    this.tables[family].remove(slot.name);
    this.generation++;
    if (announce && this.events.active) this.events.emit({ event: 'vif-released', family, ifname: slot.name, vif: slot.vif });
    try {
      this.kernel.delVif(family, slot.vif);
    } catch (err) {
      // The kernel drops the VIF itself when the interface goes away.
      if (linkExists) this.log.err(`Failed removing ${vifWord(family)} ${slot.vif} of ${slot.name}: ${describeError(err)}`);
    }
  }
}
