// The daemon's event bus, its counters and the monitor's line formats, on the fake kernel:
// each event comes from where its thing happens, each counter rises when its thing happens.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/conf/parse.js';
import { toIntents } from '../../src/daemon/config.js';
import { Counters } from '../../src/daemon/counters.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { describeEvent, formatEvent } from '../../src/daemon/event-format.js';
import { EventBus, type DaemonEvent } from '../../src/daemon/events.js';
import { Router } from '../../src/daemon/router.js';
import { ipcRequest } from '../../src/ipc/client.js';
import { FakeKernel, FakeNetns } from '../../src/kernel/fake.js';
import { memoryLogger } from '../../src/log.js';
import { A, eth, link, LINKS } from '../lib/fixtures.js';
import { MemConfFs } from '../lib/mem-conf-fs.js';

function routerWith(conf: string, links = LINKS) {
  const ns = new FakeNetns(links);
  const fake = new FakeKernel(ns);
  const events = new EventBus();
  const counters = new Counters();
  let now = 0;
  const router = new Router(fake, memoryLogger(), { table: 0, cacheTimeout: 60, events, counters }, () => now);
  assert.deepEqual(router.start(), []);
  fake.onUpcall((b) => router.upcalls(b));
  fake.onLinkChange(() => router.linksChanged());
  const seen: DaemonEvent[] = [];
  const stop = events.listen((e) => seen.push(e));
  const load = (text: string) => router.loadConfig(toIntents(parseConfig(text, 'test.conf').directives));
  load(conf);
  return { ns, fake, router, events, counters, seen, stop, load, advance: (ms: number) => void (now += ms) };
}

const names = (seen: readonly DaemonEvent[]) => seen.map((e) => e.event);

test('the bus: idle until someone listens, idle again when the last one stops; a throwing listener harms no other', () => {
  const bus = new EventBus();
  assert.equal(bus.active, false);
  const got: string[] = [];
  const stopA = bus.listen(() => {
    throw new Error('listener bug');
  });
  const stopB = bus.listen((e) => got.push(e.event));
  assert.equal(bus.active, true);
  bus.emit({ event: 'reload-applied', routesAdded: 1, routesRemoved: 0, joinsChanged: 0 });
  assert.deepEqual(got, ['reload-applied']);
  stopA();
  assert.equal(bus.active, true);
  stopB();
  assert.equal(bus.active, false);
  bus.emit({ event: 'reload-refused', errors: 1, firstError: 'x' });
  assert.deepEqual(got, ['reload-applied']);
});

test('events from the apply path: VIFs made, a configured route installed, a flow learned, a stop filter, expiry and flush', () => {
  const r = routerWith('');
  r.load('mroute from eth0 group 225.1.0.0/16 to eth1 eth2\nmroute from eth0 source 10.0.0.1 group 225.9.9.9 to eth1\n');
  const vifs = r.seen.filter((e) => e.event === 'vif-added').map((e) => (e.event === 'vif-added' ? `${e.ifname}:${e.vif}` : ''));
  assert.deepEqual(vifs.sort(), ['eth0:0', 'eth0:0', 'eth1:1', 'eth1:1', 'eth2:2', 'eth2:2']); // a VIF and a MIF each
  assert.deepEqual(
    r.seen.find((e) => e.event === 'installed'),
    { event: 'installed', family: 'inet', source: '10.0.0.1', group: '225.9.9.9', iif: 'eth0', oifs: ['eth1'] },
  );
  r.seen.length = 0;

  r.ns.receive('inet', 2, A('10.0.0.2'), A('225.1.0.1'));
  assert.deepEqual(names(r.seen), ['upcall', 'learned', 'resolved']);
  assert.deepEqual(r.seen[1], {
    event: 'learned',
    family: 'inet',
    source: '10.0.0.2',
    group: '225.1.0.1',
    iif: 'eth0',
    oifs: ['eth1', 'eth2'],
  });
  r.seen.length = 0;
  r.ns.receive('inet', 2, A('10.0.0.3'), A('239.0.0.1'));
  assert.deepEqual(names(r.seen), ['upcall', 'stop-filter', 'resolved']);
  r.seen.length = 0;

  r.advance(61_000);
  assert.equal(r.router.expire(60), 2);
  assert.deepEqual(r.seen.map((e) => (e.event === 'expired' ? `${e.source} ${e.reason}` : e.event)).sort(), [
    '10.0.0.2 timeout',
    '10.0.0.3 timeout',
  ]);
  r.seen.length = 0;
  r.ns.receive('inet', 2, A('10.0.0.4'), A('225.1.0.1'));
  assert.equal(r.router.flush(), 1);
  assert.deepEqual(r.seen.at(-1), {
    event: 'expired',
    family: 'inet',
    source: '10.0.0.4',
    group: '225.1.0.1',
    iif: 'eth0',
    reason: 'flush',
  });

  const c = r.counters.snapshot();
  assert.equal(c.upcalls.nocache, 3);
  assert.equal(c.upcallsResolved, 3);
  assert.equal(c.routesLearned, 2);
  assert.equal(c.stopFilters, 1);
  assert.equal(c.routesExpired, 3);
});

