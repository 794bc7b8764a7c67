// Proves the lab harness on the real kernel, using upstream's C smcrouted (Debian package) as the router.
// Also the pattern for our own daemon's integration tests: topology, daemon, traffic, kernel view.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import type { Family } from '../../src/model/addr.js';
import { addrRange } from '../lib/fixtures.js';
import { KernelView } from '../lib/kview.js';
import { newToken, Receiver, send } from '../lib/mcast.js';
import { PROGRAMS } from '../lib/impls.js';
import { type Daemon, type Lab, rootSkipReason, run, withLab } from '../lib/netns.js';
import { pollUntil } from '../lib/proc.js';
import { buildStar, connect, starPhyints } from '../lib/topology.js';

const SMCROUTED = PROGRAMS.upstream.daemon;

function skipReason(): string | undefined {
  return (
    rootSkipReason() ??
    (existsSync(SMCROUTED) ? undefined : `${SMCROUTED} missing: install Debian's smcroute (apt-get install -y smcroute)`)
  );
}

interface Plan {
  family: Family;
  /** The sender's own address on s0. */
  src: string;
  routed: string;
  unrouted: string;
  starGroup: string;
  /** First of the extra source addresses for the many-sources run. */
  manyFrom: string;
}

/** The shared star on plan 11, in the plan's family only: src is its s0. */
const NET = 11;

const PLANS: Plan[] = [
  {
    family: 'inet',
    src: '10.11.1.2',
    routed: '225.1.2.3',
    unrouted: '225.1.2.4',
    starGroup: '225.1.2.5',
    manyFrom: '10.11.1.100',
  },
  {
    family: 'inet6',
    src: 'fd00:11:1::2',
    routed: 'ff0e::1:2:3',
    unrouted: 'ff0e::1:2:4',
    starGroup: 'ff0e::1:2:5',
    manyFrom: 'fd00:11:1::100',
  },
];

/** Upstream smcrouted in the foreground, with every path in the lab's temp dir (nothing in /run). */
function startSmcrouted(lab: Lab, ns: string, conf: string): Promise<Daemon> {
  const cfg = lab.writeFile('smcroute.conf', conf);
  const pid = lab.path('smcrouted.pid');
  const sock = lab.path('smcrouted.sock');
  return lab.startDaemon({
    ns,
    cmd: SMCROUTED,
    args: ['-n', '-N', '-l', 'debug', '-i', `smct-${lab.id}`, '-f', cfg, '-u', sock, '-P', pid],
    // The PID file appears once the configuration has been applied.
    readyFiles: [pid, sock],
    label: 'upstream smcrouted',
  });
}

const PHYINTS = starPhyints();

