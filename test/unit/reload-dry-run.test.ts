// `smcroutectl reload --dry-run` on the real Daemon and the fake kernel: the
// diff it prints, that it calls the kernel not once and leaves the daemon as it
// was, and that the real reload after it does exactly what it predicted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Daemon } from '../../src/daemon/daemon.js';
import type { Reply } from '../../src/ipc/dispatch.js';
import type { FakeKernel } from '../../src/kernel/fake.js';
import { formatAddr, type Family } from '../../src/model/addr.js';
import { formatGroups, formatInterfaces, formatPending, formatRoutes } from '../../src/show/format.js';
import { CONF_FILE as CONF, recordKernel, startFakeDaemon, type FakeDaemon } from '../lib/fake-daemon.js';
import { request } from '../lib/fake-control.js';
import { fakeLinks } from '../lib/fixtures.js';

interface Rig {
  readonly daemon: Daemon;
  readonly fake: FakeKernel;
  readonly files: Map<string, string>;
  readonly log: FakeDaemon['log'];
  /** Kernel calls made through the daemon since the last reset. */
  calls: string[];
  ask(cmd: string, args?: readonly string[]): Promise<Reply>;
}

async function withRig(conf: string, fn: (r: Rig) => Promise<void>): Promise<void> {
  const sink = { calls: [] as string[] };
  const d = await startFakeDaemon(conf, fakeLinks(6), {
    wrapKernel: (fake) => recordKernel(fake, (name) => sink.calls.push(name)),
  });
  sink.calls = [];
  try {
    await fn(
      Object.assign(sink, {
        daemon: d.daemon,
        fake: d.fake,
        files: d.files,
        log: d.log,
        ask: (cmd: string, args?: readonly string[]) => d.ask(cmd, args),
      }),
    );
  } finally {
    await d.stop();
  }
}

/** Everything `show` can say, in every mode: the daemon's state as an operator sees it. */
function shown(d: Daemon): string {
  const out: string[] = [];
  for (const mode of ['brief', 'detail', 'json'] as const) {
    out.push(formatRoutes(d.showRoutes(mode), mode), formatGroups(d.showGroups(), mode));
    out.push(formatInterfaces(d.showInterfaces(), mode), formatPending(d.showPending(), mode));
  }
  return out.join('');
}

/** The fake kernel's whole state, VIF numbers and all. */
function kernelState(fake: FakeKernel): string {
  const out: string[] = [];
  for (const family of ['inet', 'inet6'] as Family[]) {
    for (const v of fake.vifs(family)) out.push(`${family} vif ${v.vif} ${v.ifindex} ${v.threshold}`);
    for (const m of fake.mfcs(family)) {
      out.push(`${family} mfc ${formatAddr(m.source)},${formatAddr(m.group)} ${m.iif} ${m.ttls.join('.')}`);
    }
  }
  for (const m of fake.memberships())
    out.push(`join ${m.ifindex} ${m.source ? formatAddr(m.source) : '*'},${formatAddr(m.group)}`);
  return out.sort().join('\n');
}

const text = (r: Reply) => r.bytes.toString('utf8').replace(/\0$/, '');

const BEFORE = [
  'phyint eth5 disable',
  'mroute from eth0 group 225.1.1.0/24 to eth1 eth2',
  'mroute from eth0 source 10.0.0.1 group 225.2.2.2 to eth1',
  'mroute from eth1 source 10.0.0.9 group 225.9.9.9 to eth2',
  'mgroup from eth0 group 225.1.1.1',
  'mgroup from eth1 group 225.3.3.3',
  '',
].join('\n');

const AFTER = [
  'phyint eth5 disable',
  'phyint eth2 ttl-threshold 64',
  // OIF change: eth2 goes, eth3 comes (a VIF for eth3 is made).
  'mroute from eth0 group 225.1.1.0/24 to eth1 eth3',
  'mroute from eth0 source 10.0.0.1 group 225.2.2.2 to eth1',
  // Removed: the eth1 route; added: one from eth4.
  'mroute from eth4 source 10.0.0.4 group 225.4.4.4 to eth2',
  'mgroup from eth0 group 225.1.1.1',
  'mgroup from eth2 group 225.5.5.5',
  '',
].join('\n');

