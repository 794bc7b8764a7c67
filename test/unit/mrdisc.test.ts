// Router discovery's schedule on a fake clock and the fake kernel: the initial burst, the jittered
// interval, answers to solicitations and their limits, terminations; then the same driven by the
// router's desired state through reloads, link events and stop.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/conf/parse.js';
import { Links } from '../../src/core/links.js';
import { toIntents } from '../../src/daemon/config.js';
import { MRDISC_TIMING, Mrdisc } from '../../src/daemon/mrdisc.js';
import { Router } from '../../src/daemon/router.js';
import { FakeKernel, FakeNetns, type FakeMrdiscSent } from '../../src/kernel/fake.js';
import type { LinkInfo, MrdiscHeard } from '../../src/kernel/types.js';
import { memoryLogger } from '../../src/log.js';
import { FakeTimers } from '../lib/fake-timers.js';
import { A, LINKS, link } from '../lib/fixtures.js';

const ETH0 = 2;
const ETH1 = 3;

/** "t=MS IFINDEX TYPE[/INTERVAL]" for each message sent (to the ms), to compare whole schedules at once. */
function timeline(sent: readonly (FakeMrdiscSent & { at: number })[]): string[] {
  return sent.map(
    ({ at, ifindex, message: m }) =>
      `t=${Math.round(at)} ${ifindex} ${m.type}${m.type === 'advertisement' ? `/${m.interval}` : ''}`,
  );
}

/** A Mrdisc on the fake kernel, recording the fake time of every message sent. */
function setup(interval = 4, links: readonly LinkInfo[] = LINKS) {
  const ns = new FakeNetns(links);
  const kernel = new FakeKernel(ns);
  const timers = new FakeTimers();
  const log = memoryLogger();
  const sent: (FakeMrdiscSent & { at: number })[] = [];
  const send = kernel.sendMrdisc.bind(kernel);
  kernel.sendMrdisc = (ifindex, message) => {
    send(ifindex, message);
    sent.push({ at: timers.now, ifindex, message });
  };
  const mrdisc = new Mrdisc(kernel, log, interval, timers.clock, timers);
  const solicit = (ifindex: number) => {
    const h: MrdiscHeard = { ifindex, from: A('10.0.0.9'), message: { type: 'solicitation' } };
    mrdisc.heard(h);
  };
  return { ns, kernel, timers, log, sent, mrdisc, solicit, links: () => new Links(ns.links()) };
}

test('initial burst: first below 2 s, then 2 s apart, 3 in all; then the interval less a jitter of up to 2.5%', () => {
  const s = setup(4);
  // First delay 0.25 * 2 s; after the burst, draws of 0, 1/2 and 0.9999 of the jitter (100 ms at 4 s).
  s.timers.draws = [0.25, 0, 0.5, 0.9999];
  s.mrdisc.sync(new Map([['eth0', ETH0]]), s.links());
  assert.deepEqual(s.kernel.mrdiscSockets(), [ETH0]);
  s.timers.advance(16_400);
  assert.deepEqual(timeline(s.sent), [
    't=500 2 advertisement/4',
    't=2500 2 advertisement/4',
    't=4500 2 advertisement/4',
    't=8500 2 advertisement/4',
    't=12450 2 advertisement/4',
    't=16350 2 advertisement/4',
  ]);
});

test('the configured interval is in every advertisement from the first, and paces the periodic ones', () => {
  const s = setup(180);
  s.timers.draws = [0, 0];
  s.mrdisc.sync(new Map([['eth1', ETH1]]), s.links());
  s.timers.advance(4000 + 180_000);
  assert.deepEqual(timeline(s.sent), [
    't=0 3 advertisement/180',
    't=2000 3 advertisement/180',
    't=4000 3 advertisement/180',
    't=184000 3 advertisement/180',
  ]);
  const m = s.sent[0]?.message;
  assert.deepEqual(m, { type: 'advertisement', interval: 180, queryInterval: 0, robustness: 0 });
});

