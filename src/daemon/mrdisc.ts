// Multicast Router Discovery (RFC 4286) on the links that ask for it: when each advertisement goes
// out (initial burst, jittered interval, answers to solicitations) and the termination when a link
// stops. Sockets are the kernel's; which links want it is the router's to say, through sync().

import { KernelError, describeError } from '../errors.js';
import type { Kernel, MrdiscHeard, MrdiscMessage } from '../kernel/types.js';
import type { Logger } from '../log.js';
import { formatAddr } from '../model/addr.js';
import type { Links } from '../core/links.js';

/** RFC 4286's timing, in milliseconds; the advertisement interval itself is the caller's (-m). */
export const MRDISC_TIMING = {
  /** §3.1.3: the first advertisement on a link waits a random time below this... */
  maxInitialAdvertisementInterval: 2000,
  /** §3.1.4: ...and this many go out that far apart before the interval takes over. */
  maxInitialAdvertisements: 3,
  /** §3.1.2: each interval is shortened by a random amount up to this share of it. */
  jitterShare: 0.025,
  /** An answer to a solicitation waits a random time below this, so routers on a link do not answer at once. */
  maxResponseDelay: 2000,
  /** Answers on one link are at least this far from the previous advertisement: a flood of solicitations cannot make a flood of answers. */
  minAnswerGap: 1000,
} as const;

/** Timers and chance, injected so tests can run the schedule on a fake clock. */
export interface Timers {
  /** Runs fn once, `ms` from now; the returned function cancels it. */
  after(ms: number, fn: () => void): () => void;
  /** Uniform in [0, 1). */
  random(): number;
}

export const realTimers: Timers = {
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  random: Math.random,
};

interface Advertiser {
  readonly name: string;
  readonly ifindex: number;
  /** The link was up when last seen: coming up again restarts the initial burst. */
  up: boolean;
  /** Unsolicited advertisements sent (or tried) so far: the first few make the initial burst. */
  sent: number;
  lastSent: number;
  /** When the next unsolicited advertisement is due, and how to cancel it. */
  nextAt: number;
  cancelNext: () => void;
  /** An answer to a solicitation, waiting for its random delay. */
  cancelAnswer?: () => void;
}

export class Mrdisc {
  private readonly active = new Map<string, Advertiser>();
  private readonly advertisement: MrdiscMessage;

  /** `interval` in seconds, already within RFC 4286's range (model/limits.ts); `clock` in milliseconds. */
  constructor(
    private readonly kernel: Kernel,
    private readonly log: Logger,
    private readonly interval: number,
    private readonly clock: () => number,
    private readonly timers: Timers,
  ) {
    // Query Interval and Robustness Variable echo the IGMP querier's; the kernel's querier does not
    // tell them, and RFC 4286 lets a router that does not know send 0.
    this.advertisement = { type: 'advertisement', interval, queryInterval: 0, robustness: 0 };
  }

  /**
   * Makes the links advertising exactly `wanted` (name -> ifindex): links
   * that stop send a termination first when they still exist; new ones start
   * with the initial burst. A link whose socket cannot be opened is logged
   * and tried again at the next sync.
   */
  sync(wanted: ReadonlyMap<string, number>, links: Links): void {
    for (const adv of [...this.active.values()]) {
      if (wanted.get(adv.name) === adv.ifindex) continue;
      // Gone, or replaced by a new link of the same name: the old one cannot carry a message any more.
      const present = links.byName(adv.name)?.index === adv.ifindex;
      this.end(adv, present);
    }
    for (const [name, ifindex] of wanted) if (!this.active.has(name)) this.begin(name, ifindex, links);
    this.linksChanged(links);
  }

  /**
   * A link that comes back up starts over with the initial burst, so a
   * switch on it hears of the router within seconds, not at the next interval.
   */
  linksChanged(links: Links): void {
    for (const adv of this.active.values()) {
      const up = links.byName(adv.name)?.up ?? false;
      if (up && !adv.up) {
        adv.cancelNext();
        adv.sent = 0;
        this.schedule(adv, this.timers.random() * MRDISC_TIMING.maxInitialAdvertisementInterval);
      }
      adv.up = up;
    }
  }

