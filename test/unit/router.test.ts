// The router on the fake kernel: what reaches the kernel for each kind of
// rule, upcall, reload, command and link event.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/conf/parse.js';
import { toIntents } from '../../src/daemon/config.js';
import { Router, type RouterOptions } from '../../src/daemon/router.js';
import { FakeKernel, FakeNetns } from '../../src/kernel/fake.js';
import type { Kernel, Upcall } from '../../src/kernel/types.js';
import { memoryLogger } from '../../src/log.js';
import { formatAddr, type Family } from '../../src/model/addr.js';
import type { RouteIntent } from '../../src/model/intents.js';
import { A, link, LINKS, P } from '../lib/fixtures.js';
import { recordKernel } from '../lib/fake-daemon.js';
import { ok } from '../../src/result.js';

/** Counts kernel calls by method name, to prove what a change did NOT touch. */
function spy(k: FakeKernel): { kernel: Kernel; calls: Map<string, number>; reset: () => void } {
  const calls = new Map<string, number>();
  const kernel = recordKernel(k, (name) => calls.set(name, (calls.get(name) ?? 0) + 1));
  return { kernel, calls, reset: () => calls.clear() };
}

function setup(conf: string, opts: Partial<RouterOptions> = {}, ns = new FakeNetns(LINKS)) {
  const fake = new FakeKernel(ns);
  const s = spy(fake);
  const log = memoryLogger();
  let now = 0;
  const router = new Router(s.kernel, log, { table: 0, cacheTimeout: 60, ...opts }, () => now);
  assert.deepEqual(router.start(), []);
  fake.onUpcall((b) => router.upcalls(b));
  fake.onLinkChange(() => router.linksChanged());
  const load = (text: string) => {
    const { directives, diagnostics } = parseConfig(text, 'test.conf');
    assert.deepEqual(
      diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    router.loadConfig(toIntents(directives));
  };
  load(conf);
  return { fake, ns, router, log, calls: s.calls, resetCalls: s.reset, load, advance: (ms: number) => void (now += ms) };
}

function mfcOf(fake: FakeKernel, family: Family = 'inet') {
  return fake.mfcs(family).map((m) => {
    const oifs: number[] = [];
    m.ttls.forEach((t, i) => t > 0 && oifs.push(i));
    return { sg: `${formatAddr(m.source)},${formatAddr(m.group)}`, iif: m.iif, oifs, ttls: m.ttls };
  });
}

const vifOf = (fake: FakeKernel, ifindex: number, family: Family = 'inet') =>
  fake.vifs(family).find((v) => v.ifindex === ifindex)?.vif;

/** An IPv4 NOCACHE upcall: a new flow from `source` to `group` on VIF `vif`. */
const nocache = (vif: number, source: string, group: string): Upcall => ({
  family: 'inet',
  kind: 'nocache',
  type: 1,
  vif,
  source: A(source),
  group: A(group),
});

function routeIntent(iif: string, source: string | undefined, group: string, oifs: string[]): RouteIntent {
  return {
    iif,
    oifs,
    origin: 'ipc',
    source: source ? P(source) : undefined,
    group: P(group),
    text: { source, group },
  };
}

test('(S,G) rules are installed at start; VIFs/MIFs exist only for referenced interfaces', () => {
  const { fake } = setup('mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1 eth2\n');
  const mfc = mfcOf(fake);
  assert.equal(mfc.length, 1);
  assert.equal(mfc[0]!.sg, '10.0.0.1,225.1.2.3');
  assert.equal(mfc[0]!.iif, vifOf(fake, 2));
  assert.deepEqual(mfc[0]!.oifs.sort(), [vifOf(fake, 3), vifOf(fake, 4)].sort());
  assert.deepEqual(
    fake.vifs('inet').map((v) => v.ifindex),
    [2, 3, 4],
  );
  assert.deepEqual(
    fake.vifs('inet6').map((v) => v.ifindex),
    [2, 3, 4],
  );
});

test('(*,G/LEN) learns each new flow on its upcall; a flow matching nothing gets a stop filter', () => {
  const { fake, ns } = setup('mroute from eth0 group 225.1.0.0/16 to eth1\n');
  assert.equal(mfcOf(fake).length, 0);
  ns.receive('inet', 2, A('192.0.2.7'), A('225.1.9.9'));
  ns.receive('inet', 2, A('192.0.2.7'), A('226.0.0.1'));
  ns.receive('inet', 3, A('192.0.2.7'), A('225.1.9.9'));
  const mfc = mfcOf(fake);
  assert.deepEqual(
    mfc.map((m) => [m.sg, m.iif, m.oifs]),
    [
      ['192.0.2.7,225.1.9.9', vifOf(fake, 2), [vifOf(fake, 3)]],
      ['192.0.2.7,226.0.0.1', vifOf(fake, 2), []],
    ],
  );
});

test('a burst of 1,000 new sources in one batch all end up in the MFC', () => {
  const { fake, router } = setup('mroute from eth0 group 225.1.0.0/16 to eth1 eth2\n');
  const vif = vifOf(fake, 2)!;
  const batch = Array.from({ length: 1000 }, (_, i) => nocache(vif, `10.9.${i >> 8}.${i & 255}`, '225.1.0.1'));
  // Duplicates in the same burst are resolved once.
  assert.equal(fake.emitUpcalls([...batch, ...batch.slice(0, 10)]), 1010);
  const mfc = mfcOf(fake);
  assert.equal(mfc.length, 1000);
  assert.ok(mfc.every((m) => m.oifs.length === 2));
  assert.equal(router.stats().learned, 1000);
});

test('ttl-threshold of an outbound phyint is the TTL the kernel gets for it', () => {
  const { fake } = setup('phyint eth1 ttl-threshold 7\nmroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1 eth2\n');
  const m = mfcOf(fake)[0]!;
  assert.equal(m.ttls[vifOf(fake, 3)!], 7);
  assert.equal(m.ttls[vifOf(fake, 4)!], 1);
  assert.equal(fake.vifs('inet').find((v) => v.ifindex === 3)!.threshold, 7);
});

test('IPv6 (S,G) and (*,G) use MIFs and the IPv6 MFC', () => {
  const { fake, ns } = setup(
    'mroute from eth0 source fd00::1 group ff05::1:3 to eth1\nmroute from eth0 group ff05::1:4 to eth2\n',
  );
  assert.deepEqual(
    mfcOf(fake, 'inet6').map((m) => m.sg),
    ['fd00::1,ff05::1:3'],
  );
  ns.receive('inet6', 2, A('fd00::9'), A('ff05::1:4'));
  const learned = mfcOf(fake, 'inet6').find((m) => m.sg === 'fd00::9,ff05::1:4')!;
  assert.deepEqual(learned.oifs, [vifOf(fake, 4, 'inet6')]);
  assert.equal(mfcOf(fake, 'inet').length, 0);
});

test('reload applies only differences: unchanged routes get no kernel call, runtime additions go', () => {
  const conf = Array.from({ length: 50 }, (_, i) => `mroute from eth0 source 10.0.0.${i + 1} group 225.1.2.3 to eth1`).join('\n');
  const { fake, router, calls, resetCalls, load } = setup(conf);
  assert.equal(mfcOf(fake).length, 50);
  assert.deepEqual(
    router.command({ op: 'add', intent: routeIntent('eth0', '10.5.5.5', '225.9.9.9', ['eth2']) }),
    ok({ warnings: [] }),
  );
  assert.equal(mfcOf(fake).length, 51);

  resetCalls();
  const edited =
    conf
      .replace('source 10.0.0.1 group 225.1.2.3 to eth1', 'source 10.0.0.1 group 225.1.2.3 to eth1 eth2')
      .replace('mroute from eth0 source 10.0.0.2 group 225.1.2.3 to eth1', '') +
    '\nmroute from eth0 source 10.7.7.7 group 225.1.2.3 to eth1';
  load(edited);
  // One changed, one added (both addMfc); one removed plus the runtime route (both delMfc).
  assert.equal(calls.get('addMfc'), 2);
  assert.equal(calls.get('delMfc'), 2);
  assert.equal(calls.get('addVif') ?? 0, 0);
  const sgs = mfcOf(fake).map((m) => m.sg);
  assert.equal(sgs.length, 50);
  assert.ok(!sgs.includes('10.5.5.5,225.9.9.9'));
  assert.ok(sgs.includes('10.7.7.7,225.1.2.3'));

  resetCalls();
  load(edited);
  assert.deepEqual([...calls.keys()], ['links'], 'a reload of the same file only re-reads the interfaces');
});

test('reload releases VIFs no longer referenced and keeps the others', () => {
  const { fake, load } = setup('mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1 eth2\n');
  load('mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1\n');
  assert.deepEqual(
    fake.vifs('inet').map((v) => v.ifindex),
    [2, 3],
  );
  assert.deepEqual(mfcOf(fake)[0]!.oifs, [vifOf(fake, 3)]);
});

test('IPC add merges outbound interfaces; remove with OIFs keeps a stop filter; remove without deletes', () => {
  const { fake, router } = setup('');
  const add = (oifs: string[]) => router.command({ op: 'add', intent: routeIntent('eth0', '10.0.0.1', '225.1.2.3', oifs) });
  const del = (oifs: string[]) => router.command({ op: 'remove', intent: routeIntent('eth0', '10.0.0.1', '225.1.2.3', oifs) });
  assert.equal(add(['eth1']).ok, true);
  assert.equal(add(['eth2']).ok, true);
  assert.equal(mfcOf(fake)[0]!.oifs.length, 2);
  assert.equal(del(['eth1', 'eth2']).ok, true);
  assert.deepEqual(
    mfcOf(fake).map((m) => m.oifs),
    [[]],
  );
  assert.equal(del([]).ok, true);
  assert.equal(mfcOf(fake).length, 0);
  const again = del([]);
  assert.equal(again.ok, false);
  assert.match(!again.ok ? again.error : '', /No such route/);
});

test('an unknown inbound interface is refused by name and changes nothing', () => {
  const { fake, router } = setup('mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1\n');
  const r = router.command({ op: 'add', intent: routeIntent('eth9', '10.0.0.1', '225.1.2.4', ['eth1']) });
  assert.deepEqual(r, { ok: false, error: 'Unknown inbound interface eth9' });
  assert.equal(mfcOf(fake).length, 1);
});

test('joins: ASM and SSM, duplicates refused, leave of an unknown group refused', () => {
  const { fake, router } = setup('mgroup from eth0 group 225.1.2.3\n');
  assert.equal(fake.memberships().length, 1);
  const j = (src: string | undefined, grp: string) => ({
    iif: 'eth1',
    source: src ? P(src) : undefined,
    group: P(grp),
    text: { source: src, group: grp },
    origin: 'ipc',
  });
  assert.equal(router.command({ op: 'join', intent: j('10.0.0.1', '232.1.1.1') }).ok, true);
  const ssm = fake.memberships().find((m) => m.source);
  assert.equal(ssm && formatAddr(ssm.source!), '10.0.0.1');
  const dup = router.command({ op: 'join', intent: j('10.0.0.1', '232.1.1.1') });
  assert.equal(dup.ok, false);
  assert.equal(router.command({ op: 'leave', intent: j('10.0.0.1', '232.1.1.1') }).ok, true);
  assert.equal(router.command({ op: 'leave', intent: j('10.0.0.1', '232.1.1.1') }).ok, false);
  assert.equal(fake.memberships().length, 1);
  router.stop();
  assert.equal(fake.memberships().length, 0);
});

test('the 33rd interface gets a clear error: the kernel has 32 VIFs', () => {
  const many = [link('in0', 2), ...Array.from({ length: 33 }, (_, i) => link(`out${i}`, 10 + i))];
  const ns = new FakeNetns(many);
  const { router, fake } = setup('', {}, ns);
  const r1 = router.command({
    op: 'add',
    intent: routeIntent(
      'in0',
      '10.0.0.1',
      '225.1.2.3',
      Array.from({ length: 31 }, (_, i) => `out${i}`),
    ),
  });
  assert.equal(r1.ok, true);
  const r2 = router.command({ op: 'add', intent: routeIntent('in0', '10.0.0.1', '225.1.2.3', ['out31']) });
  assert.equal(r2.ok, false);
  assert.match(!r2.ok ? r2.error : '', /No free VIF for out31: all 32 are in use/);
  assert.equal(fake.vifs('inet').length, 32);
  assert.equal(mfcOf(fake)[0]!.oifs.length, 31);
});

test('-c expiry removes learned routes whose counters stood still, keeps busy and configured ones', () => {
  const { fake, ns, router, advance } = setup(
    'mroute from eth0 group 225.1.0.0/16 to eth1\nmroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1\n',
  );
  ns.receive('inet', 2, A('10.0.0.2'), A('225.1.0.1'));
  ns.receive('inet', 2, A('10.0.0.3'), A('225.1.0.1'));
  advance(60_000);
  ns.receive('inet', 2, A('10.0.0.2'), A('225.1.0.1'), 5, 100);
  ns.receive('inet', 2, A('10.0.0.3'), A('225.1.0.1'), 5, 100);
  assert.equal(router.expire(60), 0);
  advance(60_000);
  ns.receive('inet', 2, A('10.0.0.2'), A('225.1.0.1'), 5, 100);
  assert.equal(router.expire(60), 1);
  assert.deepEqual(
    mfcOf(fake)
      .map((m) => m.sg)
      .sort(),
    ['10.0.0.1,225.1.2.3', '10.0.0.2,225.1.0.1'],
  );
  assert.equal(router.flush(), 1);
  assert.deepEqual(
    mfcOf(fake).map((m) => m.sg),
    ['10.0.0.1,225.1.2.3'],
  );
});

test('WRONGVIF moves a flow to the interface a (*,G) rule covers', () => {
  const { fake, ns } = setup('mroute from eth0 group 225.1.2.3 to eth2\nmroute from eth1 group 225.1.2.3 to eth2\n');
  ns.receive('inet', 2, A('10.0.0.2'), A('225.1.2.3'));
  assert.equal(mfcOf(fake)[0]!.iif, vifOf(fake, 2));
  ns.receive('inet', 3, A('10.0.0.2'), A('225.1.2.3'));
  assert.equal(mfcOf(fake)[0]!.iif, vifOf(fake, 3));
});

test('onLearned hears of flows learned from templates that forward, and of WRONGVIF moves; not of stop filters or (S,G) rules', () => {
  const heard: string[] = [];
  const { ns } = setup(
    [
      'mroute from eth0 group 225.1.0.0/16 to eth2',
      'mroute from eth1 group 225.1.0.0/16 to eth2',
      'mroute from eth0 source 10.0.0.5 group 225.1.2.3 to eth2',
      'mroute from eth0 group ff05::1:0/112 to eth1',
      '',
    ].join('\n'),
    { onLearned: (r) => heard.push(`${r.family} ${formatAddr(r.source)},${formatAddr(r.group)} ${r.iif}`) },
  );
  ns.receive('inet', 2, A('10.0.0.2'), A('225.1.9.9'));
  ns.receive('inet', 2, A('10.0.0.2'), A('225.1.9.9')); // resolved already: no second upcall
  ns.receive('inet', 2, A('10.0.0.2'), A('226.0.0.1')); // stop filter
  ns.receive('inet', 2, A('10.0.0.5'), A('225.1.2.3')); // the (S,G) rule's own flow
  ns.receive('inet', 3, A('10.0.0.2'), A('225.1.9.9')); // WRONGVIF: moved to eth1
  ns.receive('inet6', 2, A('fd00::2'), A('ff05::1:7'));
  assert.deepEqual(heard, ['inet 10.0.0.2,225.1.9.9 eth0', 'inet 10.0.0.2,225.1.9.9 eth1', 'inet6 fd00::2,ff05::1:7 eth0']);
});

test('a route waiting for its interface is applied when the interface appears, and removed when it goes', () => {
  const { fake, ns, router } = setup(
    'mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth9\nmgroup from eth9 group 225.4.4.4\n',
  );
  assert.equal(router.showPending().length, 2);
  assert.deepEqual(mfcOf(fake)[0]!.oifs, []);
  ns.setLinks([...LINKS, link('eth9', 20)]);
  assert.equal(router.showPending().length, 0);
  assert.deepEqual(mfcOf(fake)[0]!.oifs, [vifOf(fake, 20)]);
  assert.equal(fake.memberships().length, 1);
  ns.setLinks(LINKS);
  assert.deepEqual(mfcOf(fake)[0]!.oifs, []);
  assert.equal(router.showPending().length, 2);
});

test('a second router on another table coexists; the same table is refused with EADDRINUSE', () => {
  const ns = new FakeNetns(LINKS);
  setup('mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1\n', { table: 0 }, ns);
  const other = new FakeKernel(ns);
  const r2 = new Router(other, memoryLogger(), { table: 7, cacheTimeout: 0 });
  assert.deepEqual(r2.start(), []);
  const third = new Router(new FakeKernel(ns), memoryLogger(), { table: 7, cacheTimeout: 0 });
  assert.deepEqual(
    third.start().map((e) => e.code),
    ['EADDRINUSE', 'EADDRINUSE'],
  );
});

test('a problem is logged once, not again at every link event; a reload reports it again', () => {
  const { ns, log, load } = setup('mroute from eth0 group 225.1.2.3 to lo\n');
  const count = () => log.lines.filter((l) => /lo is not multicast capable/.test(l)).length;
  assert.equal(count(), 1);
  ns.setLinks([...LINKS, link('eth7', 30)]);
  ns.setLinks(LINKS);
  assert.equal(count(), 1);
  load('mroute from eth0 group 225.1.2.3 to lo\n');
  assert.equal(count(), 2);
});

test('runtime commands survive link events: the compacted command log rebuilds the same kernel state after every step', () => {
  const { fake, ns, router } = setup(
    [
      'mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1 eth2 eth3',
      'mroute from eth0 group 225.9.0.0/16 to eth2',
      'mgroup from eth0 group 225.7.7.7',
      '',
    ].join('\n'),
  );
  // Listing order may differ after a replay (things come back in the order last touched): compare sorted.
  const sorted = (x: unknown[]) =>
    x.map((v) => JSON.stringify(v, (_k, w: unknown) => (typeof w === 'bigint' ? w.toString() : w))).sort();
  const snapshot = () =>
    JSON.stringify({
      mfc: mfcOf(fake)
        .map((m) => [m.sg, m.iif, m.oifs])
        .sort(),
      joins: fake
        .memberships()
        .map((m) => formatAddr(m.group))
        .sort(),
      rules: sorted([...router.showRoutes('brief').sgRules, ...router.showRoutes('brief').templates]),
      groups: sorted([...router.showGroups().conf]),
    });
  // A deterministic pseudo-random walk over adds, removes, joins and leaves.
  let seed = 42;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
  const oifNames = ['eth1', 'eth2', 'eth3'];
  const groups = ['225.1.2.3', '225.1.2.4', '225.9.0.0/16'];
  let extra = false;
  for (let i = 0; i < 300; i++) {
    const group = groups[rnd(groups.length)]!;
    const source = group.includes('/') ? undefined : '10.0.0.1';
    const oifs = [oifNames[rnd(3)]!];
    const kind = rnd(5);
    if (kind === 0) router.command({ op: 'add', intent: routeIntent('eth0', source, group, oifs) });
    else if (kind <= 2) router.command({ op: 'remove', intent: routeIntent('eth0', source, group, rnd(12) === 0 ? [] : oifs) });
    else {
      const g = `225.7.7.${7 + rnd(3)}`;
      const intent = { iif: 'eth0', group: P(g), text: { group: g }, origin: 'ipc' };
      router.command({ op: kind === 3 ? 'join' : 'leave', intent });
    }
    const before = snapshot();
    extra = !extra;
    ns.setLinks(extra ? [...LINKS, link('eth9', 40)] : LINKS);
    assert.equal(snapshot(), before, `after step ${i}`);
  }
});

test('a link event that changes nothing the router uses (state, MTU) costs no re-resolve', () => {
  const { ns, router, calls, resetCalls } = setup('mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth9\n');
  // Each re-resolve rebuilds the pending list, so its identity tells whether one ran.
  const pending = router.showPending();
  resetCalls();
  ns.setLinks(LINKS.map((l) => ({ ...l, up: !l.up })));
  assert.deepEqual([...calls.keys()], ['links']);
  assert.equal(router.showPending(), pending);
  ns.setLinks([...LINKS, link('eth9', 40)]);
  assert.notEqual(router.showPending(), pending);
  assert.equal(router.showPending().length, 0);
});

test('a join the kernel refuses changes nothing: no half-made entry, a retry is not "Already joined"', () => {
  const { fake, router } = setup('');
  const intent = { iif: 'eth1', group: P('225.5.5.0/31'), text: { group: '225.5.5.0/31' }, origin: 'ipc' };
  const realJoin = fake.join.bind(fake);
  let calls = 0;
  fake.join = (ifindex, group, source) => {
    if (++calls === 2) throw new Error('join: ENOBUFS');
    realJoin(ifindex, group, source);
  };
  const r = router.command({ op: 'join', intent });
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.error : '', /ENOBUFS/);
  assert.equal(fake.memberships().length, 0, 'the first address of the range was left again');
  assert.deepEqual(router.showGroups().conf, []);
  fake.join = realJoin;
  assert.equal(router.command({ op: 'join', intent }).ok, true);
  assert.equal(fake.memberships().length, 2);
});

