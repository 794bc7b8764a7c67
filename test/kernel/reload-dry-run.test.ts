// `smcroutectl reload --dry-run` against our daemon on the real kernel: after an
// edit it prints the diff (text and -j) and the kernel's MFC, VIFs/MIFs and
// memberships stay exactly as they were; the real reload then makes exactly
// that change. A broken file: exit 1 with file:line, nothing changed. Upstream's
// daemon does not know the request: a clear error, and it does not reload.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Family } from '../../src/model/addr.js';
import { PROGRAMS, startRouter, upstreamSkipReason } from '../lib/impls.js';
import { KernelView } from '../lib/kview.js';
import { rootSkipReason, withLab, type Lab } from '../lib/netns.js';
import { ctl, ctlRun, startOurs } from '../lib/ours.js';

const skip = rootSkipReason();

/** One namespace with two veth pairs inside it, a0 <-> a1 and b0 <-> b1. */
function routerNs(lab: Lab): string {
  const ns = lab.addNs('rtr', { forwarding: true });
  lab.veth({ ns, ifname: 'a0' }, { ns, ifname: 'a1' });
  lab.veth({ ns, ifname: 'b0' }, { ns, ifname: 'b1' });
  return ns;
}

const BEFORE = `mroute from a0 source 10.62.0.1 group 225.62.1.1 to a1
mroute from a0 group 225.62.2.0/24 to a1
mroute from b0 source 10.62.0.2 group 225.62.3.3 to a1
mroute from a0 source fd62::1 group ff0e::62 to a1
mgroup from a0 group 225.62.9.9
`;

const AFTER = `phyint a1 ttl-threshold 8
mroute from a0 source 10.62.0.1 group 225.62.1.1 to a1 b1
mroute from b0 source 10.62.0.2 group 225.62.3.3 to a1
mroute from a0 source 10.62.0.5 group 225.62.5.5 to b0
mroute from a0 source fd62::1 group ff0e::62 to a1
mgroup from b0 group 225.62.8.8
`;

/** The kernel's multicast state without counters, as one comparable value. */
function kernelState(k: KernelView): unknown {
  const fams: Family[] = ['inet', 'inet6'];
  return {
    mroute: fams.map((f) => k.mroutes(f).map((r) => ({ ...r, packets: undefined, bytes: undefined }))),
    mfc: fams.map((f) => k.mfc(f).map((m) => ({ ...m, packets: 0, bytes: 0, wrongIf: 0 }))),
    vifs: fams.map((f) => k.vifs(f).map((v) => ({ ...v, bytesIn: 0, pktsIn: 0, bytesOut: 0, pktsOut: 0 }))),
    joins: fams.map((f) => k.memberships(f).map((m) => `${m.device} ${m.group}`)),
  };
}

interface Plan {
  apply: boolean;
  routes: {
    add: { iif: string; source: string | null; group: string; oifs: string[] }[];
    remove: { iif: string; source: string | null; group: string; oifs: string[] }[];
    change: { iif: string; source: string | null; group: string; oifs: string[]; add: string[]; remove: string[] }[];
  };
  joins: { add: { iif: string; group: string }[]; remove: { iif: string; group: string }[] };
  vifs: {
    add: { family: Family; name: string }[];
    remove: { family: Family; name: string }[];
    change: { family: Family; name: string; threshold: number; was: number }[];
  };
  errors: { file: string; line: number; message: string }[];
}

/** Our daemon on BEFORE in a router namespace of its own, and the kernel's state as it made it. */
async function startBefore(lab: Lab) {
  const ns = routerNs(lab);
  const d = await startOurs(lab, ns, BEFORE);
  const k = new KernelView(lab, ns);
  return { ns, d, k, before: kernelState(k) };
}

