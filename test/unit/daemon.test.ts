// The daemon on the fake kernel with an in-memory config: start-up,
// all-or-nothing reloads, the PID file and a clean stop.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon, type DaemonOptions } from '../../src/daemon/daemon.js';
import { FakeKernel, FakeNetns } from '../../src/kernel/fake.js';
import { memoryLogger } from '../../src/log.js';
import { formatAddr } from '../../src/model/addr.js';
import { ok } from '../../src/result.js';
import { request } from '../lib/fake-control.js';
import { A, eth } from '../lib/fixtures.js';
import { MemConfFs } from '../lib/mem-conf-fs.js';

/** The daemon's options for a test in `dir`: its config at /etc/test.conf, PID file and socket in `dir`. */
function options(dir: string, pidFile = join(dir, 'test.pid')): DaemonOptions {
  return { confFile: '/etc/test.conf', pidFile, sockFile: join(dir, 'test.sock'), table: 0, cacheTimeout: 0 };
}

async function withDaemon(
  conf: string | undefined,
  fn: (
    d: Daemon,
    fake: FakeKernel,
    files: Map<string, string>,
    log: ReturnType<typeof memoryLogger>,
    dir: string,
  ) => Promise<void> | void,
) {
  const dir = mkdtempSync(join(tmpdir(), 'smct-daemon-'));
  const files = new Map<string, string>();
  if (conf !== undefined) files.set('/etc/test.conf', conf);
  const fake = new FakeKernel(new FakeNetns([eth(0), eth(1)]));
  const log = memoryLogger();
  const d = new Daemon(fake, log, options(dir), new MemConfFs(files));
  try {
    assert.equal(await d.start(), undefined);
    await fn(d, fake, files, log, dir);
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const sgs = (fake: FakeKernel) =>
  fake
    .mfcs('inet')
    .map((m) => `${formatAddr(m.source)},${formatAddr(m.group)}`)
    .sort();

test('start applies the config and writes the PID file; stop removes it and resolves exit 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smct-daemon-'));
  const pidFile = join(dir, 'test.pid');
  const fake = new FakeKernel(new FakeNetns([eth(0), eth(1)]));
  const d = new Daemon(
    fake,
    memoryLogger(),
    options(dir, pidFile),
    new MemConfFs(new Map([['/etc/test.conf', 'mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1\n']])),
  );
  assert.equal(await d.start(), undefined);
  assert.deepEqual(sgs(fake), ['10.0.0.1,225.1.2.3']);
  assert.equal(existsSync(pidFile), true);
  await d.stop();
  assert.equal(await d.exited, 0);
  assert.equal(existsSync(pidFile), false);
  assert.equal(existsSync(join(dir, 'test.sock')), false);
  assert.deepEqual(fake.mfcs('inet'), []);
  rmSync(dir, { recursive: true, force: true });
});

test('a reload with a broken line is refused whole: running routes stay, the error names file and line', async () => {
  await withDaemon('mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1\n', (d, fake, files, log) => {
    files.set(
      '/etc/test.conf',
      'mroute from eth0 source 10.0.0.2 group 225.1.2.3 to eth1\nmroute from eth0 group 10.9.9.9 to eth1\n',
    );
    const r = d.reload();
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.error : '', /Reload refused, 1 error in \/etc\/test\.conf/);
    // The reply carries the error itself, as -F prints it, for smcroutectl to show.
    assert.equal(
      !r.ok ? r.error.split('\n')[1] : '',
      '/etc/test.conf:2: error: mroute: group 10.9.9.9 is not a multicast address',
    );
    assert.deepEqual(sgs(fake), ['10.0.0.1,225.1.2.3']);
    assert.ok(
      log.lines.some((l) => /^err: \/etc\/test\.conf:2: error: /.test(l)),
      log.lines.join('\n'),
    );

    files.set('/etc/test.conf', 'mroute from eth0 source 10.0.0.2 group 225.1.2.3 to eth1\n');
    assert.deepEqual(d.reload(), ok());
    assert.deepEqual(sgs(fake), ['10.0.0.2,225.1.2.3']);
  });
});

test('a reload with the config file gone keeps the running configuration', async () => {
  await withDaemon('mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1\n', (d, fake, files) => {
    files.delete('/etc/test.conf');
    const r = d.reload();
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.error : '', /cannot read \/etc\/test\.conf/);
    assert.deepEqual(sgs(fake), ['10.0.0.1,225.1.2.3']);
  });
});

test('without a config file the daemon starts empty and waits for commands', async () => {
  await withDaemon(undefined, (d, fake, _files, log) => {
    assert.deepEqual(fake.mfcs('inet'), []);
    assert.ok(log.lines.some((l) => /does not exist/.test(l)));
    assert.deepEqual(d.command(request('a', 'eth0', '10.0.0.1', '225.1.2.3', 'eth1')), ok());
    assert.deepEqual(sgs(fake), ['10.0.0.1,225.1.2.3']);
  });
});

test('start-up with broken lines applies the good ones, as upstream', async () => {
  await withDaemon('mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1\nbogus line\n', (_d, fake, _files, log) => {
    assert.deepEqual(sgs(fake), ['10.0.0.1,225.1.2.3']);
    assert.ok(log.lines.some((l) => /test\.conf:2: error: /.test(l)));
  });
});