const PREDICTED = [
  'Reload would apply: 1 route added, 1 removed, 1 changed; 1 join added, 1 removed; 4 VIFs/MIFs made, 2 changed',
  '+ route (10.0.0.4, 225.4.4.4) eth4 > eth2',
  '- route (10.0.0.9, 225.9.9.9) eth1 > eth2',
  '~ route (*, 225.1.1.0/24) eth0 > +eth3 -eth2',
  '+ join (*, 225.5.5.5) eth2',
  '- join (*, 225.3.3.3) eth1',
  '+ VIF 3 eth3 ttl-threshold 1',
  '+ MIF 3 eth3 ttl-threshold 1',
  '+ VIF 4 eth4 ttl-threshold 1',
  '+ MIF 4 eth4 ttl-threshold 1',
  '~ VIF 2 eth2 ttl-threshold 1 -> 64',
  '~ MIF 2 eth2 ttl-threshold 1 -> 64',
  '',
].join('\n');

test('dry run: routes added and removed, an OIF change, joins, a VIF made and a threshold change; nothing touched', async () => {
  await withRig(BEFORE, async (r) => {
    const state = shown(r.daemon);
    const kernel = kernelState(r.fake);
    r.files.set(CONF, AFTER);
    r.calls = [];
    const reply = await r.ask('n');
    assert.equal(reply.result.ok, true);
    assert.equal(text(reply), PREDICTED);
    const json = await r.ask('N');
    const j = JSON.parse(text(json)) as Record<string, unknown>;
    assert.deepEqual(j, {
      apply: true,
      file: CONF,
      routes: {
        add: [{ iif: 'eth4', source: '10.0.0.4', group: '225.4.4.4', oifs: ['eth2'] }],
        remove: [{ iif: 'eth1', source: '10.0.0.9', group: '225.9.9.9', oifs: ['eth2'] }],
        change: [{ iif: 'eth0', source: null, group: '225.1.1.0/24', oifs: ['eth1', 'eth3'], add: ['eth3'], remove: ['eth2'] }],
      },
      joins: {
        add: [{ iif: 'eth2', source: null, group: '225.5.5.5' }],
        remove: [{ iif: 'eth1', source: null, group: '225.3.3.3' }],
      },
      vifs: {
        add: [
          { family: 'inet', type: 'VIF', name: 'eth3', vif: 3, threshold: 1 },
          { family: 'inet6', type: 'MIF', name: 'eth3', vif: 3, threshold: 1 },
          { family: 'inet', type: 'VIF', name: 'eth4', vif: 4, threshold: 1 },
          { family: 'inet6', type: 'MIF', name: 'eth4', vif: 4, threshold: 1 },
        ],
        remove: [],
        change: [
          { family: 'inet', type: 'VIF', name: 'eth2', vif: 2, threshold: 64, was: 1 },
          { family: 'inet6', type: 'MIF', name: 'eth2', vif: 2, threshold: 64, was: 1 },
        ],
      },
      runtime_dropped: 0,
      errors: [],
      warnings: [],
    });
    // Not one kernel call, and the daemon shows exactly what it showed.
    assert.deepEqual(r.calls, []);
    assert.equal(shown(r.daemon), state);
    assert.equal(kernelState(r.fake), kernel);

    // The real reload does what was predicted: the kernel changes match, line for line.
    assert.equal(r.daemon.reload().ok, true);
    const after = kernelState(r.fake);
    const gone = kernel.split('\n').filter((l) => !after.split('\n').includes(l));
    const came = after.split('\n').filter((l) => !kernel.split('\n').includes(l));
    assert.deepEqual(
      came.filter((l) => /vif|join/.test(l)),
      [
        'inet vif 2 4 64',
        'inet vif 3 5 1',
        'inet vif 4 6 1',
        'inet6 vif 2 4 64',
        'inet6 vif 3 5 1',
        'inet6 vif 4 6 1',
        'join 4 *,225.5.5.5',
      ],
    );
    assert.deepEqual(
      gone.filter((l) => /vif|join/.test(l)),
      ['inet vif 2 4 1', 'inet6 vif 2 4 1', 'join 3 *,225.3.3.3'],
    );
    // After it, nothing is left to do.
    assert.equal(text(await r.ask('n')), 'No changes\n');
  });
});