test(
  'reload --dry-run: the diff in text and JSON, the kernel untouched; the real reload then makes exactly that change',
  { timeout: 60_000, skip },
  async () => {
    await withLab(async (lab) => {
      const { ns, d, k, before } = await startBefore(lab);
      const shown = () => ctl(lab, ns, d.sock, '-d', 'show') + ctl(lab, ns, d.sock, 'show', 'groups');
      const shownBefore = shown();

      lab.writeFile('smcrouted.conf', AFTER);
      const text = ctlRun(lab, ns, d.sock, 'reload', '--dry-run');
      assert.equal(text.status, 0, text.stderr);
      assert.equal(text.stderr, '');
      const lines = text.stdout.split('\n');
      assert.equal(
        lines[0],
        'Reload would apply: 1 route added, 1 removed, 1 changed; 1 join added, 1 removed; 2 VIFs/MIFs made, 2 changed',
      );
      for (const want of [
        '+ route (10.62.0.5, 225.62.5.5) a0 > b0',
        '- route (*, 225.62.2.0/24) a0 > a1',
        '~ route (10.62.0.1, 225.62.1.1) a0 > +b1',
        '+ join (*, 225.62.8.8) b0',
        '- join (*, 225.62.9.9) a0',
      ]) {
        assert.ok(lines.includes(want), `${want}\n--- got ---\n${text.stdout}`);
      }
      assert.match(text.stdout, /^\+ VIF \d+ b1 ttl-threshold 1$/m);
      assert.match(text.stdout, /^\+ MIF \d+ b1 ttl-threshold 1$/m);
      assert.match(text.stdout, /^~ VIF \d+ a1 ttl-threshold 1 -> 8$/m);
      assert.match(text.stdout, /^~ MIF \d+ a1 ttl-threshold 1 -> 8$/m);

      const json = ctlRun(lab, ns, d.sock, '-j', 'reload', '-n');
      assert.equal(json.status, 0, json.stderr);
      const plan = JSON.parse(json.stdout) as Plan;
      assert.equal(plan.apply, true);
      assert.deepEqual(plan.routes.add, [{ iif: 'a0', source: '10.62.0.5', group: '225.62.5.5', oifs: ['b0'] }]);
      assert.deepEqual(plan.routes.remove, [{ iif: 'a0', source: null, group: '225.62.2.0/24', oifs: ['a1'] }]);
      assert.deepEqual(plan.routes.change, [
        { iif: 'a0', source: '10.62.0.1', group: '225.62.1.1', oifs: ['a1', 'b1'], add: ['b1'], remove: [] },
      ]);
      assert.deepEqual(
        plan.joins.add.map((j) => `${j.iif} ${j.group}`),
        ['b0 225.62.8.8'],
      );
      assert.deepEqual(
        plan.joins.remove.map((j) => `${j.iif} ${j.group}`),
        ['a0 225.62.9.9'],
      );
      assert.deepEqual(plan.vifs.add.map((v) => `${v.family} ${v.name}`).sort(), ['inet b1', 'inet6 b1']);
      assert.deepEqual(plan.vifs.remove, []);
      assert.deepEqual(plan.vifs.change.map((v) => `${v.family} ${v.name} ${v.was}->${v.threshold}`).sort(), [
        'inet a1 1->8',
        'inet6 a1 1->8',
      ]);
      assert.deepEqual(plan.errors, []);

      // Touched nothing: the kernel and the daemon's tables are as they were.
      assert.deepEqual(kernelState(k), before);
      assert.equal(shown(), shownBefore);

      // The real reload makes that change, and no other.
      ctl(lab, ns, d.sock, 'reload');
      const vifNames = (f: Family) => k.vifs(f).map((v) => v.name);
      for (const f of ['inet', 'inet6'] as Family[]) assert.deepEqual(vifNames(f).sort(), ['a0', 'a1', 'b0', 'b1'], f);
      const mfc = k.routes('inet').map((r) => `${r.source},${r.group} ${r.iif ?? '?'} > ${r.oifs.sort().join(' ')}`);
      assert.deepEqual(mfc.sort(), [
        '10.62.0.1,225.62.1.1 a0 > a1 b1',
        '10.62.0.2,225.62.3.3 b0 > a1',
        '10.62.0.5,225.62.5.5 a0 > b0',
      ]);
      // The new threshold is each OIF's TTL on a1.
      const a1 = k.vifs('inet').find((v) => v.name === 'a1')?.vif;
      const ttls = k.mfc('inet').flatMap((m) => m.oifs.filter((o) => o.vif === a1).map((o) => o.ttl));
      assert.deepEqual(ttls, [8, 8]);
      const joins = k.memberships('inet').map((m) => `${m.device} ${m.group}`);
      assert.ok(joins.includes('b0 225.62.8.8'));
      assert.ok(!joins.includes('a0 225.62.9.9'));
      assert.doesNotMatch(ctl(lab, ns, d.sock, 'show'), /225\.62\.2\.0/);
      // Nothing left to do.
      assert.equal(ctl(lab, ns, d.sock, 'reload', '--dry-run'), 'No changes\n');
      assert.equal((await d.daemon.stop()).code, 0, d.daemon.logs);
    });
  },
);

