import { test } from 'node:test';
import assert from 'node:assert/strict';
import { joinIntent, routeIntent } from '../../src/daemon/requests.js';

test('route arguments: (*,G) from an omitted or any source, (S,G) and ranges kept', () => {
  const star = routeIntent({ iif: 'eth0', group: '225.1.2.3', oifs: ['eth1'] });
  assert.ok(star.ok && star.value.source === undefined);
  const any = routeIntent({ iif: 'eth0', source: '0.0.0.0', group: '225.1.2.3', oifs: [] });
  assert.ok(any.ok && any.value.source === undefined);
  const v6any = routeIntent({ iif: 'eth0', source: '::', group: 'ff05::1', oifs: [] });
  assert.ok(v6any.ok && v6any.value.source === undefined);
  const sg = routeIntent({ iif: 'eth0', source: '10.0.0.0/8', group: '225.1.0.0/16', oifs: ['eth1', 'eth2'] });
  assert.ok(sg.ok);
  assert.equal(sg.ok && sg.value.source?.len, 8);
  assert.equal(sg.ok && sg.value.group.len, 16);
  assert.deepEqual(sg.ok && sg.value.oifs, ['eth1', 'eth2']);
});

test('bad route arguments are refused with a message naming the argument', () => {
  const cases: [Parameters<typeof routeIntent>[0], RegExp][] = [
    [{ iif: 'eth0', group: '10.1.2.3', oifs: [] }, /Invalid multicast group 10\.1\.2\.3/],
    [{ iif: 'eth0', group: '225.1.2.3/40', oifs: [] }, /225\.1\.2\.3\/40/],
    [{ iif: 'eth0', source: '10.0.0.300', group: '225.1.2.3', oifs: [] }, /Invalid source address 10\.0\.0\.300/],
    [{ iif: 'eth0', source: 'fd00::1', group: '225.1.2.3', oifs: [] }, /families differ/],
    [{ iif: 'eth0', source: '225.0.0.1', group: '225.1.2.3', oifs: [] }, /a multicast address/],
    [{ iif: 'averyveryverylongname', group: '225.1.2.3', oifs: [] }, /inbound interface/],
    [{ iif: 'eth0', group: '225.1.2.3', oifs: ['bad/name'] }, /outbound interface/],
    [{ iif: 'eth0', group: '225.1.2.3', oifs: Array.from({ length: 33 }, (_, i) => `e${i}`) }, /at most 32/],
  ];
  for (const [args, re] of cases) {
    const r = routeIntent(args);
    assert.equal(r.ok, false, JSON.stringify(args));
    assert.match(!r.ok ? r.error : '', re);
  }
});

test('join arguments: ASM and SSM, IPv4 and IPv6', () => {
  const asm = joinIntent({ iif: 'eth0', group: 'ff02::1:3' });
  assert.ok(asm.ok && asm.value.source === undefined && asm.value.group.addr.family === 'inet6');
  const ssm = joinIntent({ iif: 'eth0', source: '10.0.0.1', group: '232.1.1.1' });
  assert.ok(ssm.ok && ssm.value.source?.len === 32);
  assert.equal(joinIntent({ iif: 'eth0', group: 'nonsense' }).ok, false);
});