test('overlapping joins: an address wanted by two entries stays joined until both are left', () => {
  const { fake, router } = setup('');
  const j = (g: string) => ({ iif: 'eth1', group: P(g), text: { group: g }, origin: 'ipc' });
  assert.equal(router.command({ op: 'join', intent: j('225.1.1.0/30') }).ok, true);
  assert.equal(router.command({ op: 'join', intent: j('225.1.1.1') }).ok, true);
  const joined = () =>
    fake
      .memberships()
      .map((m) => formatAddr(m.group))
      .sort();
  assert.deepEqual(joined(), ['225.1.1.0', '225.1.1.1', '225.1.1.2', '225.1.1.3']);
  assert.equal(router.command({ op: 'leave', intent: j('225.1.1.0/30') }).ok, true);
  assert.deepEqual(joined(), ['225.1.1.1']);
  assert.equal(router.command({ op: 'leave', intent: j('225.1.1.1') }).ok, true);
  assert.deepEqual(joined(), []);
});

test('a reload that changes a ttl-threshold keeps the VIF number; only routes out of it get the new TTL', () => {
  const { fake, load, calls, resetCalls } = setup(
    'phyint eth1 ttl-threshold 1\n' +
      'mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1 eth2\n' +
      'mroute from eth1 source 10.0.0.2 group 225.1.2.4 to eth2\n',
  );
  const before = fake.vifs('inet').map((v) => [v.ifindex, v.vif]);
  const eth1 = vifOf(fake, 3);
  assert.notEqual(eth1, undefined);
  resetCalls();
  load(
    'phyint eth1 ttl-threshold 3\n' +
      'mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1 eth2\n' +
      'mroute from eth1 source 10.0.0.2 group 225.1.2.4 to eth2\n',
  );
  assert.deepEqual(
    fake.vifs('inet').map((v) => [v.ifindex, v.vif]),
    before,
    'every interface keeps its VIF number',
  );
  assert.equal(fake.vifs('inet').find((v) => v.ifindex === 3)?.threshold, 3);
  const out = mfcOf(fake).find((m) => m.sg === '10.0.0.1,225.1.2.3');
  assert.equal(out?.ttls[eth1 ?? -1], 3, 'the route out of eth1 carries the new threshold');
  // One MFC update (the route out of eth1); the route in from eth1 is left alone.
  assert.equal(calls.get('addMfc'), 1);
  assert.equal(calls.get('delMfc'), undefined);
  assert.equal(mfcOf(fake).length, 2);
});