test('each link keeps its own schedule', () => {
  const s = setup(20);
  s.timers.draws = [0.5, 0.1];
  s.mrdisc.sync(
    new Map([
      ['eth0', ETH0],
      ['eth1', ETH1],
    ]),
    s.links(),
  );
  s.timers.advance(4300);
  assert.deepEqual(timeline(s.sent), [
    't=200 3 advertisement/20',
    't=1000 2 advertisement/20',
    't=2200 3 advertisement/20',
    't=3000 2 advertisement/20',
    't=4200 3 advertisement/20',
  ]);
});

test('a solicitation is answered after a random delay below 2 s; one answer at a time', () => {
  const s = setup(20);
  s.timers.draws = [0];
  s.mrdisc.sync(new Map([['eth0', ETH0]]), s.links());
  s.timers.advance(5000); // the burst: t=0, 2000, 4000; the next is due near t=24000
  s.sent.length = 0;
  s.timers.draws = [0.5];
  s.solicit(ETH0);
  s.solicit(ETH0); // while the first waits: no second answer
  s.solicit(ETH1); // no socket there: nothing
  s.timers.advance(3000);
  assert.deepEqual(timeline(s.sent), ['t=6000 2 advertisement/20']);
  assert.match(s.log.lines.join('\n'), /solicitation from 10\.0\.0\.9 on eth0, answering/);
});

test('answers stay 1 s clear of the previous advertisement, and are skipped when one is due first anyway', () => {
  const s = setup(4);
  s.timers.draws = [0, 0];
  s.mrdisc.sync(new Map([['eth0', ETH0]]), s.links());
  s.timers.advance(4000); // burst at 0, 2000, 4000; next due at 8000 (draw 0: no jitter)
  s.sent.length = 0;
  s.timers.draws = [0]; // an answer "now" would follow the advertisement of t=4000 at once
  s.solicit(ETH0);
  s.timers.advance(1000);
  assert.deepEqual(timeline(s.sent), ['t=5000 2 advertisement/4'], 'held back to 1 s after t=4000');
  s.timers.advance(1500); // t=6500
  s.timers.draws = [0.9]; // 1800 ms: past t=8000, when the periodic one goes anyway
  s.solicit(ETH0);
  s.timers.advance(3000);
  assert.deepEqual(timeline(s.sent), ['t=5000 2 advertisement/4', 't=8000 2 advertisement/4']);
});

test('advertisements and terminations heard from other routers are not answered', () => {
  const s = setup(20);
  s.timers.draws = [0];
  s.mrdisc.sync(new Map([['eth0', ETH0]]), s.links());
  s.timers.advance(4000);
  s.sent.length = 0;
  s.mrdisc.heard({ ifindex: ETH0, from: A('10.0.0.7'), message: { type: 'termination' } });
  s.mrdisc.heard({
    ifindex: ETH0,
    from: A('10.0.0.7'),
    message: { type: 'advertisement', interval: 20, queryInterval: 0, robustness: 0 },
  });
  s.timers.advance(5000);
  assert.deepEqual(s.sent, []);
});

test('a link that stops sends a termination and closes; one that vanished only closes', () => {
  const s = setup(20);
  s.timers.draws = [0];
  s.mrdisc.sync(
    new Map([
      ['eth0', ETH0],
      ['eth1', ETH1],
    ]),
    s.links(),
  );
  s.timers.advance(100);
  s.sent.length = 0;
  s.ns.setLinks(LINKS.filter((l) => l.index !== ETH1));
  s.mrdisc.sync(new Map(), s.links());
  assert.deepEqual(timeline(s.sent), ['t=100 2 termination']);
  assert.deepEqual(s.kernel.mrdiscSockets(), []);
  assert.equal(s.timers.pending, 0, 'no timer left behind');
  assert.deepEqual(s.mrdisc.links(), []);
});

