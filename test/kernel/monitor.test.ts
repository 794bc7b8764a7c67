// `smcroutectl monitor` against our smcrouted on the real kernel: two monitors (text and JSON)
// see routes added and removed, a flow learned from real traffic, a WRONGVIF move, expiry,
// reloads applied and refused, VIFs released and added, a pending rule activated; Ctrl-C ends
// them with 0, the daemon going away ends them with 1; upstream's daemon gives a clear error.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startRouter, upstreamSkipReason } from '../lib/impls.js';
import { newToken, send } from '../lib/mcast.js';
import { rootSkipReason, withLab, type Lab } from '../lib/netns.js';
import { ctl, ctlRun, startOurs, SMCROUTECTL } from '../lib/ours.js';
import type { Proc } from '../lib/proc.js';
import { KernelView } from '../lib/kview.js';
import { buildStar, connect } from '../lib/topology.js';

const skip = rootSkipReason();
const S = '10.47.1.2';
const G = '225.47.1.1';
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

type Json = Record<string, unknown>;

/** Waits for a text line matching `re` and a JSON line with these fields, in the two monitors. */
async function both(text: Proc, json: Proc, re: RegExp, fields: Json, what: string): Promise<void> {
  const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;
  await text
    .waitForLine((l) => iso.test(l) && re.test(l.replace(iso, '')), 15_000)
    .catch((e: unknown) => {
      throw new Error(`text monitor: no ${what} line ${re}\n${text.describe()}`, { cause: e });
    });
  const matches = (l: string) => {
    const o = JSON.parse(l) as Json;
    return typeof o.time === 'string' && Object.entries(fields).every(([k, v]) => JSON.stringify(o[k]) === JSON.stringify(v));
  };
  await json.waitForLine(matches, 15_000).catch((e: unknown) => {
    throw new Error(`JSON monitor: no ${what} line ${JSON.stringify(fields)}\n${json.describe()}`, { cause: e });
  });
}

function monitors(lab: Lab, ns: string, sock: string): [Proc, Proc] {
  return [
    lab.spawn(ns, SMCROUTECTL, ['-u', sock, 'monitor'], { label: 'monitor' }),
    lab.spawn(ns, SMCROUTECTL, ['-u', sock, '-j', 'monitor'], { label: 'monitor -j' }),
  ];
}

