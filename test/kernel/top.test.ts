// `smcroutectl top --once` on the real kernel: two flows at different rates through our smcrouted,
// listed fastest first with plausible rates, as text and as JSON, and the interface counters rising.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelView } from '../lib/kview.js';
import { send } from '../lib/mcast.js';
import { rootSkipReason, withLab } from '../lib/netns.js';
import { startRouter, upstreamSkipReason } from '../lib/impls.js';
import { ctl, ctlRun, eventually, startOurs } from '../lib/ours.js';
import { buildStar, starAddrs } from '../lib/topology.js';

const skip = rootSkipReason();
const A = starAddrs(77, 'inet');
const SLOW = '225.77.1.1'; // the (S,G) rule, to r1
const FAST = '225.77.2.2'; // learned from the (*,G) rule, to r2

interface TopJson {
  interval: number;
  routes: {
    source: string;
    group: string;
    iif: string;
    oifs: string[];
    kind: string;
    packetsPerSecond: number;
    bitsPerSecond: number;
  }[];
  interfaces: {
    family: string;
    name: string;
    packetsIn: number;
    packetsOut: number;
    packetsInPerSecond: number;
    packetsOutPerSecond: number;
  }[];
  counts: { static: number; learned: number; stop: number };
}

test(
  'top --once: the faster flow first with a plausible packet rate, text and JSON; interface counters rise',
  { timeout: 90_000, skip },
  async (tc) => {
    await withLab(async (lab) => {
      const t = buildStar(lab, { net: 77, families: ['inet'] });
      const ours = await startOurs(
        lab,
        t.rtr,
        [`mroute from r0 source ${A.s0} group ${SLOW} to r1`, `mroute from r0 group ${FAST} to r2`, ''].join('\n'),
      );
      const out = { ns: t.snd, iface: 's0', sources: A.s0 };
      await send(lab, { ...out, groups: [SLOW, FAST], count: 1 });
      const kv = new KernelView(lab, t.rtr);
      await eventually('both flows in the MFC', () => kv.routes('inet').filter((r) => r.iif !== undefined).length >= 2, {
        state: () => JSON.stringify(kv.routes('inet')),
      });
      // About 200 and 10 packets a second for some 6 s, while top samples twice (1 s apart, twice over).
      const fast = send(lab, { ...out, groups: FAST, count: 1200, intervalMs: 5 });
      const slow = send(lab, { ...out, groups: SLOW, count: 60, intervalMs: 100 });
      // Should an assertion below fail first, the senders' end must not become an unhandled rejection.
      for (const p of [fast, slow]) p.catch(() => undefined);
      await new Promise((r) => setTimeout(r, 500));

      const text = ctl(lab, t.rtr, ours.sock, 'top', '--once');
      tc.diagnostic(text);
      assert.ok(!text.includes('\x1b'), 'no terminal codes in --once');
      const lines = text.split('\n');
      assert.match(lines[0] ?? '', /^2 routes \(1 static, 1 learned, 0 stop\), interval \d\.\d s$/);
      const routeLines = lines.filter((l) => l.startsWith(`${A.s0} `));
      assert.equal(routeLines.length, 2, text);
      assert.match(routeLines[0] ?? '', new RegExp(`^${A.s0} +${FAST} +r0 +learned +\\S+ +\\S+ +r2$`), text);
      assert.match(routeLines[1] ?? '', new RegExp(`^${A.s0} +${SLOW} +r0 +static +\\S+ +\\S+ +r1$`), text);

      const j1 = JSON.parse(ctl(lab, t.rtr, ours.sock, '-j', 'top', '--once', '--interval', '1')) as TopJson;
      const j2 = JSON.parse(ctl(lab, t.rtr, ours.sock, '-j', 'top', '--once', '-s', '0.5')) as TopJson;
      assert.ok(j1.interval > 0.5 && j1.interval < 5, `interval ${j1.interval}`);
      assert.deepEqual(
        j1.routes.map((r) => [r.group, r.kind, r.oifs]),
        [
          [FAST, 'learned', ['r2']],
          [SLOW, 'static', ['r1']],
        ],
      );
      const [f, s] = j1.routes;
      assert.ok(f && s);
      assert.ok(f.packetsPerSecond > s.packetsPerSecond && s.packetsPerSecond > 0, JSON.stringify(j1.routes));
      // Loose bounds: the sender aims at 200/s; a busy machine sends slower, never ten times faster.
      assert.ok(f.packetsPerSecond >= 5 && f.packetsPerSecond <= 2000, `fast rate ${f.packetsPerSecond}`);
      assert.ok(f.bitsPerSecond >= f.packetsPerSecond * 8 * 28, 'bits/s counts whole IP packets');
      const iface = (j: TopJson, name: string) => j.interfaces.find((i) => i.family === 'inet' && i.name === name);
      assert.ok((iface(j1, 'r0')?.packetsInPerSecond ?? 0) > 0);
      assert.ok((iface(j1, 'r2')?.packetsOutPerSecond ?? 0) > 0);
      assert.ok((iface(j2, 'r0')?.packetsIn ?? 0) > (iface(j1, 'r0')?.packetsIn ?? 0), 'r0 counts more packets in');
      assert.ok((iface(j2, 'r2')?.packetsOut ?? 0) > (iface(j1, 'r2')?.packetsOut ?? 0), 'r2 counts more packets out');

      await Promise.all([fast, slow]);
      assert.equal((await ours.daemon.stop()).code, 0, ours.daemon.logs);
    });
  },
);

test(
  "top against upstream's C smcrouted, which does not know 'T': a clear error and exit 1, no hang",
  { timeout: 60_000, skip: skip ?? upstreamSkipReason() },
  async () => {
    await withLab(async (lab) => {
      const t = buildStar(lab, { net: 79, families: ['inet'], receivers: 1 });
      const router = await startRouter(lab, t.rtr, 'upstream', 'phyint r0 enable\nphyint r1 enable\n');
      const r = ctlRun(lab, t.rtr, router.sock, 'top', '--once');
      assert.equal(r.status, 1, r.stdout);
      assert.equal(r.stdout, '');
      assert.match(
        r.stderr,
        /^smcroutectl: the daemon does not support top \(an older version\?\): Unknown or malformed IPC message/,
      );
      await router.daemon.stop();
    });
  },
);
