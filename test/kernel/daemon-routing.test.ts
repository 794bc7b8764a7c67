// Our smcrouted on the real kernel: each kind of route proven with real
// packets counted in receiver namespaces, and absent where it must not go;
// joins seen in /proc; reload, exit, a second table, and an upcall burst.

import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { test } from 'node:test';
import type { Family } from '../../src/model/addr.js';
import { addrRange } from '../lib/fixtures.js';
import { KernelView } from '../lib/kview.js';
import { newToken, Receiver, send } from '../lib/mcast.js';
import { rootSkipReason, withLab, type Lab } from '../lib/netns.js';
import { ctl, SMCROUTED, startOurs } from '../lib/ours.js';
import { buildStar, connect, starAddrs, type Star, type StarAddrs } from '../lib/topology.js';

/** The star's addresses, plus a second source on the sender's link. */
type Addrs = StarAddrs & { other: string };
const V4: Addrs = { ...starAddrs(21, 'inet'), other: '10.21.1.3' };
const V6: Addrs = { ...starAddrs(21, 'inet6'), other: 'fd00:21:1::3' };

/** The shared star on plan 21, dual stack, with the second source on s0. */
function buildTopo(lab: Lab): Star {
  const t = buildStar(lab, { net: 21, families: ['inet', 'inet6'] });
  lab.addAddrs(
    t.snd,
    's0',
    [V4, V6].map((a) => `${a.other}/${a.plen}`),
  );
  return t;
}

const skip = rootSkipReason();