test(
  'two monitors, text and JSON, see every kind of event the router makes; SIGINT ends them with 0',
  { timeout: 120_000, skip },
  async () => {
    await withLab(async (lab) => {
      const t = buildStar(lab, { net: 47 });
      const snd2 = lab.addNs('snd2');
      connect(lab, { ns: snd2, ifname: 's1', addrs: [`${S}/24`] }, { ns: t.rtr, ifname: 'r3', addrs: ['10.47.4.1/24'] });
      const conf = [
        `mroute from r0 group 225.47.1.0/24 to r1`,
        `mroute from r3 group 225.47.1.0/24 to r1`,
        'mroute from late0 group 225.47.7.7 to r1',
        '',
      ];
      const ours = await startOurs(lab, t.rtr, conf.join('\n'), ['-c', '5']);
      const [text, json] = monitors(lab, t.rtr, ours.sock);
      await both(text, json, /^monitor started$/, { event: 'monitor-started' }, 'start');

      ctl(lab, t.rtr, ours.sock, 'add', 'r0', S, '225.47.9.9', 'r2');
      await both(
        text,
        json,
        new RegExp(`^installed \\(${esc(S)}, 225\\.47\\.9\\.9\\) from r0 to r2$`),
        { event: 'installed', source: S, group: '225.47.9.9', iif: 'r0', oifs: ['r2'], family: 'inet' },
        'installed',
      );
      ctl(lab, t.rtr, ours.sock, 'remove', 'r0', S, '225.47.9.9');
      await both(
        text,
        json,
        new RegExp(`^removed \\(${esc(S)}, 225\\.47\\.9\\.9\\) from r0$`),
        { event: 'removed', source: S, iif: 'r0' },
        'removed',
      );

      // Real traffic: a NOCACHE upcall, the flow learned from the (*,G) rule.
      await send(lab, { ns: t.snd, iface: 's0', groups: G, sources: S, count: 1, token: newToken() });
      await both(
        text,
        json,
        new RegExp(`^upcall nocache \\(${esc(S)}, ${esc(G)}\\) on r0$`),
        { event: 'upcall', kind: 'nocache', iif: 'r0' },
        'upcall',
      );
      await both(
        text,
        json,
        new RegExp(`^learned \\(${esc(S)}, ${esc(G)}\\) from r0 to r1$`),
        { event: 'learned', source: S, group: G, iif: 'r0', oifs: ['r1'] },
        'learned',
      );
      await both(
        text,
        json,
        new RegExp(`^resolved nocache \\(${esc(S)}, ${esc(G)}\\) on r0$`),
        { event: 'resolved', kind: 'nocache' },
        'resolved',
      );

      // The same flow from the other link: WRONGVIF, the entry moves. Asserts are rate limited: prime until it moved.
      const kv = new KernelView(lab, t.rtr);
      const movedTo = () => kv.routes('inet').find((r) => r.source === S && r.group === G)?.iif;
      const deadline = Date.now() + 20_000;
      while (movedTo() !== 'r3') {
        if (Date.now() > deadline) assert.fail(`the flow did not move to r3\n${text.describe()}`);
        await send(lab, { ns: snd2, iface: 's1', groups: G, sources: S, count: 1, token: newToken() });
        await new Promise((r) => setTimeout(r, 200));
      }
      await both(
        text,
        json,
        new RegExp(`^moved \\(${esc(S)}, ${esc(G)}\\) inbound r0 -> r3, to r1$`),
        { event: 'moved', from: 'r0', to: 'r3', oifs: ['r1'] },
        'moved',
      );

      // Idle past -c 5: expired.
      await both(
        text,
        json,
        new RegExp(`^expired \\(${esc(S)}, ${esc(G)}\\) from r3 \\(idle\\)$`),
        { event: 'expired', reason: 'timeout', iif: 'r3' },
        'expired',
      );

      lab.writeFile('smcrouted.conf', [...conf, 'mroute from r0 group 225.47.8.0/24 to r2', ''].join('\n'));
      ctl(lab, t.rtr, ours.sock, 'reload');
      await both(
        text,
        json,
        /^reload applied: 1 route added, 0 removed, 0 joins changed$/,
        { event: 'reload-applied', routesAdded: 1, routesRemoved: 0 },
        'reload applied',
      );
      lab.writeFile('smcrouted.conf', [...conf, 'mroute from r0 group 10.0.0.1 to r2', ''].join('\n'));
      assert.equal(ctlRun(lab, t.rtr, ours.sock, 'reload').status, 1);
      await both(
        text,
        json,
        /^reload refused: 1 error, first: \S+smcrouted\.conf:5: error: /,
        { event: 'reload-refused', errors: 1 },
        'reload refused',
      );

      // r2 deleted: its VIF and MIF go; a new r2: they come back.
      lab.ip(t.rtr, 'link', 'del', 'r2');
      await both(
        text,
        json,
        /^VIF \d+ released from r2$/,
        { event: 'vif-released', family: 'inet', ifname: 'r2' },
        'VIF released',
      );
      connect(lab, { ns: t.rtr, ifname: 'r2', addrs: ['10.47.3.1/24'] }, { ns: t.rx2, ifname: 'x0', addrs: ['10.47.3.2/24'] });
      await both(text, json, /^VIF \d+ added for r2$/, { event: 'vif-added', family: 'inet', ifname: 'r2' }, 'VIF added');

      // late0 appears: the pending rule on it becomes active.
      const rxl = lab.addNs('rxl');
      connect(lab, { ns: t.rtr, ifname: 'late0', addrs: ['10.47.9.1/24'] }, { ns: rxl, ifname: 'y0', addrs: ['10.47.9.2/24'] });
      await both(
        text,
        json,
        /^activated pending mroute \(\*, 225\.47\.7\.7\) on late0 to r1$/,
        { event: 'pending-activated', kind: 'mroute', iif: 'late0', source: null },
        'pending activated',
      );

      for (const m of [text, json]) {
        const exit = await m.stop('SIGINT');
        assert.deepEqual(exit, { code: 0, signal: null }, m.describe());
        assert.equal(m.stderr, '', m.describe());
      }
      // Every JSON line is one object with time and event first.
      for (const l of json.lines) assert.deepEqual(Object.keys(JSON.parse(l) as Json).slice(0, 2), ['time', 'event'], l);

      // SIGTERM ends one as cleanly; the daemon stopping ends the other with a message and 1.
      const [late, lateJson] = monitors(lab, t.rtr, ours.sock);
      await both(late, lateJson, /^monitor started$/, { event: 'monitor-started' }, 'second start');
      assert.deepEqual(await lateJson.stop('SIGTERM'), { code: 0, signal: null });
      await ours.daemon.stop('SIGTERM');
      const exit = await late.exited;
      assert.equal(exit.code, 1, late.describe());
      assert.match(late.stderr, /daemon ended the monitor stream: it is shutting down/);
    });
  },
);

test(
  "upstream's smcrouted does not know monitor: smcroutectl says so and exits 1 instead of waiting",
  { timeout: 60_000, skip: upstreamSkipReason() },
  async () => {
    await withLab(async (lab) => {
      const ns = lab.addNs('rtr');
      const r = await startRouter(lab, ns, 'upstream', '');
      for (const args of [['monitor'], ['-j', 'monitor']]) {
        const out = ctlRun(lab, ns, r.sock, ...args);
        assert.equal(out.status, 1, out.stderr);
        assert.match(out.stderr, /does not support monitor .*Unknown or malformed IPC message '[mM]' from client/);
      }
    });
  },
);
