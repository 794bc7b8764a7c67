import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/conf/parse.js';
import { decodeCommand } from '../../src/ipc/requests.js';
import { checkJoin, checkRoute, type RouteArgs } from '../../src/model/validate.js';

test('route arguments: (*,G) from an omitted or any source, (S,G) and ranges kept', () => {
  const star = checkRoute({ iif: 'eth0', group: '225.1.2.3', oifs: ['eth1'] });
  assert.ok(star.ok && star.value.value.source === undefined);
  const any = checkRoute({ iif: 'eth0', source: '0.0.0.0', group: '225.1.2.3', oifs: [] });
  assert.ok(any.ok && any.value.value.source === undefined);
  const v6any = checkRoute({ iif: 'eth0', source: '::', group: 'ff05::1', oifs: [] });
  assert.ok(v6any.ok && v6any.value.value.source === undefined);
  const sg = checkRoute({ iif: 'eth0', source: '10.0.0.0/8', group: '225.1.0.0/16', oifs: ['eth1', 'eth2'] });
  assert.ok(sg.ok);
  assert.equal(sg.value.value.source?.len, 8);
  assert.equal(sg.value.value.group.len, 16);
  assert.deepEqual(sg.value.value.oifs, ['eth1', 'eth2']);
});

const BAD_ROUTES: [RouteArgs, RegExp][] = [
  [{ iif: 'eth0', group: '10.1.2.3', oifs: [] }, /group 10\.1\.2\.3 is not a multicast address/],
  [{ iif: 'eth0', group: '225.1.2.3/40', oifs: [] }, /225\.1\.2\.3\/40/],
  [{ iif: 'eth0', source: '10.0.0.300', group: '225.1.2.3', oifs: [] }, /source "10\.0\.0\.300": invalid address/],
  [{ iif: 'eth0', source: 'fd00::1', group: '225.1.2.3', oifs: [] }, /source fd00::1 is IPv6 but group 225\.1\.2\.3 is IPv4/],
  [{ iif: 'averyveryverylongname', group: '225.1.2.3', oifs: [] }, /inbound interface/],
  [{ iif: 'eth0', group: '225.1.2.3', oifs: ['bad/name'] }, /outbound interface/],
  [{ iif: 'eth0', group: '225.1.2.3', oifs: Array.from({ length: 33 }, (_, i) => `e${i}`) }, /at most 32/],
];

test('bad route arguments are refused with a message naming the argument', () => {
  for (const [args, re] of BAD_ROUTES) {
    const r = checkRoute(args);
    assert.equal(r.ok, false, JSON.stringify(args));
    assert.match(!r.ok ? r.error.map((e) => e.message).join('; ') : '', re);
  }
});

test('the config file and IPC refuse the same routes with the same message', () => {
  for (const [args, re] of BAD_ROUTES) {
    const src = args.source ? ` source ${args.source}` : '';
    const line = `mroute from ${args.iif}${src} group ${args.group} to ${args.oifs.join(' ')}`;
    const conf = parseConfig(line, 'v.conf');
    assert.equal(conf.directives.length, 0, line);
    assert.ok(
      conf.diagnostics.some((d) => d.severity === 'error' && re.test(d.message)),
      `${line}: ${JSON.stringify(conf.diagnostics)}`,
    );
    // Over IPC the placement of words decides what is a source; give both to keep them apart.
    if (args.source === undefined) continue;
    const ipc = decodeCommand('a', [args.iif, args.source, args.group, ...args.oifs]);
    assert.equal(ipc.ok, false, line);
    // Words upstream cannot place get its own message; everything else the validator's.
    if (!ipc.ok && !ipc.error.message.startsWith('mroute: ')) assert.match(ipc.error.message, re);
  }
});

test('a multicast source is accepted with a warning, in the file and over IPC alike (as upstream)', () => {
  const conf = parseConfig('mgroup from eth0 source 225.9.9.9 group 232.1.1.1', 'v.conf');
  assert.equal(conf.directives.length, 1);
  assert.match(conf.diagnostics[0]?.message ?? '', /source 225\.9\.9\.9 is a multicast address/);
  const ipc = decodeCommand('j', ['eth0', '225.9.9.9', '232.1.1.1']);
  assert.ok(ipc.ok);
  assert.match(ipc.value.warnings[0] ?? '', /source 225\.9\.9\.9 is a multicast address/);
});

test('one join-size limit: 2^10 joins per line or command', () => {
  assert.ok(checkJoin({ iif: 'eth0', group: '225.1.0.0/22' }).ok);
  const big = checkJoin({ iif: 'eth0', group: '225.1.0.0/21' });
  assert.match(!big.ok ? (big.error[0]?.message ?? '') : '', /expands to 2048 joins, at most 1024/);
  const ipc = decodeCommand('j', ['eth0', '225.1.0.0/21']);
  assert.match(!ipc.ok ? ipc.error.message : '', /expands to 2048 joins/);
});

test('join arguments: ASM and SSM, IPv4 and IPv6', () => {
  const asm = checkJoin({ iif: 'eth0', group: 'ff02::1:3' });
  assert.ok(asm.ok && asm.value.value.source === undefined && asm.value.value.group.addr.family === 'inet6');
  const ssm = checkJoin({ iif: 'eth0', source: '10.0.0.1', group: '232.1.1.1' });
  assert.ok(ssm.ok && ssm.value.value.source?.len === 32);
  assert.equal(checkJoin({ iif: 'eth0', group: 'nonsense' }).ok, false);
});
