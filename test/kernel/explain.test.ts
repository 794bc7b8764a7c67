// `smcroutectl explain` against our daemon on the real kernel: every verdict and every reason code,
// produced by real traffic from a sender namespace (or by the state that explains its absence).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Explanation } from '../../src/core/explain.js';
import { upstreamSkipReason, startRouter } from '../lib/impls.js';
import { send } from '../lib/mcast.js';
import { rootSkipReason, withLab, type Lab } from '../lib/netns.js';
import { ctl, ctlRun, eventually, startOurs } from '../lib/ours.js';
import { buildStar, starAddrs } from '../lib/topology.js';

const skip = rootSkipReason();
const V4 = starAddrs(71, 'inet', 3);
const V6 = starAddrs(71, 'inet6', 3);
/** A second source on the sender's link with no route back to it from the router. */
const STRAY = '10.71.99.1';

function explainJson(lab: Lab, ns: string, sock: string, ...args: string[]): Explanation {
  return JSON.parse(ctl(lab, ns, sock, '-j', 'explain', ...args)) as Explanation;
}

const codes = (e: Explanation) => e.reasons.map((r) => r.code);

/** Sends `count` datagrams 25 ms apart in the background, so explain can sample one. */
function trickle(lab: Lab, ns: string, groups: string, sources: string, ttl: number, count = 200): Promise<number> {
  const sending = send(lab, { ns, iface: 's0', groups, sources, ttl, count, intervalMs: 25 });
  // A failed assertion ends the lab, and the sender with it: that is not the failure to report.
  sending.catch(() => {});
  return sending;
}

/** Explain until `ok` holds for its JSON (traffic and learning take a moment); returns that JSON. */
function explainUntil(lab: Lab, ns: string, sock: string, args: string[], ok: (e: Explanation) => boolean): Promise<Explanation> {
  let last: Explanation | undefined;
  return eventually(
    `explain ${args.join(' ')}`,
    () => {
      last = explainJson(lab, ns, sock, ...args);
      return ok(last) ? last : undefined;
    },
    { timeoutMs: 20_000, state: () => JSON.stringify(last) },
  );
}