test('dry run: VIFs released, runtime changes dropped as a reload drops them', async () => {
  await withRig(BEFORE, async (r) => {
    assert.equal(r.daemon.command(request('a', 'eth0', '10.7.7.7', '225.7.7.7', 'eth3')).ok, true);
    assert.equal(r.daemon.command(request('j', 'eth2', '225.8.8.8')).ok, true);
    const state = shown(r.daemon);
    r.calls = [];
    r.files.set(CONF, 'mroute from eth0 source 10.0.0.1 group 225.2.2.2 to eth1\n');
    const out = text(await r.ask('n'));
    assert.match(out, /^- route \(10\.7\.7\.7, 225\.7\.7\.7\) eth0 > eth3$/m);
    assert.match(out, /^- join \(\*, 225\.8\.8\.8\) eth2$/m);
    assert.match(out, /^- VIF 2 eth2$/m);
    assert.match(out, /^- MIF 3 eth3$/m);
    assert.match(out, /^2 runtime changes \(smcroutectl add\/remove\/join\/leave\) dropped$/m);
    const j = JSON.parse(text(await r.ask('N'))) as { vifs: { remove: { name: string }[] }; runtime_dropped: number };
    assert.equal(j.runtime_dropped, 2);
    assert.deepEqual(j.vifs.remove.map((v) => v.name).sort(), ['eth2', 'eth2', 'eth3', 'eth3']);
    assert.deepEqual(r.calls, []);
    assert.equal(shown(r.daemon), state);
    // The command log is intact: a link event replays the runtime route as before.
    r.fake.ns.setLinks(fakeLinks(7));
    r.fake.triggerLinkChange();
    assert.match(formatRoutes(r.daemon.showRoutes('brief'), 'brief'), /10\.7\.7\.7, 225\.7\.7\.7/);
  });
});

test('dry run: an error names file:line, answers as a refused reload does, and changes nothing', async () => {
  await withRig(BEFORE, async (r) => {
    const state = shown(r.daemon);
    r.calls = [];
    r.files.set(CONF, 'mroute from eth0 group 225.1.1.0/24 to eth1\nmroute from eth0 group 10.1.1.1 to eth1\n');
    const reply = await r.ask('n');
    assert.equal(reply.result.ok, false);
    const message = text(reply);
    assert.match(message, /^Reload refused, 1 error in \/etc\/smcroute\.conf; the running configuration is kept\n/);
    assert.match(message, /^\/etc\/smcroute\.conf:2: error: .*10\.1\.1\.1/m);
    const j = JSON.parse(text(await r.ask('N'))) as { apply: boolean; errors: { file: string; line: number }[] };
    assert.equal(j.apply, false);
    assert.deepEqual(
      j.errors.map((e) => [e.file, e.line]),
      [[CONF, 2]],
    );
    assert.deepEqual(r.calls, []);
    assert.equal(shown(r.daemon), state);
    // The real reload refuses with the same text.
    const real = r.daemon.reload();
    assert.equal(real.ok ? '' : real.error, message);
  });
});

test('dry run: the reader keeps its memory of the last accepted read; a reload after it reuses lines as before', async () => {
  const lines = Array.from({ length: 50 }, (_, i) => `mroute from eth0 source 10.0.1.${i} group 225.0.0.${i} to eth1`);
  await withRig(lines.join('\n') + '\n', async (r) => {
    // The lines move down by one: the dry run must not move the kept routes to their new places.
    r.files.set(CONF, ['# a comment', ...lines].join('\n') + '\n');
    assert.equal(text(await r.ask('n')), 'No changes\n');
    r.files.set(CONF, ['# a comment', ...lines, 'mroute from eth0 group 10.9.9.9 to eth1'].join('\n') + '\n');
    const refused = await r.ask('n');
    assert.match(text(refused), /smcroute\.conf:52: error: /);
    assert.equal(r.daemon.reload().ok, false);
    r.files.set(CONF, ['# a comment', ...lines, 'mroute from eth3 group 225.0.0.0 to eth1'].join('\n') + '\n');
    const dry = text(await r.ask('n'));
    assert.match(dry, /^\+ route \(\*, 225\.0\.0\.0\) eth3 > eth1$/m);
    assert.equal(r.daemon.reload().ok, true);
    assert.equal(text(await r.ask('n')), 'No changes\n');
  });
});

test('dry run: lines it sees moved keep their place in the running configuration (the daemon keeps its reader as the last reload left it)', async () => {
  // lo cannot be an outbound interface: the route's warning names its line, which tells where the daemon thinks it is.
  await withRig('mroute from eth0 group 225.1.1.1 to eth1 lo\n', async (r) => {
    r.files.set(CONF, '# moved down\nmroute from eth0 group 225.1.1.1 to eth1 lo\n');
    assert.match(text(await r.ask('n')), /smcroute\.conf:2: warning: outbound lo/);
    const from = r.log.lines.length;
    // Interfaces change: the running configuration is resolved again, its warnings said where new.
    r.fake.ns.setLinks(fakeLinks(7));
    const said = r.log.lines.slice(from).join('\n');
    assert.doesNotMatch(said, /smcroute\.conf:2: /, 'a line of a file that was never applied');
  });
});
