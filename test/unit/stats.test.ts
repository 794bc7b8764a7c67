// The statistics snapshot (daemon/stats.ts) read off a Router on the fake kernel: routes by kind with
// their counters, VIF/MIF counters, counts, and the JSON rule for counters past 2^53.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/conf/parse.js';
import { toIntents } from '../../src/daemon/config.js';
import { Router } from '../../src/daemon/router.js';
import { statsJson, statsSnapshot, type StatsSnapshot } from '../../src/daemon/stats.js';
import { MfcTable } from '../../src/core/mfc-table.js';
import { VifTable } from '../../src/core/vif-table.js';
import { FakeKernel, FakeNetns } from '../../src/kernel/fake.js';
import { memoryLogger } from '../../src/log.js';
import { recordKernel } from '../lib/fake-daemon.js';
import { A, LINKS } from '../lib/fixtures.js';

function setup(conf: string) {
  const ns = new FakeNetns(LINKS);
  const fake = new FakeKernel(ns);
  const router = new Router(fake, memoryLogger(), { table: 0, cacheTimeout: 60 }, () => 0);
  assert.deepEqual(router.start(), []);
  fake.onUpcall((b) => router.upcalls(b));
  const { directives, diagnostics } = parseConfig(conf, 'test.conf');
  assert.deepEqual(diagnostics, []);
  router.loadConfig(toIntents(directives));
  return { ns, fake, router };
}

const [, eth0, eth1, eth2] = LINKS.map((l) => l.name);
const ifindex = (name: string | undefined) => LINKS.find((l) => l.name === name)?.index ?? -1;

test('routes by kind (static, learned, stop) with kernel counters; interfaces with theirs; counts', async () => {
  const conf = [
    `mroute from ${eth0} source 10.0.0.1 group 225.1.1.1 to ${eth1} ${eth2}`,
    `mroute from ${eth0} group 225.2.2.0/24 to ${eth1}`,
    `mroute from ${eth0} source fd00::1 group ff0e::1 to ${eth1}`,
  ].join('\n');
  const { ns, fake, router } = setup(conf);
  const i0 = ifindex(eth0);
  ns.receive('inet', i0, A('10.0.0.1'), A('225.1.1.1'), 3, 100); // static
  ns.receive('inet', i0, A('10.0.0.9'), A('225.2.2.2'), 1, 50); // learned, then counted
  ns.receive('inet', i0, A('10.0.0.9'), A('225.2.2.2'), 2, 50);
  ns.receive('inet', i0, A('10.0.0.9'), A('239.9.9.9'), 1, 50); // no rule: a stop filter
  fake.setCounters('inet6', A('fd00::1'), A('ff0e::1'), { packets: 2n ** 60n, bytes: 7n, wrongIf: 1n });

  const s = await router.statsSnapshot();
  const byGroup = new Map(s.routes.map((r) => [r.group, r]));
  assert.deepEqual(byGroup.get('225.1.1.1'), {
    family: 'inet',
    source: '10.0.0.1',
    group: '225.1.1.1',
    iif: eth0,
    oifs: [eth1, eth2],
    kind: 'static',
    packets: 3n,
    bytes: 300n,
    wrongIf: 0n,
  });
  assert.equal(byGroup.get('225.2.2.2')?.kind, 'learned');
  assert.equal(byGroup.get('225.2.2.2')?.packets, 2n, 'the upcall packet itself is not counted by the entry');
  assert.deepEqual(byGroup.get('239.9.9.9')?.oifs, []);
  assert.equal(byGroup.get('239.9.9.9')?.kind, 'stop');
  assert.equal(byGroup.get('ff0e::1')?.packets, 2n ** 60n);
  assert.deepEqual(s.counts, { static: 2, learned: 1, stop: 1 });

  const vif = (family: string, name: string | undefined) => s.interfaces.find((i) => i.family === family && i.name === name);
  assert.deepEqual(vif('inet', eth0), {
    family: 'inet',
    name: eth0,
    vif: fake.vifs('inet').find((v) => v.ifindex === i0)?.vif,
    packetsIn: 5n,
    packetsOut: 0n,
    bytesIn: 400n,
    bytesOut: 0n,
  });
  assert.equal(vif('inet', eth1)?.packetsOut, 5n);
  assert.equal(vif('inet', eth2)?.packetsOut, 3n);
  assert.equal(vif('inet6', eth1)?.packetsOut, 0n);
  const families = s.interfaces.map((x) => x.family);
  assert.deepEqual(families, [...families].sort(), 'VIFs before MIFs');

  const json = JSON.parse(statsJson(s)) as { routes: { group: string; packets: unknown; bytes: unknown }[] };
  const v6 = json.routes.find((r) => r.group === 'ff0e::1');
  assert.equal(v6?.packets, (2n ** 60n).toString(), 'past 2^53: a string');
  assert.equal(v6?.bytes, 7, 'a safe integer: a number');
  assert.doesNotMatch(statsJson(s), /\n| {2}/, 'compact');
});

test('one counter call per installed entry and per VIF, none for a template; time from the clock', async () => {
  const ns = new FakeNetns(LINKS);
  const fake = new FakeKernel(ns);
  const calls = { counters: 0, vifCounters: 0 };
  const kernel = recordKernel(fake, (name) => {
    if (name === 'counters' || name === 'vifCounters') calls[name]++;
  });
  const router = new Router(kernel, memoryLogger(), { table: 0, cacheTimeout: 60 }, () => 0);
  router.start();
  fake.onUpcall((b) => router.upcalls(b));
  const { directives } = parseConfig(`mroute from ${eth0} group 225.2.2.0/24 to ${eth1}`, 'test.conf');
  router.loadConfig(toIntents(directives));
  calls.counters = 0;
  calls.vifCounters = 0;
  const s = await router.statsSnapshot();
  assert.deepEqual(s.routes, []);
  assert.deepEqual(calls, { counters: 0, vifCounters: s.interfaces.length });
  assert.equal(s.interfaces.length, 4, 'a VIF and a MIF each for eth0 and eth1');
  ns.receive('inet', ifindex(eth0), A('10.0.0.9'), A('225.2.2.2'));
  calls.counters = 0;
  assert.equal((await router.statsSnapshot()).routes.length, 1);
  assert.equal(calls.counters, 1);

  const empty = { inet: new VifTable(), inet6: new VifTable() };
  const at: StatsSnapshot = statsSnapshot({ mfc: new MfcTable(), vifs: empty, kernel: fake }, () => 1234.4);
  assert.deepEqual(at, { time: 1234, routes: [], interfaces: [], counts: { static: 0, learned: 0, stop: 0 } });
});