test('inet: explain gives each verdict and each reason, with traffic where it matters', { timeout: 180_000, skip }, async () => {
  await withLab(async (lab) => {
    const t = buildStar(lab, { net: 71, receivers: 3, families: ['inet', 'inet6'] });
    lab.addAddrs(t.snd, 's0', [`${STRAY}/32`]);
    const S = V4.s0;
    const ours = await startOurs(
      lab,
      t.rtr,
      [
        'phyint r2 ttl-threshold 5',
        'phyint r3 disable',
        `mroute from r0 source ${S} group 225.71.0.1 to r1`,
        `mroute from r0 source ${S} group 225.71.0.2 to r2`,
        `mroute from r1 source ${S} group 225.71.0.3 to r2`,
        `mroute from r9 source ${S} group 225.71.0.4 to r1`,
        'mroute from r0 group 225.71.0.7 to r1',
        '',
      ].join('\n'),
    );
    const sock = ours.sock;

    // not-seen: nothing sent, no rule; the kernel has no entry.
    const unseen = explainJson(lab, t.rtr, sock, 'r0', S, '225.71.0.6');
    assert.equal(unseen.verdict, 'not-seen');
    assert.deepEqual(codes(unseen), ['no-rule']);
    assert.equal(unseen.kernel, null);
    assert.equal(unseen.rule, null);

    // forwarded, with a live packet's TTL; IIF left out: the kernel's entry names it.
    const fwd = trickle(lab, t.snd, '225.71.0.1', S, 8);
    const forwarded = await explainUntil(
      lab,
      t.rtr,
      sock,
      [S, '225.71.0.1'],
      (e) => e.kernel !== null && Number(e.kernel.packets) > 0,
    );
    assert.equal(forwarded.verdict, 'forwarded');
    assert.deepEqual(forwarded.flow, { iif: 'r0', source: S, group: '225.71.0.1' });
    assert.deepEqual(forwarded.oifs, ['r1']);
    assert.deepEqual(forwarded.rule, { iif: 'r0', source: S, group: '225.71.0.1', oifs: ['r1'] });
    assert.deepEqual(codes(forwarded), []);
    const text = ctl(lab, t.rtr, sock, 'explain', S, '225.71.0.1');
    assert.match(text, /^Verdict: forwarded -- 10\.71\.1\.2 -> 225\.71\.0\.1 on r0 -> r1: /);
    assert.match(text, /\n 1\. Inbound interface r0, taken from the kernel's entry/);
    assert.match(text, /A live packet sampled on r0 had TTL 8\./);
    await fwd;

    // ttl: the same flow sent with TTL 1 while explain samples.
    const low = trickle(lab, t.snd, '225.71.0.1', S, 1);
    const ttl1 = await explainUntil(lab, t.rtr, sock, ['r0', S, '225.71.0.1'], (e) => codes(e).includes('ttl'));
    assert.match(ttl1.reasons.find((r) => r.code === 'ttl')?.text ?? '', /with TTL 1:/);
    await low;

    // ttl-threshold: r2's threshold 5; a packet with TTL 3 is too low for it (ttl).
    const thr = trickle(lab, t.snd, '225.71.0.2', S, 3);
    const threshold = await explainUntil(lab, t.rtr, sock, ['r0', S, '225.71.0.2'], (e) => codes(e).includes('ttl'));
    assert.equal(threshold.verdict, 'forwarded');
    assert.deepEqual(codes(threshold), ['ttl-threshold', 'ttl']);
    assert.match(threshold.reasons[0]?.text ?? '', /r2 has TTL threshold 5: only packets arriving with TTL 6 or more/);
    await thr;

    // stopped: no rule anywhere, so the first packet leaves a stop filter.
    const none = trickle(lab, t.snd, '225.71.0.5', S, 8, 40);
    const stop = await explainUntil(lab, t.rtr, sock, ['r0', S, '225.71.0.5'], (e) => e.kernel !== null);
    assert.equal(stop.verdict, 'stopped');
    assert.deepEqual(codes(stop), ['no-rule']);
    assert.deepEqual(stop.kernel?.oifs, []);
    assert.equal(stop.kernel?.learned, true);
    assert.deepEqual(stop.oifs, []);
    await none;

    // wrong-iif: the rule (and so the kernel's entry) wants r1; the packets come in on r0.
    const wrong = trickle(lab, t.snd, '225.71.0.3', S, 8, 40);
    const stopped = await explainUntil(lab, t.rtr, sock, ['r0', S, '225.71.0.3'], (e) => Number(e.kernel?.wrongIf ?? 0) > 0);
    assert.equal(stopped.verdict, 'stopped');
    assert.deepEqual(codes(stopped), ['no-rule', 'wrong-iif']);
    assert.match(stopped.reasons[1]?.text ?? '', /arrives on r1, not on r0/);
    assert.equal(stopped.kernel?.iif, 'r1');
    assert.deepEqual(stopped.oifs, []);
    await wrong;

    // pending: the rule waits for r9; IIF left out, the pending rule names it.
    const pending = explainJson(lab, t.rtr, sock, S, '225.71.0.4');
    assert.equal(pending.verdict, 'pending');
    assert.deepEqual(codes(pending), ['pending', 'iif-down']);
    assert.match(pending.reasons[0]?.text ?? '', /waits for r9 to appear/);
    assert.match(ctl(lab, t.rtr, sock, 'explain', S, '225.71.0.4'), /taken from the only pending rule covering the flow/);

    // rp-filter: strict on r0, and no route back to STRAY at all; the kernel drops before routing.
    lab.sysctl(t.rtr, { 'net.ipv4.conf.r0.rp_filter': 1 });
    const stray = trickle(lab, t.snd, '225.71.0.7', STRAY, 8, 40);
    const rp = explainJson(lab, t.rtr, sock, 'r0', STRAY, '225.71.0.7');
    assert.equal(rp.verdict, 'not-seen');
    assert.deepEqual(codes(rp), ['rp-filter']);
    assert.match(rp.reasons[0]?.text ?? '', /no route back to 10\.71\.99\.1/);
    await stray;
    // Loose mode with a route back through r0 lets it through: learned from the template.
    lab.sysctl(t.rtr, { 'net.ipv4.conf.r0.rp_filter': 2 });
    lab.ip(t.rtr, 'route', 'add', `${STRAY}/32`, 'via', V4.s0, 'dev', 'r0');
    const passes = trickle(lab, t.snd, '225.71.0.7', STRAY, 8, 200);
    const learned = await explainUntil(lab, t.rtr, sock, ['r0', STRAY, '225.71.0.7'], (e) => e.verdict === 'forwarded');
    assert.deepEqual(codes(learned), []);
    assert.equal(learned.kernel?.learned, true);
    await passes;

    // no-vif: r3 is disabled by phyint.
    const novif = explainJson(lab, t.rtr, sock, 'r3', S, '225.71.0.1');
    assert.ok(codes(novif).includes('no-vif'), JSON.stringify(novif));
    assert.match(novif.reasons.find((r) => r.code === 'no-vif')?.text ?? '', /`phyint r3 disable`/);

    // no-multicast-flag and iif-down, read off the links as they are now.
    lab.ip(t.rtr, 'link', 'set', 'r2', 'multicast', 'off');
    const nomc = await explainUntil(lab, t.rtr, sock, ['r2', S, '225.71.0.1'], (e) => codes(e).includes('no-multicast-flag'));
    assert.match(nomc.reasons.find((r) => r.code === 'no-multicast-flag')?.text ?? '', /ip link set r2 multicast on/);
    lab.ip(t.rtr, 'link', 'set', 'r1', 'down');
    const down = await explainUntil(lab, t.rtr, sock, ['r1', S, '225.71.0.3'], (e) => codes(e).includes('iif-down'));
    assert.match(down.reasons.find((r) => r.code === 'iif-down')?.text ?? '', /ip link set r1 up/);
    assert.match(ctl(lab, t.rtr, sock, 'explain', 'r1', S, '225.71.0.3'), /No packet was sampled \(r1 is not up\)/);

    // Refusals are clear messages, not a hang.
    const bad = ctlRun(lab, t.rtr, sock, 'explain', 'r0', 'nonsense', '225.71.0.1');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /explain: invalid source address: nonsense/);
    const ambiguous = ctlRun(lab, t.rtr, sock, 'explain', S, '225.71.0.9');
    assert.equal(ambiguous.status, 1);
    assert.match(ambiguous.stderr, /no rule or kernel entry names an inbound interface/);
  });
});