test('an unexpected kernel failure while handling an event is logged; the daemon serves on', async () => {
  await withDaemon('mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1\n', (d, fake, _files, log) => {
    const original = fake.links.bind(fake);
    fake.links = () => {
      throw new Error('links: EMFILE');
    };
    fake.triggerLinkChange();
    assert.ok(
      log.lines.some((l) => /^err: Handling an interface change failed: links: EMFILE/.test(l)),
      log.lines.join('\n'),
    );
    fake.links = original;
    assert.deepEqual(d.command(request('a', 'eth0', '10.0.0.2', '225.1.2.3', 'eth1')), ok());
    assert.deepEqual(sgs(fake), ['10.0.0.1,225.1.2.3', '10.0.0.2,225.1.2.3']);
  });
});

test('a kernel failure while applying the config at start-up is logged; start completes and stop works', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smct-daemon-'));
  const fake = new FakeKernel(new FakeNetns([eth(0), eth(1)]));
  const original = fake.links.bind(fake);
  fake.links = () => {
    throw new Error('links: EMFILE');
  };
  const log = memoryLogger();
  const d = new Daemon(
    fake,
    log,
    options(dir),
    new MemConfFs(new Map([['/etc/test.conf', 'mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1\n']])),
  );
  try {
    // Before the guard this rejected, and the caller never learnt of a daemon to stop on SIGTERM.
    assert.equal(await d.start(), undefined);
    assert.ok(
      log.lines.some((l) => l === 'err: Applying the configuration failed: links: EMFILE'),
      log.lines.join('\n'),
    );
    assert.equal(existsSync(join(dir, 'test.pid')), true, 'start-up went on past the failure');
    fake.links = original;
    assert.deepEqual(d.reload(), ok());
    assert.deepEqual(sgs(fake), ['10.0.0.1,225.1.2.3']);
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(await d.exited, 0);
  assert.equal(existsSync(join(dir, 'test.sock')), false);
});

test('the service manager hears READY once routes are in, RELOADING then READY per reload, STOPPING at exit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smct-daemon-'));
  const fake = new FakeKernel(new FakeNetns([eth(0), eth(1)]));
  const files = new Map([['/etc/test.conf', 'mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1\n']]);
  const heard: string[] = [];
  // What the kernel held when each state was announced, to tell "after the routes" from "before".
  const at = (state: string) => (status: string) => void heard.push(`${state} [${sgs(fake).join(' ')}] ${status}`);
  const d = new Daemon(
    fake,
    memoryLogger(),
    { ...options(dir), service: { ready: at('READY'), reloading: at('RELOADING'), stopping: at('STOPPING') } },
    new MemConfFs(files),
  );
  try {
    assert.equal(await d.start(), undefined);
    files.set('/etc/test.conf', 'mroute from eth0 source 10.0.0.2 group 225.1.2.3 to eth1\n');
    assert.deepEqual(d.reload(), ok());
    files.set('/etc/test.conf', 'mroute from eth0 group 10.9.9.9 to eth1\n');
    assert.equal(d.reloadConfig().ok, false);
  } finally {
    await d.stop();
    await d.stop(); // a second stop (SIGTERM after `smcroutectl kill`) says nothing new
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(heard, [
    'READY [10.0.0.1,225.1.2.3] Ready: 1 rules, 1 kernel routes, 0 group memberships',
    'RELOADING [10.0.0.1,225.1.2.3] Reloading configuration',
    'READY [10.0.0.2,225.1.2.3] Reloaded: 1 rules, 1 kernel routes, 0 group memberships',
    'RELOADING [10.0.0.2,225.1.2.3] Reloading configuration',
    'READY [10.0.0.2,225.1.2.3] Reload refused, 1 error in /etc/test.conf; the running configuration is kept (1 rules, 1 kernel routes, 0 group memberships)',
    'STOPPING [10.0.0.2,225.1.2.3] Exiting',
  ]);
});

test('mrdisc: the daemon passes solicitations to the router, and stopping sends the termination', async () => {
  const fake = new FakeKernel(new FakeNetns([eth(0), eth(1)]));
  const log = memoryLogger();
  const dir = mkdtempSync(join(tmpdir(), 'smct-daemon-'));
  const d = new Daemon(
    fake,
    log,
    { ...options(dir), mrdiscInterval: 30 },
    new MemConfFs(new Map([['/etc/test.conf', 'phyint eth1 enable mrdisc\n']])),
  );
  try {
    assert.equal(await d.start(), undefined);
    assert.deepEqual(fake.mrdiscSockets(), [eth(1).index]);
    assert.match(log.lines.join('\n'), /info: mrdisc: advertising on eth1 every 30 s/);
    fake.ns.hearMrdisc({ ifindex: eth(1).index, from: A('10.0.0.9'), message: { type: 'solicitation' } });
    assert.match(log.lines.join('\n'), /debug: mrdisc: solicitation from 10\.0\.0\.9 on eth1/);
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(fake.mrdiscSent().at(-1), { ifindex: eth(1).index, message: { type: 'termination' } });
  assert.deepEqual(fake.mrdiscSockets(), []);
});