async function waitForMfc(kv: KernelView, family: Family, atLeast: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (kv.routes(family).filter((r) => r.iif !== undefined).length < atLeast) {
    if (Date.now() > deadline) assert.fail(`MFC did not reach ${atLeast} entries: ${JSON.stringify(kv.routes(family))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Case {
  family: Family;
  a: Addrs;
  sg: string;
  star: string;
  range: string;
  rangeHit: string;
  unrouted: string;
}

const CASES: Case[] = [
  {
    family: 'inet',
    a: V4,
    sg: '225.21.1.1',
    star: '225.21.2.2',
    range: '225.21.128.0/17',
    rangeHit: '225.21.200.9',
    unrouted: '225.21.0.9',
  },
  {
    family: 'inet6',
    a: V6,
    sg: 'ff0e::21:1',
    star: 'ff0e::21:2',
    range: 'ff0e::21:8000/113',
    rangeHit: 'ff0e::21:c009',
    unrouted: 'ff0e::21:9',
  },
];

for (const c of CASES) {
  test(
    `${c.family}: (S,G), (*,G) and (*,G/LEN) forward where configured and nowhere else`,
    { timeout: 90_000, skip },
    async () => {
      await withLab(async (lab) => {
        const t = buildTopo(lab);
        const ours = await startOurs(
          lab,
          t.rtr,
          [
            `mroute from r0 source ${c.a.s0} group ${c.sg} to r1`,
            `mroute from r0 group ${c.star} to r2`,
            `mroute from r0 group ${c.range} to r1 r2`,
            '',
          ].join('\n'),
        );
        const joins = [c.sg, c.star, c.rangeHit, c.unrouted].map((group) => ({ group }));
        const rx1 = await Receiver.start(lab, { ns: t.rx1, iface: 'x0', joins });
        const rx2 = await Receiver.start(lab, { ns: t.rx2, iface: 'x0', joins });

        const out = { ns: t.snd, iface: 's0' };
        // The kernel queues only a few packets of a flow it has not resolved yet; prime every flow
        // (with a token the receivers do not count) and wait until all are in the MFC.
        const primer = newToken();
        await send(lab, { ...out, groups: [c.sg, c.star, c.rangeHit, c.unrouted], sources: c.a.s0, count: 1, token: primer });
        await send(lab, { ...out, groups: c.sg, sources: c.a.other, count: 1, token: primer });
        await waitForMfc(new KernelView(lab, t.rtr), c.family, 5);
        assert.equal(await send(lab, { ...out, groups: [c.sg, c.star, c.rangeHit, c.unrouted], sources: c.a.s0, count: 10 }), 40);
        // The (S,G) rule names one source: the same group from another source must not pass.
        assert.equal(await send(lab, { ...out, groups: c.sg, sources: c.a.other, count: 10 }), 10);
        // Markers last: once they are in, everything before them has been handled.
        await send(lab, { ...out, groups: [c.sg, c.star], sources: c.a.s0, count: 1 });
        await rx1.waitFor((n) => n.of(c.sg) >= 11 && n.of(c.rangeHit) >= 10);
        await rx2.waitFor((n) => n.of(c.star) >= 11 && n.of(c.rangeHit) >= 10);
        const n1 = await rx1.stop();
        const n2 = await rx2.stop();

        assert.equal(n1.of(c.sg, c.a.s0), 11, `rx1 gets the (S,G): ${n1.toString()}`);
        assert.equal(n1.of(c.sg, c.a.other), 0, `rx1 must not get the (S,G) group from another source: ${n1.toString()}`);
        assert.equal(n1.of(c.star), 0, `the (*,G) goes to r2 only: ${n1.toString()}`);
        assert.equal(n1.of(c.rangeHit, c.a.s0), 10, `rx1 gets the (*,G/LEN) flow: ${n1.toString()}`);
        assert.equal(n1.of(c.unrouted), 0, `unrouted group: ${n1.toString()}`);
        assert.equal(n2.of(c.sg), 0, `the (S,G) goes to r1 only: ${n2.toString()}`);
        assert.equal(n2.of(c.star, c.a.s0), 11, `rx2 gets the (*,G): ${n2.toString()}`);
        assert.equal(n2.of(c.rangeHit, c.a.s0), 10, `rx2 gets the (*,G/LEN) flow: ${n2.toString()}`);
        assert.equal(n2.of(c.unrouted), 0, `unrouted group: ${n2.toString()}`);

        const routes = new KernelView(lab, t.rtr).routes(c.family);
        const find = (s: string, g: string) => routes.find((r) => r.source === s && r.group === g);
        assert.deepEqual(find(c.a.s0, c.sg)?.oifs, ['r1']);
        assert.deepEqual(find(c.a.s0, c.star)?.oifs, ['r2']);
        assert.deepEqual(find(c.a.s0, c.rangeHit)?.oifs.sort(), ['r1', 'r2']);
        // Flows no rule covers get a stop filter: resolved, forwarding nowhere.
        assert.deepEqual(find(c.a.s0, c.unrouted)?.oifs, [], JSON.stringify(routes));
        assert.equal(find(c.a.s0, c.unrouted)?.iif, 'r0');

        const shown = ctl(lab, t.rtr, ours.sock, '-t', 'show');
        assert.match(shown, new RegExp(`\\(${c.a.s0.replace(/\./g, '\\.')}, ${c.sg}\\)\\s+r0\\s+r1\\n`));

        const st = await ours.daemon.stop();
        assert.equal(st.code, 0, ours.daemon.logs);
        const kv = new KernelView(lab, t.rtr);
        assert.deepEqual(kv.mfc(c.family), [], 'the table is flushed at exit');
        assert.deepEqual(kv.vifs(c.family), []);
        assert.equal(existsSync(ours.pid), false, 'PID file removed at exit');
        assert.equal(existsSync(ours.sock), false, 'socket removed at exit');
      });
    },
  );
}

test(
  'joins, ASM and SSM, IPv4 and IPv6, appear in /proc/net/igmp, igmp6, mcfilter and mcfilter6 and go at exit',
  { timeout: 60_000, skip },
  async () => {
    await withLab(async (lab) => {
      const t = buildTopo(lab);
      const ours = await startOurs(
        lab,
        t.rtr,
        [
          'mgroup from r0 group 225.21.7.7',
          'mgroup from r0 group 225.21.8.0/30',
          `mgroup from r1 source ${V4.x1} group 232.21.1.1`,
          'mgroup from r0 group ff0e::21:7',
          `mgroup from r1 source ${V6.x1} group ff3e::8000:21`,
          '',
        ].join('\n'),
      );
      const kv = new KernelView(lab, t.rtr);
      const groupsOn = (family: Family, dev: string) =>
        kv
          .memberships(family)
          .filter((m) => m.device === dev)
          .map((m) => m.group);
      const v4r0 = groupsOn('inet', 'r0');
      for (const g of ['225.21.7.7', '225.21.8.0', '225.21.8.1', '225.21.8.2', '225.21.8.3'])
        assert.ok(v4r0.includes(g), `${g} joined on r0: ${v4r0.join(',')}`);
      assert.ok(groupsOn('inet', 'r1').includes('232.21.1.1'));
      assert.ok(groupsOn('inet6', 'r0').includes('ff0e::21:7'));
      assert.ok(groupsOn('inet6', 'r1').includes('ff3e::8000:21'));
      assert.deepEqual(
        kv
          .sourceFilters('inet')
          .filter((f) => f.group === '232.21.1.1')
          .map((f) => [f.source, f.include]),
        [[V4.x1, 1]],
      );
      assert.deepEqual(
        kv
          .sourceFilters('inet6')
          .filter((f) => f.group === 'ff3e::8000:21')
          .map((f) => [f.source, f.include]),
        [[V6.x1, 1]],
      );

      const shown = ctl(lab, t.rtr, ours.sock, '-t', 'show', 'groups');
      assert.match(shown, /\(\*, 225\.21\.8\.0\/30\)\s+r0/);
      assert.match(shown, new RegExp(`\\(${V4.x1.replace(/\./g, '\\.')}, 232\\.21\\.1\\.1\\)\\s+r1`));

      await ours.daemon.stop();
      assert.ok(!groupsOn('inet', 'r0').includes('225.21.7.7'), 'groups are left at exit');
      assert.ok(!groupsOn('inet6', 'r1').includes('ff3e::8000:21'), 'groups are left at exit');
    });
  },
);

test('SIGHUP reload: a new route forwards, a removed one stops, the PID file is touched', { timeout: 60_000, skip }, async () => {
  await withLab(async (lab) => {
    const t = buildTopo(lab);
    const ours = await startOurs(lab, t.rtr, `mroute from r0 source ${V4.s0} group 225.21.9.1 to r1\n`);
    const before = statSync(ours.pid).mtimeMs;
    lab.writeFile('smcrouted.conf', `mroute from r0 source ${V4.s0} group 225.21.9.2 to r1\n`);
    await new Promise((r) => setTimeout(r, 20));
    process.kill(ours.daemon.pid, 'SIGHUP');
    const kv = new KernelView(lab, t.rtr);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !kv.routes('inet').some((r) => r.group === '225.21.9.2'))
      await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      kv.routes('inet').map((r) => r.group),
      ['225.21.9.2'],
    );
    assert.ok(statSync(ours.pid).mtimeMs > before, 'PID file mtime touched on reload');

    const rx1 = await Receiver.start(lab, { ns: t.rx1, iface: 'x0', joins: [{ group: '225.21.9.1' }, { group: '225.21.9.2' }] });
    await send(lab, { ns: t.snd, iface: 's0', groups: ['225.21.9.1', '225.21.9.2'], sources: V4.s0, count: 5 });
    const n = await rx1.waitFor((x) => x.of('225.21.9.2') === 5);
    assert.equal(n.of('225.21.9.1'), 0, `removed route must not forward: ${n.toString()}`);
  });
});

test('a second instance runs side by side on another routing table', { timeout: 60_000, skip }, async () => {
  await withLab(async (lab) => {
    const t = buildTopo(lab);
    // A second inbound link whose traffic the kernel looks up in table 100.
    const snd2 = lab.addNs('snd2');
    connect(lab, { ns: snd2, ifname: 's1', addrs: ['10.21.4.2/24'] }, { ns: t.rtr, ifname: 'r3', addrs: ['10.21.4.1/24'] });
    lab.ip(t.rtr, 'mrule', 'add', 'iif', 'r3', 'lookup', '100');

    await startOurs(lab, t.rtr, `mroute from r0 source ${V4.s0} group 225.21.5.1 to r1\n`, [], 'main');
    const second = await startOurs(
      lab,
      t.rtr,
      'mroute from r3 source 10.21.4.2 group 225.21.5.2 to r1\n',
      ['-t', '100', '-i', `smct2-${lab.id}`],
      'second',
    );
    const kv = new KernelView(lab, t.rtr);
    assert.deepEqual(
      kv.mroutes('inet', 100).map((r) => [r.source, r.group]),
      [['10.21.4.2', '225.21.5.2']],
    );
    assert.deepEqual(
      kv.routes('inet').map((r) => [r.source, r.group]),
      [[V4.s0, '225.21.5.1']],
    );

    const rx1 = await Receiver.start(lab, { ns: t.rx1, iface: 'x0', joins: [{ group: '225.21.5.1' }, { group: '225.21.5.2' }] });
    await send(lab, { ns: t.snd, iface: 's0', groups: '225.21.5.1', sources: V4.s0, count: 5 });
    await send(lab, { ns: snd2, iface: 's1', groups: '225.21.5.2', sources: '10.21.4.2', count: 5 });
    const n = await rx1.waitFor((x) => x.of('225.21.5.1') === 5 && x.of('225.21.5.2') === 5);
    assert.equal(n.total, 10, String(n));

    // The same table twice is refused: the kernel allows one routing daemon per table.
    const third = lab.exec(
      t.rtr,
      SMCROUTED,
      ['-n', '-t', '100', '-f', second.conf, '-u', lab.path('third.sock'), '-P', lab.path('third.pid')],
      { check: false },
    );
    assert.equal(third.status, 69, third.stderr);
    assert.match(third.stderr, /already running/);
  });
});

test(
  'a burst of 1,000 new sources on one (*,G/LEN) rule ends with every flow in the MFC',
  { timeout: 120_000, skip },
  async () => {
    await withLab(async (lab) => {
      const t = buildTopo(lab);
      const K = 1000;
      const sources = addrRange('10.21.16.1', K);
      lab.addAddrs(
        t.snd,
        's0',
        sources.map((s) => `${s}/20`),
      );
      await startOurs(lab, t.rtr, 'mroute from r0 group 225.21.64.0/18 to r1\n', ['-l', 'notice']);
      // Each source sends to its own group inside the range: K distinct new flows at once.
      await send(lab, { ns: t.snd, iface: 's0', groups: '225.21.64.1', sources, count: 1, parallel: 256 });
      const kv = new KernelView(lab, t.rtr);
      const deadline = Date.now() + 30_000;
      let flows = kv.routes('inet').filter((r) => r.group === '225.21.64.1');
      // The kernel lists a flow before the daemon resolves it (iif undefined): wait for both.
      while ((flows.length < K || flows.some((f) => f.iif === undefined)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        flows = kv.routes('inet').filter((r) => r.group === '225.21.64.1');
      }
      assert.equal(flows.length, K, `flows in the MFC: ${flows.length} of ${K}`);
      assert.ok(flows.every((f) => f.iif === 'r0' && f.oifs.join() === 'r1'));
    });
  },
);
