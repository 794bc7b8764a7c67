// Kernel calls that fail, injected in the fake kernel: each failure is logged,
// everything else is kept, and `show` lists what the kernel holds, no more, no less.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/conf/parse.js';
import { toIntents } from '../../src/daemon/config.js';
import { Router } from '../../src/daemon/router.js';
import { FakeKernel, FakeNetns } from '../../src/kernel/fake.js';
import { memoryLogger } from '../../src/log.js';
import { formatAddr } from '../../src/model/addr.js';
import type { RoutesSnapshot } from '../../src/show/types.js';
import { LINKS, P } from '../lib/fixtures.js';

const CONF = `
mroute from eth0 source 10.0.0.1 group 225.1.1.1 to eth1
mroute from eth0 source 10.0.0.2 group 225.1.1.2 to eth1
mroute from eth0 source 10.0.0.3 group 225.1.1.3 to eth2
mgroup from eth1 group 225.9.9.1
mgroup from eth1 group 225.9.9.2
`;

function setup() {
  const fake = new FakeKernel(new FakeNetns(LINKS));
  const log = memoryLogger();
  const router = new Router(fake, log, { table: 0, cacheTimeout: 0 });
  assert.deepEqual(router.start(), []);
  const load = () => router.loadConfig(toIntents(parseConfig(CONF, 'test.conf').directives));
  return { fake, log, router, load };
}

const kernelSGs = (fake: FakeKernel) =>
  fake
    .mfcs('inet')
    .map((m) => `${formatAddr(m.source)},${formatAddr(m.group)}`)
    .sort();
const shownSGs = (s: RoutesSnapshot) =>
  s.kernel.map((r) => `${r.source ? formatAddr(r.source.addr) : '*'},${formatAddr(r.group.addr)}`).sort();
const kernelJoins = (fake: FakeKernel) =>
  fake
    .memberships()
    .map((m) => formatAddr(m.group))
    .sort();
const shownJoins = (router: Router) =>
  router
    .showGroups()
    .kernel.map((j) => formatAddr(j.group.addr))
    .sort();

test('an MFC add the kernel refuses is logged; the other routes go in; show lists only what the kernel has', () => {
  const { fake, log, router, load } = setup();
  fake.failNext('addMfc', 'ENOBUFS');
  load();
  assert.deepEqual(kernelSGs(fake), ['10.0.0.2,225.1.1.2', '10.0.0.3,225.1.1.3']);
  assert.deepEqual(shownSGs(router.showRoutes('brief')), kernelSGs(fake));
  // The configured rule is still shown as configured: it is wanted, just not installed.
  assert.equal(router.showRoutes('brief').sgRules.length, 3);
  assert.ok(
    log.lines.some((l) => /^err: Failed installing \(10\.0\.0\.1,225\.1\.1\.1\) from eth0: .*ENOBUFS/.test(l)),
    log.lines.join('\n'),
  );
  // The next reload tries again and succeeds.
  load();
  assert.equal(kernelSGs(fake).length, 3);
  assert.deepEqual(shownSGs(router.showRoutes('brief')), kernelSGs(fake));
});

test('a join the kernel refuses is logged; the other joins are made; show groups lists only the joins held', () => {
  const { fake, log, router, load } = setup();
  fake.failNext('join', 'ENOBUFS');
  load();
  assert.equal(fake.memberships().length, 1);
  assert.deepEqual(shownJoins(router), kernelJoins(fake));
  assert.equal(router.showGroups().conf.length, 2);
  assert.ok(
    log.lines.some((l) => /^err: Failed joining .*ENOBUFS/.test(l)),
    log.lines.join('\n'),
  );
  assert.equal(kernelSGs(fake).length, 3);
});

test('a remove or leave the kernel refuses: the command is logged and show still lists what the kernel kept', () => {
  const { fake, log, router, load } = setup();
  load();
  fake.failNext('delMfc', 'EPERM');
  const intent = {
    iif: 'eth0',
    source: P('10.0.0.1'),
    group: P('225.1.1.1'),
    oifs: [],
    origin: 'ipc',
    text: { source: '10.0.0.1', group: '225.1.1.1' },
  };
  router.command({ op: 'remove', intent });
  assert.ok(kernelSGs(fake).includes('10.0.0.1,225.1.1.1'), 'the kernel kept it');
  assert.deepEqual(shownSGs(router.showRoutes('brief')), kernelSGs(fake));
  assert.ok(
    log.lines.some((l) => /^err: Failed removing \(10\.0\.0\.1,225\.1\.1\.1\).*EPERM/.test(l)),
    log.lines.join('\n'),
  );

  fake.failNext('leave', 'EPERM');
  const join = { iif: 'eth1', group: P('225.9.9.1'), origin: 'ipc', text: { group: '225.9.9.1' } };
  router.command({ op: 'leave', intent: join });
  assert.equal(fake.memberships().length, 2, 'the kernel kept the membership');
  assert.deepEqual(shownJoins(router), kernelJoins(fake));
  assert.ok(
    log.lines.some((l) => /^err: Failed leaving .*EPERM/.test(l)),
    log.lines.join('\n'),
  );
  // Nothing else was touched.
  assert.equal(kernelSGs(fake).length, 3);
});

test('a VIF the kernel refuses: its routes are not installed, the rest are, and show agrees with the kernel', () => {
  const { fake, log, router, load } = setup();
  fake.failNext('addVif', 'ENOBUFS', 2); // the first interface, IPv4 and IPv6: eth0
  load();
  assert.ok(
    log.lines.some((l) => /ENOBUFS/.test(l)),
    log.lines.join('\n'),
  );
  assert.deepEqual(shownSGs(router.showRoutes('brief')), kernelSGs(fake));
  assert.deepEqual(shownJoins(router), kernelJoins(fake));
});