  /** A message heard on a link: solicitations are answered, the rest only logged. */
  heard(h: MrdiscHeard): void {
    const adv = [...this.active.values()].find((a) => a.ifindex === h.ifindex);
    if (!adv) return;
    const from = formatAddr(h.from);
    if (h.message.type !== 'solicitation') {
      this.log.debug(`mrdisc: ${h.message.type} from ${from} on ${adv.name}, ignored`, { iif: adv.name });
      return;
    }
    const now = this.clock();
    const at = Math.max(now + this.timers.random() * MRDISC_TIMING.maxResponseDelay, adv.lastSent + MRDISC_TIMING.minAnswerGap);
    if (adv.cancelAnswer || adv.nextAt <= at) {
      const why = adv.cancelAnswer ? 'an answer is already due' : 'the next advertisement, due first, answers it';
      this.log.debug(`mrdisc: solicitation from ${from} on ${adv.name}: ${why}`, { iif: adv.name });
      return;
    }
    this.log.debug(`mrdisc: solicitation from ${from} on ${adv.name}, answering`, { iif: adv.name });
    adv.cancelAnswer = this.timers.after(at - now, () => {
      adv.cancelAnswer = undefined;
      this.send(adv, this.advertisement);
    });
  }

  /** At exit: every link sends its termination and closes. */
  stop(): void {
    for (const adv of [...this.active.values()]) this.end(adv, true);
  }

  /** Links advertising now, for logs and tests. */
  links(): string[] {
    return [...this.active.keys()];
  }

  private begin(name: string, ifindex: number, links: Links): void {
    try {
      this.kernel.openMrdisc(ifindex);
    } catch (err) {
      if (!(err instanceof KernelError)) throw err;
      this.log.err(`mrdisc: cannot advertise on ${name}: ${describeError(err)}`, { iif: name });
      return;
    }
    const up = links.byName(name)?.up ?? false;
    const adv: Advertiser = { name, ifindex, up, sent: 0, lastSent: -Infinity, nextAt: 0, cancelNext: () => {} };
    this.active.set(name, adv);
    this.log.info(`mrdisc: advertising on ${name} every ${this.interval} s`, { iif: name });
    this.schedule(adv, this.timers.random() * MRDISC_TIMING.maxInitialAdvertisementInterval);
  }

  private schedule(adv: Advertiser, delay: number): void {
    adv.nextAt = this.clock() + delay;
    adv.cancelNext = this.timers.after(delay, () => this.periodic(adv));
  }

  private periodic(adv: Advertiser): void {
    this.send(adv, this.advertisement);
    adv.sent++;
    const full = this.interval * 1000;
    const delay =
      adv.sent < MRDISC_TIMING.maxInitialAdvertisements
        ? MRDISC_TIMING.maxInitialAdvertisementInterval
        : full - this.timers.random() * MRDISC_TIMING.jitterShare * full;
    this.schedule(adv, delay);
  }

  private end(adv: Advertiser, terminate: boolean): void {
    adv.cancelNext();
    adv.cancelAnswer?.();
    this.active.delete(adv.name);
    if (terminate) this.send(adv, { type: 'termination' });
    try {
      this.kernel.closeMrdisc(adv.ifindex);
    } catch (err) {
      if (!(err instanceof KernelError)) throw err;
      this.log.warning(`mrdisc: closing the socket of ${adv.name}: ${describeError(err)}`, { iif: adv.name });
    }
    this.log.info(`mrdisc: stopped advertising on ${adv.name}`, { iif: adv.name });
  }

  private send(adv: Advertiser, message: MrdiscMessage): void {
    try {
      this.kernel.sendMrdisc(adv.ifindex, message);
      adv.lastSent = this.clock();
      this.log.debug(`mrdisc: ${message.type} sent on ${adv.name}`, { iif: adv.name });
    } catch (err) {
      if (!(err instanceof KernelError)) throw err;
      // A link that is down or just vanished: nobody to tell, and the next event sorts it out.
      const quiet = ['ENETUNREACH', 'ENETDOWN', 'ENODEV', 'ENXIO'].includes(err.code);
      const msg = `mrdisc: cannot send ${message.type} on ${adv.name}: ${describeError(err)}`;
      if (quiet) this.log.debug(msg, { iif: adv.name });
      else this.log.warning(msg, { iif: adv.name });
    }
  }
}
