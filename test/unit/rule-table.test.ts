import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRule, isSingleSG } from '../../src/core/rule.js';
import { RuleTable } from '../../src/core/rule-table.js';
import { A, P } from '../lib/fixtures.js';

test('single (S,G) rules are found by exact key only', () => {
  const t = new RuleTable();
  const r = makeRule('eth0', P('10.0.0.1'), P('225.1.2.3'), ['eth1']);
  assert.equal(isSingleSG(r), true);
  t.set(r);
  assert.deepEqual(
    t.match('inet', 'eth0', A('10.0.0.1'), A('225.1.2.3')).map((x) => x.key),
    [r.key],
  );
  assert.equal(t.match('inet', 'eth0', A('10.0.0.2'), A('225.1.2.3')).length, 0);
  assert.equal(t.match('inet', 'eth1', A('10.0.0.1'), A('225.1.2.3')).length, 0);
});

test('(*,G), (*,G/LEN) and (S/LEN,G) templates match by prefix on their inbound interface', () => {
  const t = new RuleTable();
  const any = makeRule('eth0', null, P('225.1.2.3'), ['eth1']);
  const range = makeRule('eth0', null, P('225.1.0.0/16'), ['eth2']);
  const srcRange = makeRule('eth0', P('10.1.0.0/16'), P('225.9.9.9'), ['eth3']);
  for (const r of [any, range, srcRange]) t.set(r);

  const keys = (s: string, g: string, iif = 'eth0') =>
    t
      .match('inet', iif, A(s), A(g))
      .map((r) => r.key)
      .sort();
  assert.deepEqual(keys('192.0.2.1', '225.1.2.3'), [any.key, range.key].sort());
  assert.deepEqual(keys('192.0.2.1', '225.1.200.3'), [range.key]);
  assert.deepEqual(keys('192.0.2.1', '225.2.0.1'), []);
  assert.deepEqual(keys('10.1.44.5', '225.9.9.9'), [srcRange.key]);
  assert.deepEqual(keys('10.2.0.1', '225.9.9.9'), []);
  assert.deepEqual(keys('192.0.2.1', '225.1.2.3', 'eth9'), []);
});

test('replacing a rule keeps its position; deleting removes it from the index', () => {
  const t = new RuleTable();
  const a = makeRule('eth0', null, P('225.1.0.0/16'), ['eth1']);
  const b = makeRule('eth0', null, P('225.2.0.0/16'), ['eth1']);
  t.set(a);
  t.set(b);
  t.set(makeRule('eth0', null, P('225.1.0.0/16'), ['eth1', 'eth2']));
  assert.deepEqual(
    [...t.values()].map((r) => [...r.oifs].length),
    [2, 1],
  );
  assert.equal(t.match('inet', 'eth0', A('1.2.3.4'), A('225.1.0.9'))[0]!.oifs.size, 2);
  t.delete(a.key);
  assert.equal(t.match('inet', 'eth0', A('1.2.3.4'), A('225.1.0.9')).length, 0);
  assert.equal(t.match('inet', 'eth0', A('1.2.3.4'), A('225.2.0.9')).length, 1);
  t.delete(b.key);
  assert.equal(t.size, 0);
});

test('IPv6 templates do not match IPv4 flows', () => {
  const t = new RuleTable();
  t.set(makeRule('eth0', null, P('ff05::/16'), ['eth1']));
  assert.equal(t.match('inet6', 'eth0', A('fd00::1'), A('ff05::1:3')).length, 1);
  assert.equal(t.match('inet', 'eth0', A('10.0.0.1'), A('225.0.0.1')).length, 0);
});

test('finds the one covering template among 10,000', () => {
  const t = new RuleTable();
  for (let i = 0; i < 10000; i++) t.set(makeRule('eth0', null, P(`225.${(i >> 8) & 255}.${i & 255}.0/24`), ['eth1']));
  const hits = t.match('inet', 'eth0', A('10.0.0.1'), A('225.30.16.77'));
  assert.equal(hits.length, 1);
  assert.equal(hits[0]!.group.addr.value, A('225.30.16.0').value);
});

test('naming() follows every change, before and after it is first asked', () => {
  const t = new RuleTable();
  const a = makeRule('eth0', P('10.0.0.1'), P('225.1.2.3'), ['eth1']);
  const b = makeRule('eth2', null, P('225.1.0.0/16'), ['eth1', 'eth3']);
  t.set(a);
  const keys = (name: string) => t.naming(name).map((r) => r.key);
  assert.deepEqual(keys('eth1'), [a.key]);
  t.set(b);
  assert.deepEqual(keys('eth1'), [a.key, b.key]);
  assert.deepEqual(keys('eth3'), [b.key]);
  t.set(makeRule('eth0', P('10.0.0.1'), P('225.1.2.3'), ['eth4']));
  assert.deepEqual(keys('eth1'), [b.key]);
  assert.deepEqual(keys('eth4'), [a.key]);
  t.delete(b.key);
  assert.deepEqual(keys('eth3'), []);
  assert.deepEqual(keys('eth0'), [a.key]);
});