test('a WRONGVIF move is one "moved" event with both interfaces, and counts as resolved and learned', () => {
  const r = routerWith('mroute from eth0 group 225.1.0.0/16 to eth2\nmroute from eth1 group 225.1.0.0/16 to eth2\n');
  r.ns.receive('inet', 2, A('10.0.0.2'), A('225.1.0.1'));
  r.seen.length = 0;
  r.ns.receive('inet', 3, A('10.0.0.2'), A('225.1.0.1'));
  assert.deepEqual(names(r.seen), ['upcall', 'moved', 'resolved']);
  assert.deepEqual(r.seen[1], {
    event: 'moved',
    family: 'inet',
    source: '10.0.0.2',
    group: '225.1.0.1',
    from: 'eth0',
    to: 'eth1',
    oifs: ['eth2'],
  });
  const c = r.counters.snapshot();
  assert.equal(c.upcalls.wrongvif, 1);
  assert.equal(c.upcallsResolved, 2);
  assert.equal(c.routesLearned, 2);
});

test('a pending rule is announced when its interface appears; its VIF too, and released when it goes', () => {
  const r = routerWith('mroute from eth0 source 10.0.0.1 group 225.1.2.3 to late0\n', [eth(0), eth(1)]);
  r.seen.length = 0;
  r.ns.setLinks([eth(0), eth(1), link('late0', 9)]);
  assert.ok(r.seen.some((e) => e.event === 'vif-added' && e.ifname === 'late0' && e.family === 'inet'));
  assert.deepEqual(
    r.seen.find((e) => e.event === 'pending-activated'),
    { event: 'pending-activated', kind: 'mroute', iif: 'eth0', source: '10.0.0.1', group: '225.1.2.3', oifs: ['late0'] },
  );
  r.seen.length = 0;
  r.ns.setLinks([eth(0), eth(1)]);
  assert.ok(r.seen.some((e) => e.event === 'vif-released' && e.ifname === 'late0'));
});

test('a new TTL threshold the kernel refuses: the VIF is gone, and released is announced', () => {
  const routes = 'mroute from eth0 group 225.1.0.0/16 to eth1\n';
  const r = routerWith(routes);
  r.seen.length = 0;
  r.fake.failNext('addVif', 'ENOBUFS');
  r.load(`phyint eth1 enable ttl-threshold 5\n${routes}`);
  assert.equal(
    r.fake.vifs('inet').some((v) => v.vif === 1),
    false,
    'the kernel has no VIF 1',
  );
  assert.deepEqual(
    r.seen.filter((e) => e.event === 'vif-released'),
    [{ event: 'vif-released', family: 'inet', ifname: 'eth1', vif: 1 }],
  );
});

test('nothing is built for the bus while nobody listens, and counters still count', () => {
  const r = routerWith('mroute from eth0 group 225.1.0.0/16 to eth1\n');
  r.stop();
  assert.equal(r.events.active, false);
  let built = 0;
  const emit = r.events.emit.bind(r.events);
  r.events.emit = (e) => {
    built++;
    emit(e);
  };
  r.ns.receive('inet', 2, A('10.0.0.2'), A('225.1.0.1'));
  r.load('');
  assert.equal(built, 0);
  assert.equal(r.counters.snapshot().routesLearned, 1);
});