test('inet6: explain gives forwarded, no-rule and wrong-iif with traffic', { timeout: 120_000, skip }, async () => {
  await withLab(async (lab) => {
    const t = buildStar(lab, { net: 71, receivers: 2, families: ['inet', 'inet6'] });
    const S = V6.s0;
    const ours = await startOurs(
      lab,
      t.rtr,
      [`mroute from r0 source ${S} group ff0e::71:1 to r1`, `mroute from r1 source ${S} group ff0e::71:3 to r2`, ''].join('\n'),
    );
    const fwd = trickle(lab, t.snd, 'ff0e::71:1', S, 8);
    const forwarded = await explainUntil(
      lab,
      t.rtr,
      ours.sock,
      ['r0', S, 'ff0e::71:1'],
      (e) => Number(e.kernel?.packets ?? 0) > 0,
    );
    assert.equal(forwarded.verdict, 'forwarded');
    assert.deepEqual(forwarded.oifs, ['r1']);
    assert.deepEqual(codes(forwarded), []);
    assert.match(ctl(lab, t.rtr, ours.sock, 'explain', 'r0', S, 'ff0e::71:1'), /A live packet sampled on r0 had TTL 8\./);
    await fwd;

    const wrong = trickle(lab, t.snd, 'ff0e::71:3', S, 8, 40);
    const stopped = await explainUntil(lab, t.rtr, ours.sock, ['r0', S, 'ff0e::71:3'], (e) => Number(e.kernel?.wrongIf ?? 0) > 0);
    assert.equal(stopped.verdict, 'stopped');
    assert.deepEqual(codes(stopped), ['no-rule', 'wrong-iif']);
    await wrong;
  });
});

test(
  "our explain against upstream's C daemon is a clear error, not a hang",
  { timeout: 60_000, skip: upstreamSkipReason() },
  async () => {
    await withLab(async (lab) => {
      const t = buildStar(lab, { net: 71, receivers: 1 });
      const c = await startRouter(lab, t.rtr, 'upstream', 'phyint r0 enable\nphyint r1 enable\n');
      for (const args of [['explain'], ['-j', 'explain']]) {
        const r = ctlRun(lab, t.rtr, c.sock, ...args, 'r0', V4.s0, '225.71.0.1');
        assert.equal(r.status, 1, r.stdout);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, /explain: this daemon does not support explain \(it answered: Unknown or malformed IPC message/);
      }
    });
  },
);