test('an add whose inbound interface cannot be used says so, not what is wrong with an outbound one', () => {
  // Found by the IPC fuzz test: the first problem listed was about eth3.
  const { router } = setup('phyint eth3 disable\n');
  const r = router.command({ op: 'add', intent: routeIntent('lo', undefined, '225.1.2.3', ['eth+']) });
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.error, 'inbound lo is not multicast capable');
});

test('a storm of 3x --max-learned new sources: never more learned entries than the cap, configured ones stay, the stalest go first', () => {
  const cap = 100;
  const { fake, router, log, advance } = setup(
    'mroute from eth0 group 225.1.0.0/16 to eth1\nmroute from eth0 source 10.0.0.1 group 226.1.1.1 to eth2\n',
    { maxLearned: cap },
  );
  const vif = vifOf(fake, 2)!;
  const upcall = (i: number, group: string) => nocache(vif, `10.9.${i >> 8}.${i & 255}`, group);
  // Half forward (a template covers them), half are stop filters (nothing does).
  const first = Array.from({ length: cap }, (_, i) => upcall(i, i % 2 ? '225.1.0.1' : '227.0.0.1'));
  fake.emitUpcalls(first);
  assert.equal(router.stats().learned, cap);
  // Flows 0..9 stay active through the storm: each expiry check sees their counts move.
  let packets = 0n;
  const tick = () => {
    packets++;
    for (const u of first.slice(0, 10)) fake.setCounters('inet', u.source, u.group, { packets, bytes: 0n, wrongIf: 0n });
    advance(1000);
    router.expire(60);
  };
  for (let i = cap; i < 3 * cap; i++) {
    if (i % 50 === 0) tick();
    fake.emitUpcalls([upcall(i, i % 2 ? '225.1.0.1' : '227.0.0.1')]);
    assert.ok(router.stats().learned <= cap);
  }
  const sgs = new Set(mfcOf(fake).map((m) => m.sg));
  assert.ok(sgs.has('10.0.0.1,226.1.1.1'), 'the configured (S,G) stays');
  assert.equal(sgs.size, cap + 1);
  assert.equal(router.stats().learned, cap);
  // The idle flows 10..99 went first, then the oldest of the storm; the active ten outlived them.
  for (const u of first.slice(0, 10)) assert.ok(sgs.has(`${formatAddr(u.source)},${formatAddr(u.group)}`));
  for (const u of first.slice(10)) assert.ok(!sgs.has(`${formatAddr(u.source)},${formatAddr(u.group)}`));
  // The newest 90 of the storm fill the rest.
  for (let i = 3 * cap - 90; i < 3 * cap; i++) {
    const u = upcall(i, i % 2 ? '225.1.0.1' : '227.0.0.1');
    assert.ok(sgs.has(`${formatAddr(u.source)},${formatAddr(u.group)}`));
  }
  // One line for the storm, with the count, not one per eviction.
  const lines = log.lines.filter((l) => l.includes('Learned route limit'));
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /limit 100 reached: removed 1 /);
  advance(60_000);
  fake.emitUpcalls([upcall(1000, '225.1.0.1')]);
  const later = log.lines.filter((l) => l.includes('Learned route limit'));
  assert.equal(later.length, 2);
  assert.match(later[1]!, /removed 200 /);
});