test('a link re-created under a new index: the old socket closes silently, the new one starts over', () => {
  const s = setup(20);
  s.timers.draws = [0];
  s.mrdisc.sync(new Map([['eth1', ETH1]]), s.links());
  s.timers.advance(4000);
  s.sent.length = 0;
  s.ns.setLinks([...LINKS.filter((l) => l.index !== ETH1), link('eth1', 9)]);
  s.timers.draws = [0];
  s.mrdisc.sync(new Map([['eth1', 9]]), s.links());
  s.timers.advance(0);
  assert.deepEqual(timeline(s.sent), ['t=4000 9 advertisement/20']);
  assert.deepEqual(s.kernel.mrdiscSockets(), [9]);
});

test('stop: every link sends its termination, then nothing more is scheduled', () => {
  const s = setup(20);
  s.mrdisc.sync(
    new Map([
      ['eth0', ETH0],
      ['eth1', ETH1],
    ]),
    s.links(),
  );
  s.mrdisc.stop();
  assert.deepEqual(timeline(s.sent), ['t=0 2 termination', 't=0 3 termination']);
  assert.equal(s.timers.pending, 0);
  assert.deepEqual(s.kernel.mrdiscSockets(), []);
});

test('a socket that cannot open is reported and tried again at the next sync', () => {
  const s = setup(20);
  s.mrdisc.sync(new Map([['ghost0', 42]]), s.links());
  assert.match(s.log.lines.join('\n'), /mrdisc: cannot advertise on ghost0: MCAST_JOIN_GROUP: ENODEV/);
  assert.deepEqual(s.mrdisc.links(), []);
  s.ns.setLinks([...LINKS, link('ghost0', 42)]);
  s.mrdisc.sync(new Map([['ghost0', 42]]), s.links());
  assert.deepEqual(s.mrdisc.links(), ['ghost0']);
});

test('a link that is down: the advertisement fails quietly (debug) and the schedule goes on', () => {
  const s = setup(
    4,
    LINKS.map((l) => (l.index === ETH0 ? { ...l, up: false } : l)),
  );
  s.timers.draws = [0];
  s.mrdisc.sync(new Map([['eth0', ETH0]]), s.links());
  s.timers.advance(100);
  assert.equal(s.sent.length, 0);
  const failed = s.log.records.filter((r) => /cannot send advertisement on eth0: sendto: ENETUNREACH/.test(r.msg));
  assert.deepEqual(
    failed.map((r) => r.level),
    ['debug'],
  );
  s.ns.setLinks(LINKS);
  s.timers.advance(2000);
  assert.deepEqual(timeline(s.sent), ['t=2000 2 advertisement/4']);
});

test('a link that comes back up starts the initial burst over; staying up changes nothing', () => {
  const s = setup(20);
  s.timers.draws = [0];
  s.mrdisc.sync(new Map([['eth0', ETH0]]), s.links());
  s.timers.advance(10_000); // burst at 0, 2000, 4000; the next near t=23750
  s.mrdisc.linksChanged(s.links());
  s.ns.setLinks(LINKS.map((l) => (l.index === ETH0 ? { ...l, up: false } : l)));
  s.mrdisc.linksChanged(s.links());
  s.sent.length = 0;
  s.ns.setLinks(LINKS);
  s.timers.draws = [0.5];
  s.mrdisc.linksChanged(s.links());
  s.timers.advance(6000);
  assert.deepEqual(timeline(s.sent), ['t=11000 2 advertisement/20', 't=13000 2 advertisement/20', 't=15000 2 advertisement/20']);
});

// ---- driven by the router ----

function routerSetup(conf: string, links: readonly LinkInfo[] = LINKS) {
  const ns = new FakeNetns(links);
  const kernel = new FakeKernel(ns);
  const timers = new FakeTimers();
  timers.fallback = 0;
  const log = memoryLogger();
  const router = new Router(kernel, log, { table: 0, cacheTimeout: 0, mrdiscInterval: 5 }, timers.clock, timers);
  router.start();
  kernel.onLinkChange(() => router.linksChanged());
  kernel.onMrdisc((h) => router.mrdiscHeard(h));
  const load = (text: string) => {
    const { directives } = parseConfig(text, 'test.conf');
    router.loadConfig(toIntents(directives));
  };
  load(conf);
  const types = () => kernel.mrdiscSent(true).map((m) => `${m.ifindex} ${m.message.type}`);
  return { ns, kernel, timers, log, router, load, types };
}