for (const p of PLANS) {
  test(
    `${p.family}: upstream smcrouted forwards an (S,G) to receiver 1 only`,
    { timeout: 60_000, skip: skipReason() },
    async () => {
      await withLab(async (lab) => {
        const t = buildStar(lab, { net: NET, families: [p.family] });
        const daemon = await startSmcrouted(lab, t.rtr, `${PHYINTS}mroute from r0 source ${p.src} group ${p.routed} to r1\n`);
        const joins = [{ group: p.routed }, { group: p.unrouted }];
        const rx1 = await Receiver.start(lab, { ns: t.rx1, iface: 'x0', joins });
        const rx2 = await Receiver.start(lab, { ns: t.rx2, iface: 'x0', joins });

        assert.equal(await send(lab, { ns: t.snd, iface: 's0', groups: p.routed, count: 5 }), 5);
        assert.equal(await send(lab, { ns: t.snd, iface: 's0', groups: p.unrouted, count: 3 }), 3);
        // TTL / hop limit 1 must not cross the router: proves the sender really sets it.
        assert.equal(await send(lab, { ns: t.snd, iface: 's0', groups: p.routed, count: 4, ttl: 1 }), 4);
        // A marker sent last on the routed group: once it is in, everything sent before it has been handled.
        assert.equal(await send(lab, { ns: t.snd, iface: 's0', groups: p.routed, count: 1 }), 1);

        await rx1.waitFor((c) => c.of(p.routed) >= 6);
        const c2 = await rx2.stop();
        const final1 = await rx1.stop();
        assert.equal(final1.of(p.routed, p.src), 6, `receiver 1: ${final1.toString()}`);
        assert.equal(final1.total, 6, `receiver 1 got only the routed (S,G): ${final1.toString()}`);
        assert.equal(c2.total, 0, `receiver 2 must get nothing: ${c2.toString()}`);

        const kv = new KernelView(lab, t.rtr);
        const routed = kv.routes(p.family).find((r) => r.source === p.src && r.group === p.routed);
        assert.ok(routed, `MFC has (${p.src},${p.routed}): ${JSON.stringify(kv.routes(p.family))}`);
        assert.equal(routed.iif, 'r0');
        assert.deepEqual(routed.oifs, ['r1']);
        // Six passed the TTL check and four did not, but all ten matched the entry.
        assert.equal(routed.packets, 10);
        const viaIp = kv.mroutes(p.family).find((r) => r.source === p.src && r.group === p.routed);
        assert.deepEqual(viaIp && { iif: viaIp.iif, oifs: viaIp.oifs.map((o) => o.name) }, { iif: 'r0', oifs: ['r1'] });
        assert.deepEqual(
          kv
            .vifs(p.family)
            .map((v) => v.name)
            .sort(),
          ['r0', 'r1', 'r2'],
        );

        const st = await daemon.stop();
        assert.equal(st.code, 0, daemon.logs);
        // Closing the routing socket flushes the table: the view must follow the kernel.
        assert.deepEqual(kv.mfc(p.family), []);
        assert.deepEqual(kv.vifs(p.family), []);
      });
    },
  );

  test(`${p.family}: (*,G) rule, traffic from many sources`, { timeout: 60_000, skip: skipReason() }, async () => {
    await withLab(async (lab) => {
      const t = buildStar(lab, { net: NET, families: [p.family] });
      const K = 100;
      const sources = addrRange(p.manyFrom, K);
      const plen = p.family === 'inet' ? 24 : 64;
      lab.addAddrs(
        t.snd,
        's0',
        sources.map((s) => `${s}/${plen}`),
        { arpOff: true },
      );
      await startSmcrouted(lab, t.rtr, `${PHYINTS}mroute from r0 group ${p.starGroup} to r1\n`);
      const rx1 = await Receiver.start(lab, { ns: t.rx1, iface: 'x0', joins: [{ group: p.starGroup }] });
      const rx2 = await Receiver.start(lab, { ns: t.rx2, iface: 'x0', joins: [{ group: p.starGroup }] });

      assert.equal(await send(lab, { ns: t.snd, iface: 's0', groups: p.starGroup, sources, count: 2 }), 2 * K);
      const c1 = await rx1.waitFor((c) => c.flows.length === K);
      assert.deepEqual(c1.flows.map((f) => f.source).sort(), [...sources].sort());
      assert.equal((await rx2.stop()).total, 0);

      const installed = new KernelView(lab, t.rtr).routes(p.family).filter((r) => r.group === p.starGroup);
      assert.deepEqual(installed.map((r) => r.source).sort(), [...sources].sort());
      assert.ok(
        installed.every((r) => r.iif === 'r0' && r.oifs.join() === 'r1'),
        JSON.stringify(installed),
      );
    });
  });
}

const DIRECT = [
  { family: 'inet' as const, s1: '10.11.9.1', s2: '10.11.9.2', rx: '10.11.9.9/24', plen: 24, ssm: '232.1.1.1', asm: '225.9.9.9' },
  {
    family: 'inet6' as const,
    s1: 'fd00:11:9::1',
    s2: 'fd00:11:9::2',
    rx: 'fd00:11:9::9/64',
    plen: 64,
    ssm: 'ff3e::8000:1',
    asm: 'ff0e::9:9',
  },
];