test('a reload with the same intents reuses their rules; after an interface change they are resolved again', () => {
  const text =
    'mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1 eth2\nmroute from eth0 source 10.0.0.2 group 225.1.2.3 to eth2\n';
  const { fake, ns, router, calls, resetCalls } = setup('');
  const intents = toIntents(parseConfig(text, 'test.conf').directives);
  router.loadConfig(intents);
  const shown = () => router.showRoutes('brief').sgRules.map((r) => `${r.iif}>${r.oifs.join(',')}`);
  assert.deepEqual(shown(), ['eth0>eth1,eth2', 'eth0>eth2']);
  resetCalls();
  router.loadConfig(intents);
  assert.deepEqual([...calls.keys()], ['links']);

  // eth2 goes: the rules resolved with it must not come back from the memo.
  ns.setLinks(LINKS.filter((l) => l.name !== 'eth2'));
  router.loadConfig(intents);
  assert.deepEqual(shown(), ['eth0>eth1', 'eth0>']);
  assert.deepEqual(
    mfcOf(fake).map((m) => m.oifs),
    [[vifOf(fake, 3)], []],
  );
  assert.equal(router.showPending().length, 2);
  ns.setLinks(LINKS);
  router.loadConfig(intents);
  assert.deepEqual(shown(), ['eth0>eth1,eth2', 'eth0>eth2']);
  assert.equal(router.showPending().length, 0);
});