test('router: phyint mrdisc lines choose the links, with -m as the interval', () => {
  const r = routerSetup('phyint eth+ enable mrdisc\nphyint eth2 disable mrdisc\nphyint eth3 enable\n');
  assert.deepEqual(r.kernel.mrdiscSockets(), [ETH0, ETH1]);
  r.timers.advance(0);
  assert.deepEqual(r.types(), [`${ETH0} advertisement`, `${ETH1} advertisement`]);
  r.timers.advance(2000);
  const [m] = r.kernel.mrdiscSent();
  assert.deepEqual(m?.message, { type: 'advertisement', interval: 5, queryInterval: 0, robustness: 0 });
});

test('router: a reload that drops the mrdisc flag (or the phyint) sends a termination there only', () => {
  const r = routerSetup('phyint eth0 enable mrdisc\nphyint eth1 enable mrdisc\n');
  r.timers.advance(0);
  r.types();
  r.load('phyint eth0 enable mrdisc\nphyint eth1 enable\n');
  assert.deepEqual(r.types(), [`${ETH1} termination`]);
  assert.deepEqual(r.kernel.mrdiscSockets(), [ETH0]);
  r.load('mroute from eth0 group 225.1.2.3 to eth1\n');
  assert.deepEqual(r.types(), [`${ETH0} termination`]);
  r.load('phyint eth1 mrdisc\n');
  r.timers.advance(0);
  assert.deepEqual(r.types(), [`${ETH1} advertisement`], 'back again: the burst starts over');
});

test('router: an mrdisc interface that appears starts advertising; one deleted closes without a message', () => {
  const r = routerSetup('phyint eth9 enable mrdisc\n');
  assert.deepEqual(r.kernel.mrdiscSockets(), []);
  r.ns.setLinks([...LINKS, link('eth9', 12)]);
  assert.deepEqual(r.kernel.mrdiscSockets(), [12]);
  r.timers.advance(0);
  assert.deepEqual(r.types(), ['12 advertisement']);
  r.ns.setLinks(LINKS);
  assert.deepEqual(r.kernel.mrdiscSockets(), []);
  assert.deepEqual(r.types(), []);
});

test('router: a link event that brings an mrdisc link up restarts its burst', () => {
  const r = routerSetup('phyint eth0 enable mrdisc\n');
  r.timers.advance(10_000);
  r.types();
  r.ns.setLinks(LINKS.map((l) => (l.index === ETH0 ? { ...l, up: false } : l)));
  r.ns.setLinks(LINKS);
  r.timers.advance(0);
  assert.deepEqual(r.types(), [`${ETH0} advertisement`], 'at once (random draw 0), not 5 s later');
});

test('router: solicitations reach the schedule; stop terminates before the tables close', () => {
  const r = routerSetup('phyint eth0 enable mrdisc\n');
  r.timers.advance(5000);
  r.types();
  r.ns.hearMrdisc({ ifindex: ETH0, from: A('10.0.0.9'), message: { type: 'solicitation' } });
  r.timers.advance(MRDISC_TIMING.maxResponseDelay);
  assert.deepEqual(r.types(), [`${ETH0} advertisement`]);
  r.router.stop();
  assert.deepEqual(r.types(), [`${ETH0} termination`]);
  assert.deepEqual(r.kernel.mrdiscSockets(), []);
});

test('router: without IPv4 multicast routing there is no router to advertise', () => {
  const ns = new FakeNetns(LINKS);
  const owner = new FakeKernel(ns);
  owner.openMroute('inet', 0);
  const kernel = new FakeKernel(ns);
  const timers = new FakeTimers();
  const router = new Router(kernel, memoryLogger(), { table: 0, cacheTimeout: 0 }, timers.clock, timers);
  assert.equal(router.start().length, 1, 'IPv4 refused: the table has an owner');
  const { directives } = parseConfig('phyint eth0 enable mrdisc\n', 'test.conf');
  router.loadConfig(toIntents(directives));
  assert.deepEqual(kernel.mrdiscSockets(), []);
});