test('text and JSON lines: time first, a short phrase or the event with its fields', () => {
  const t = new Date('2026-11-30T19:00:00.123Z');
  const e: DaemonEvent = {
    event: 'learned',
    family: 'inet',
    source: '192.0.2.1',
    group: '239.1.1.1',
    iif: 'eth0',
    oifs: ['eth1', 'eth2'],
  };
  assert.equal(formatEvent(e, false, t), '2026-11-30T19:00:00.123Z learned (192.0.2.1, 239.1.1.1) from eth0 to eth1 eth2\n');
  assert.equal(
    formatEvent(e, true, t),
    '{"time":"2026-11-30T19:00:00.123Z","event":"learned","family":"inet","source":"192.0.2.1","group":"239.1.1.1","iif":"eth0","oifs":["eth1","eth2"]}\n',
  );
  assert.equal(describeEvent({ event: 'vif-added', family: 'inet6', ifname: 'eth1', vif: 3 }), 'MIF 3 added for eth1');
  assert.equal(
    describeEvent({
      event: 'moved',
      family: 'inet',
      source: '10.0.0.1',
      group: '225.1.1.1',
      from: 'eth0',
      to: 'eth1',
      oifs: ['eth2'],
    }),
    'moved (10.0.0.1, 225.1.1.1) inbound eth0 -> eth1, to eth2',
  );
  assert.equal(
    describeEvent({ event: 'reload-applied', routesAdded: 1, routesRemoved: 2, joinsChanged: 0 }),
    'reload applied: 1 route added, 2 removed, 0 joins changed',
  );
  assert.equal(
    describeEvent({ event: 'reload-refused', errors: 1, firstError: 'a.conf:2: error: bad\nthing' }),
    'reload refused: 1 error, first: a.conf:2: error: bad\nthing',
  );
  // A line stays one line, whatever the error text holds.
  assert.equal(formatEvent({ event: 'reload-refused', errors: 1, firstError: 'a\nb' }, false, t).split('\n').length, 2);
  assert.equal(describeEvent({ event: 'lost', count: 5 }), 'lost 5 events: this monitor read too slowly');
});

test('the daemon counts reloads by result and IPC commands by name and result; events tell reloads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smct-events-'));
  const files = new Map([['/etc/test.conf', 'mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1\n']]);
  const fake = new FakeKernel(new FakeNetns([eth(0), eth(1)]));
  const sockFile = join(dir, 'test.sock');
  const opts = { confFile: '/etc/test.conf', pidFile: join(dir, 'test.pid'), sockFile, table: 0, cacheTimeout: 0 };
  const d = new Daemon(fake, memoryLogger(), opts, new MemConfFs(files));
  try {
    assert.equal(await d.start(), undefined);
    const seen: DaemonEvent[] = [];
    d.events.listen((e) => seen.push(e));
    const target = { path: sockFile, explicitPath: true };
    const nul = Buffer.alloc(1);
    assert.deepEqual(await ipcRequest(target, 'H', []), nul);
    files.set('/etc/test.conf', 'mroute from eth0 group 10.0.0.1 to eth1\n');
    assert.notDeepEqual(await ipcRequest(target, 'H', []), nul);
    await ipcRequest(target, 's', []);
    await ipcRequest(target, 'a', ['eth0', '10.0.0.9', '225.1.2.3', 'eth1']);
    await ipcRequest(target, 'a', ['nosuch0', '10.0.0.9', '225.1.2.3', 'eth1']);
    await ipcRequest(target, 'Q', []);
    const c = d.counters();
    assert.deepEqual(c.reloads, { applied: 1, refused: 1 });
    assert.deepEqual(c.ipc.reload, { ok: 1, failed: 1 });
    assert.deepEqual(c.ipc.show, { ok: 1, failed: 0 });
    assert.deepEqual(c.ipc.add, { ok: 1, failed: 1 });
    assert.deepEqual(c.ipc.other, { ok: 0, failed: 1 });
    assert.deepEqual(
      seen.filter((e) => e.event.startsWith('reload')),
      [
        { event: 'reload-applied', routesAdded: 0, routesRemoved: 0, joinsChanged: 0 },
        {
          event: 'reload-refused',
          errors: 1,
          firstError: '/etc/test.conf:1: error: mroute: group 10.0.0.1 is not a multicast address',
        },
      ],
    );
    // The snapshot is a copy: it does not move under its reader.
    await ipcRequest(target, 'H', []);
    assert.equal(c.reloads.refused, 1);
    assert.equal(d.counters().reloads.refused, 2);
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