for (const d of DIRECT) {
  test(
    `${d.family}: a receiver counts only its token and its SSM sources`,
    { timeout: 30_000, skip: rootSkipReason() },
    async () => {
      await withLab(async (lab) => {
        const a = lab.addNs('a');
        const b = lab.addNs('b');
        connect(
          lab,
          { ns: a, ifname: 's0', addrs: [`${d.s1}/${d.plen}`, `${d.s2}/${d.plen}`] },
          { ns: b, ifname: 'x0', addrs: [d.rx] },
        );
        // ASM first, SSM last: /proc/net/mcfilter lists a device only if its newest join has sources.
        const rx = await Receiver.start(lab, { ns: b, iface: 'x0', joins: [{ group: d.asm }, { group: d.ssm, source: d.s1 }] });
        const out = { ns: a, iface: 's0' };
        await send(lab, { ...out, groups: [d.ssm, d.asm], sources: [d.s1, d.s2], count: 3 });
        await send(lab, { ...out, groups: d.asm, sources: d.s1, count: 2, token: newToken() });
        await send(lab, { ...out, groups: d.asm, sources: d.s1, count: 1 });

        await rx.waitFor((c) => c.of(d.asm, d.s1) === 4);
        const kv = new KernelView(lab, b);
        const joined = kv
          .memberships(d.family)
          .filter((m) => m.device === 'x0')
          .map((m) => m.group);
        assert.ok(joined.includes(d.ssm) && joined.includes(d.asm), `memberships: ${joined.join(' ')}`);
        const filters = kv.sourceFilters(d.family).filter((f) => f.group === d.ssm);
        assert.deepEqual(
          filters.map((f) => ({ source: f.source, include: f.include, exclude: f.exclude })),
          [{ source: d.s1, include: 1, exclude: 0 }],
        );

        const c = await rx.stop();
        assert.equal(c.of(d.ssm, d.s1), 3, String(c));
        assert.equal(c.of(d.ssm, d.s2), 0, `SSM join excludes other sources: ${c.toString()}`);
        assert.equal(c.of(d.asm, d.s1), 4, String(c));
        assert.equal(c.of(d.asm, d.s2), 3, String(c));
        assert.equal(c.stray, 2, `other tokens are stray: ${c.toString()}`);
      });
    },
  );
}

/** Runs a node child that makes a lab with a process inside, prints the namespace, then dies by signal. */
function childLab(signal: NodeJS.Signals): { ns: string; signal: NodeJS.Signals | null; stderr: string } {
  const netns = new URL('../lib/netns.js', import.meta.url).href;
  const script = `
    import { Lab } from ${JSON.stringify(netns)};
    const lab = new Lab();
    const ns = lab.addNs('victim');
    lab.spawn(ns, 'sleep', ['60']);
    console.log(ns);
    setTimeout(() => process.kill(process.pid, ${JSON.stringify(signal)}), 100);
    setTimeout(() => {}, 10000);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  const ns = r.stdout.trim();
  assert.match(ns, /^smct-p\d+-[0-9a-f]+-victim$/, r.stderr);
  return { ns, signal: r.signal, stderr: r.stderr };
}

const listed = (ns: string): boolean =>
  run('ip', ['netns', 'list'])
    .stdout.split('\n')
    .some((l) => l.split(' ')[0] === ns);

test('a lab leaves no namespace or temp dir behind, also when the test throws', { skip: rootSkipReason() }, async () => {
  let names: string[] = [];
  let dir = '';
  await assert.rejects(
    withLab((lab) => {
      names = [lab.addNs('a'), lab.addNs('b')];
      dir = lab.dir;
      lab.veth({ ns: names[0]!, ifname: 'a0' }, { ns: names[1]!, ifname: 'b0' });
      lab.spawn(names[0]!, 'sleep', ['60']);
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.equal(names.length, 2);
  for (const n of names) assert.equal(listed(n), false, `${n} still exists`);
  assert.equal(existsSync(dir), false);
});

test('a lab owner killed by SIGTERM removes its namespaces itself', { skip: rootSkipReason() }, () => {
  const r = childLab('SIGTERM');
  assert.equal(r.signal, 'SIGTERM', `the child should still end by its signal: ${r.stderr}`);
  assert.equal(listed(r.ns), false, `${r.ns} left behind`);
});

test('a lab owner killed by SIGKILL has its namespaces removed by the janitor', { skip: rootSkipReason() }, async () => {
  const r = childLab('SIGKILL');
  assert.equal(r.signal, 'SIGKILL');
  await pollUntil(() => !listed(r.ns), { timeoutMs: 10_000, what: `janitor to delete ${r.ns}` });
});