test('a VIF made after start-up reaches every route through its interface', () => {
  // eth9 is absent at start-up: the route waits for it, then gets it as its interface appears.
  const { fake, ns } = setup(
    Array.from({ length: 20 }, (_, i) => `mroute from eth0 source 10.0.0.${i + 1} group 225.1.2.3 to eth1 eth9`).join('\n'),
  );
  assert.ok(mfcOf(fake).every((m) => m.oifs.length === 1));
  ns.setLinks([...LINKS, link('eth9', 20)]);
  assert.equal(mfcOf(fake).length, 20);
  const vif9 = vifOf(fake, 20);
  assert.notEqual(vif9, undefined);
  assert.ok(mfcOf(fake).every((m) => vif9 !== undefined && m.oifs.includes(vif9) && m.oifs.length === 2));
  ns.setLinks(LINKS);
  assert.ok(mfcOf(fake).every((m) => m.oifs.length === 1));
});

test('an upcall whose install the kernel refuses is not counted as resolved, even for a flow installed elsewhere before', () => {
  const { fake, router } = setup('mroute from eth0 group 225.1.0.0/16 to eth2\nmroute from eth1 group 225.1.0.0/16 to eth2\n');
  const newFlowOn = (ifindex: number) => nocache(vifOf(fake, ifindex)!, '10.9.0.1', '225.1.0.1');
  fake.emitUpcalls([newFlowOn(2)]);
  assert.equal(router.counters.upcallsResolved, 1);
  assert.equal(router.counters.routesLearned, 1);
  // The same flow now comes in as new on eth1, and the kernel refuses the entry from there.
  fake.failNext('addMfc', 'ENOBUFS');
  fake.emitUpcalls([newFlowOn(3)]);
  assert.equal(router.counters.upcallsResolved, 1);
  assert.equal(router.counters.routesLearned, 1);
  assert.deepEqual(
    mfcOf(fake).map((m) => m.iif),
    [vifOf(fake, 2)],
  );
});
