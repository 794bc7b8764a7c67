// Faults on the real kernel while traffic flows: the outbound interface goes down and up, is
// deleted and made again, renamed and named back; the daemon is killed with SIGKILL and started
// again. After each, the routes and joins are in the kernel again and packets reach the receiver.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelView } from '../lib/kview.js';
import { Receiver, send } from '../lib/mcast.js';
import { rootSkipReason, withLab, type Lab } from '../lib/netns.js';
import { eventually, startOurs, type Ours } from '../lib/ours.js';
import { buildStar, connect, type StarOfOne } from '../lib/topology.js';

const skip = rootSkipReason();

const S = '10.63.1.2';
const G = '225.63.1.1';
const J = '225.63.9.9';
const CONF = [
  'phyint r0 enable',
  'phyint r1 enable',
  `mroute from r0 source ${S} group ${G} to r1`,
  `mgroup from r1 group ${J}`,
  '',
].join('\n');

/** The (S,G) forwards r0 -> r1 and the join is held on r1, as the kernel shows them. */
async function restored(kv: KernelView, ours: Ours, what: string): Promise<void> {
  const state = () =>
    `MFC ${JSON.stringify(kv.routes('inet'))}\nmemberships ${JSON.stringify(kv.memberships('inet'))}\n${ours.daemon.logs.slice(-3000)}`;
  await eventually(
    `${what}: (S,G) r0 -> r1 in the MFC`,
    () => {
      const e = kv.routes('inet').find((r) => r.source === S && r.group === G);
      return e?.iif === 'r0' && e.oifs.join(' ') === 'r1';
    },
    { state },
  );
  await eventually(`${what}: ${J} joined on r1`, () => kv.memberships('inet').some((m) => m.device === 'r1' && m.group === J), {
    state,
  });
}

/** Five datagrams from S reach a receiver on rx1 (started afresh: x0 may be new). */
async function forwards(lab: Lab, t: StarOfOne, what: string): Promise<void> {
  const rx = await Receiver.start(lab, { ns: t.rx1, iface: 'x0', joins: [{ group: G }] });
  try {
    await send(lab, { ns: t.snd, iface: 's0', groups: G, sources: S, count: 5 });
    await rx.waitFor((c) => c.of(G, S) === 5);
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`, { cause: e });
  } finally {
    await rx.stop();
  }
}

test(
  'the outbound interface down/up, deleted and made again, renamed and back, three times: routes, joins and traffic come back each time',
  { timeout: 90_000, skip },
  async () => {
    await withLab(async (lab) => {
      const t = buildStar(lab, { net: 63, receivers: 1 });
      const ours = await startOurs(lab, t.rtr, CONF);
      const kv = new KernelView(lab, t.rtr);
      await restored(kv, ours, 'start');
      await forwards(lab, t, 'start');
      for (let round = 1; round <= 3; round++) {
        lab.ip(t.rtr, 'link', 'set', 'r1', 'down');
        lab.ip(t.rtr, 'link', 'set', 'r1', 'up');
        await restored(kv, ours, `round ${round}, down/up`);
        await forwards(lab, t, `round ${round}, down/up`);

        lab.ip(t.rtr, 'link', 'del', 'r1');
        await eventually(`round ${round}: r1 gone from the MFC`, () => !kv.routes('inet').some((r) => r.oifs.includes('r1')));
        connect(lab, { ns: t.rtr, ifname: 'r1', addrs: ['10.63.2.1/24'] }, { ns: t.rx1, ifname: 'x0', addrs: ['10.63.2.2/24'] });
        await restored(kv, ours, `round ${round}, deleted and made again`);
        await forwards(lab, t, `round ${round}, deleted and made again`);

        lab.ip(t.rtr, 'link', 'set', 'r1', 'down');
        lab.ip(t.rtr, 'link', 'set', 'r1', 'name', 'r1x');
        lab.ip(t.rtr, 'link', 'set', 'r1x', 'up');
        await eventually(
          `round ${round}: nothing forwards to the renamed link`,
          () => !kv.routes('inet').some((r) => r.oifs.length > 0),
        );
        lab.ip(t.rtr, 'link', 'set', 'r1x', 'down');
        lab.ip(t.rtr, 'link', 'set', 'r1x', 'name', 'r1');
        lab.ip(t.rtr, 'link', 'set', 'r1', 'up');
        await restored(kv, ours, `round ${round}, renamed and back`);
        await forwards(lab, t, `round ${round}, renamed and back`);
      }
      assert.ok(ours.daemon.running, 'the daemon served through it all');
    });
  },
);

test(
  'SIGKILL and start again: the state is rebuilt from the configuration, stale socket and PID file replaced, traffic forwarded',
  { timeout: 60_000, skip },
  async () => {
    await withLab(async (lab) => {
      const t = buildStar(lab, { net: 63, receivers: 1 });
      const first = await startOurs(lab, t.rtr, CONF);
      const kv = new KernelView(lab, t.rtr);
      await restored(kv, first, 'first start');
      await forwards(lab, t, 'first start');
      for (let round = 1; round <= 3; round++) {
        const daemon = round === 1 ? first : await startOurs(lab, t.rtr, CONF);
        await restored(kv, daemon, `round ${round}`);
        await forwards(lab, t, `round ${round}`);
        await daemon.daemon.stop('SIGKILL');
        // The kernel drops a routing socket's table and joins when its owner dies.
        await eventually(`round ${round}: MFC flushed by the kill`, () => kv.routes('inet').length === 0);
      }
      const last = await startOurs(lab, t.rtr, CONF);
      await restored(kv, last, 'after the last kill');
      await forwards(lab, t, 'after the last kill');
    });
  },
);