test(
  'reload --dry-run of a broken file: exit 1 with file:line, as a refused reload; nothing changes',
  { timeout: 60_000, skip },
  async () => {
    await withLab(async (lab) => {
      const { ns, d, k, before } = await startBefore(lab);
      const shownBefore = ctl(lab, ns, d.sock, 'show');
      lab.writeFile(
        'smcrouted.conf',
        'mroute from a0 group 225.62.7.7 to b0\nmgroup from b0 group 225.62.8.8\nmroute from a0 group 10.1.2.3 to a1\n',
      );

      const text = ctlRun(lab, ns, d.sock, 'reload', '--dry-run');
      assert.equal(text.status, 1);
      assert.equal(text.stdout, '');
      const errLines = text.stderr.split('\n');
      assert.equal(errLines[0], `smcroutectl: Reload refused, 1 error in ${d.conf}; the running configuration is kept`);
      assert.match(errLines[1] ?? '', new RegExp(`^${d.conf}:3: error: .*10\\.1\\.2\\.3`));

      const json = ctlRun(lab, ns, d.sock, '-j', 'reload', '--dry-run');
      assert.equal(json.status, 1);
      const plan = JSON.parse(json.stdout) as Plan;
      assert.equal(plan.apply, false);
      assert.deepEqual(
        plan.errors.map((e) => [e.file, e.line]),
        [[d.conf, 3]],
      );

      assert.deepEqual(kernelState(k), before);
      assert.equal(ctl(lab, ns, d.sock, 'show'), shownBefore);
      // A real reload refuses with the same words.
      const real = ctlRun(lab, ns, d.sock, 'reload');
      assert.equal(real.status, 1);
      assert.equal(real.stderr, text.stderr);
      assert.equal((await d.daemon.stop()).code, 0, d.daemon.logs);
    });
  },
);

test(
  "reload --dry-run against upstream's smcrouted: a clear error, exit 1, and it does not reload",
  { timeout: 60_000, skip: skip ?? upstreamSkipReason() },
  async () => {
    await withLab(async (lab) => {
      const ns = routerNs(lab);
      const conf = 'phyint a0 enable\nphyint a1 enable\nmroute from a0 source 10.62.0.1 group 225.62.1.1 to a1\n';
      const r = await startRouter(lab, ns, 'upstream', conf);
      lab.writeFile(r.confName, `${conf}mroute from a0 source 10.62.0.9 group 225.62.9.9 to a1\n`);
      for (const args of [
        ['reload', '--dry-run'],
        ['-j', 'reload', '-n'],
      ]) {
        const res = ctlRun(lab, ns, r.sock, ...args);
        assert.equal(res.status, 1, args.join(' '));
        assert.equal(res.stdout, '');
        assert.match(res.stderr, /^smcroutectl: The daemon does not support reload --dry-run .*nothing was reloaded\n$/);
      }
      const shown = lab.exec(ns, PROGRAMS.upstream.ctl, ['-u', r.sock, 'show'], { input: '' }).stdout;
      assert.match(shown, /225\.62\.1\.1/);
      assert.doesNotMatch(shown, /225\.62\.9\.9/, 'the new route would be there after a reload');
      await r.daemon.stop();
    });
  },
);
