import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/conf/parse.js';
import { buildDesired } from '../../src/core/changes.js';
import { Links } from '../../src/core/links.js';
import { toIntents } from '../../src/daemon/config.js';
import { fakeLinks, link } from '../lib/fixtures.js';

const links = new Links([...fakeLinks(3), link('wlan0', 5)]);

function desired(text: string) {
  const { directives, diagnostics } = parseConfig(text, 'test.conf');
  assert.deepEqual(
    diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return buildDesired(toIntents(directives), links);
}

test('mroute lines become rules; duplicates in one file merge their outbound interfaces', () => {
  const d = desired(`
mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1
mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth2
mroute from eth0 group 225.3.0.0/16 to eth1
`);
  assert.equal(d.rules.size, 2);
  const [sg, tpl] = [...d.rules.values()];
  assert.deepEqual([...sg!.oifs].sort(), ['eth1', 'eth2']);
  assert.equal(tpl!.source, null);
  assert.deepEqual([...d.vifNeeds].sort(), ['eth0', 'eth1', 'eth2']);
});

test('wildcards expand over existing interfaces and never loop back to the inbound one', () => {
  const d = desired('mroute from eth+ group 225.1.2.3 to eth+\n');
  const rules = [...d.rules.values()];
  assert.deepEqual(
    rules.map((r) => r.iif),
    ['eth0', 'eth1', 'eth2'],
  );
  for (const r of rules) {
    assert.equal(r.oifs.has(r.iif), false);
    assert.equal(r.oifs.size, 2);
  }
});

test('routes and joins naming a missing interface wait in pending; the rest still applies', () => {
  const d = desired(`
mroute from eth9 group 225.1.2.3 to eth1
mroute from eth0 group 225.1.2.4 to eth1 eth7
mgroup from eth8 group 225.5.5.5
`);
  assert.deepEqual(
    d.pending.map((p) => [p.kind, p.iif]),
    [
      ['mroute', 'eth9'],
      ['mroute', 'eth0'],
      ['mgroup', 'eth8'],
    ],
  );
  assert.equal(d.rules.size, 1);
  assert.deepEqual([...[...d.rules.values()][0]!.oifs], ['eth1']);
});

test('a joined /LEN range expands to one kernel join per address; SSM keeps its source', () => {
  const d = desired(`
mgroup from eth0 group 225.1.1.0/30
mgroup from eth1 source 10.0.0.9 group 232.1.1.1
mgroup from eth1 group ff05::1:3
`);
  assert.equal(d.groups.size, 3);
  assert.equal(d.joins.size, 6);
  const ssm = [...d.joins.values()].filter((j) => j.source);
  assert.equal(ssm.length, 1);
  assert.equal(ssm[0]!.ifindex, 3);
});

test('phyint enables VIFs, sets thresholds, and disable refuses routes through the interface', () => {
  const d = desired(`
phyint wlan0 ttl-threshold 5
phyint eth2 disable
mroute from eth0 group 225.1.2.3 to eth1 eth2
`);
  assert.equal(d.settings.get('wlan0')?.threshold, 5);
  assert.equal(d.vifNeeds.has('wlan0'), true);
  assert.equal(d.vifNeeds.has('eth2'), false);
  assert.deepEqual([...[...d.rules.values()][0]!.oifs], ['eth1']);
  assert.match(d.problems.map((p) => p.message).join('\n'), /eth2 is disabled/);
});

test('a bare phyint gives the interface a VIF; enable says the same', () => {
  const d = desired('phyint eth0\nphyint eth1 enable\n');
  assert.equal(d.vifNeeds.has('eth0'), true);
  assert.equal(d.vifNeeds.has('eth1'), true);
});

test('interfaces without multicast are refused with a message naming them', () => {
  const d = desired('mroute from lo group 225.1.2.3 to eth1\n');
  assert.equal(d.rules.size, 0);
  assert.match(d.problems[0]!.message, /lo is not multicast capable/);
  assert.match(d.problems[0]!.origin, /test\.conf:1/);
});

test('phyint mrdisc marks the matched interfaces; on a disabled or non-multicast one it is reported', () => {
  const d = desired('phyint eth+ enable mrdisc\nphyint wlan0 mrdisc\nphyint lo enable mrdisc\n');
  assert.deepEqual(
    [...d.settings].filter(([, s]) => s.mrdisc).map(([n]) => n),
    ['eth0', 'eth1', 'eth2', 'wlan0', 'lo'],
  );
  assert.equal(d.vifNeeds.has('eth0'), true);
  assert.deepEqual(
    d.problems.map((p) => `${p.origin}: ${p.message}`),
    ['test.conf:3: phyint lo: lo is not multicast capable, no mrdisc there'],
  );
  const off = desired('phyint eth0 disable mrdisc\nphyint eth1 enable\n');
  assert.equal(off.settings.get('eth0')?.disabled, true);
  assert.equal(off.settings.get('eth1')?.mrdisc, false);
  assert.deepEqual(
    off.problems.map((p) => `${p.origin}: ${p.message}`),
    ['test.conf:1: phyint eth0: mrdisc has no effect on a disabled interface'],
  );
});
