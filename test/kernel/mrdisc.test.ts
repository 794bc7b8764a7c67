// Multicast Router Discovery (RFC 4286) from our smcrouted on the real kernel: what reaches the far
// end of a link, captured with AF_PACKET and decoded field by field; solicitations answered; the
// termination on reload and on SIGTERM. Plan 45: link k is 10.45.k.0/24, the router is .1.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IgmpCapture, MRD, solicitCommand, type IgmpPacket } from '../lib/mrdisc-wire.js';
import { rootSkipReason, withLab, type Lab } from '../lib/netns.js';
import { ctl, eventually, waitLog, startOurs } from '../lib/ours.js';
import { connect } from '../lib/topology.js';

const skip = rootSkipReason();
/** The initial burst (3 within about 6 s) and one interval of 4 s, with room for a busy machine. */
const WAIT_MS = 30_000;

/** A router namespace with one link per far namespace: rNAME(ifname) -- x0(farN), link k = 10.45.k.0/24. */
function link(lab: Lab, rtr: string, ifname: string, k: number): string {
  const far = lab.addNs(`far${k}`);
  connect(lab, { ns: rtr, ifname, addrs: [`10.45.${k}.1/24`] }, { ns: far, ifname: 'x0', addrs: [`10.45.${k}.2/24`] });
  return far;
}

/** Everything RFC 4286 asks of a message on the wire, from router address `src`. */
function assertWellFormed(p: IgmpPacket, src: string, what: string): void {
  assert.equal(p.dst, '224.0.0.106', `${what}: to All-Snoopers`);
  assert.equal(p.src, src, `${what}: from the router's address on the link`);
  assert.equal(p.ttl, 1, `${what}: IP TTL 1`);
  assert.ok(p.routerAlert, `${what}: IP Router Alert option`);
  assert.ok(p.checksumOk, `${what}: IGMP checksum`);
}

function assertAdvertisement(p: IgmpPacket, src: string, interval: number, what: string): void {
  assertWellFormed(p, src, what);
  assert.equal(p.length, 8, `${what}: 8 bytes`);
  assert.equal(p.code, interval, `${what}: advertisement interval`);
  assert.equal(p.queryInterval, 0, `${what}: query interval unknown (0)`);
  assert.equal(p.robustness, 0, `${what}: robustness unknown (0)`);
}

function mrdOf(c: IgmpCapture): IgmpPacket[] {
  return c.packets().filter((p) => !p.out && p.type >= MRD.advertisement && p.type <= MRD.termination);
}

function describe(c: IgmpCapture): () => string {
  return () =>
    JSON.stringify(c.packets().map((p) => `${p.out ? 'out' : 'in'} ${p.src}>${p.dst} type 0x${p.type.toString(16)}/${p.code}`));
}

/**
 * -m 4: every advertisement (the first included) says 4 and is well formed, the interval goes on
 * after the burst, a phyint without mrdisc stays silent, and a reload dropping the flag terminates.
 */
async function advertiseThenReload(lab: Lab): Promise<void> {
  const rtr = lab.addNs('rtra');
  const far1 = link(lab, rtr, 'a1', 1);
  const far2 = link(lab, rtr, 'a2', 2);
  const cap1 = await IgmpCapture.start(lab, far1, 'x0');
  const cap2 = await IgmpCapture.start(lab, far2, 'x0');
  const ours = await startOurs(lab, rtr, 'phyint a1 enable mrdisc\nphyint a2 enable\n', ['-m', '4'], 'advertise');

  // Three in the burst, then one more: the periodic timer runs.
  const advs = await eventually(
    '4 advertisements on a1',
    () => cap1.received(MRD.advertisement).length >= 4 && cap1.received(MRD.advertisement),
    {
      timeoutMs: WAIT_MS,
      state: describe(cap1),
    },
  );
  advs.forEach((p, i) => assertAdvertisement(p, '10.45.1.1', 4, `advertisement ${i + 1}`));
  assert.deepEqual(mrdOf(cap2), [], 'no router discovery on a2 (phyint without mrdisc)');

  lab.writeFile('advertise.conf', 'phyint a1 enable\nphyint a2 enable\n');
  ctl(lab, rtr, ours.sock, 'reload');
  const [term] = await eventually(
    'a termination on a1 after the reload',
    () => cap1.received(MRD.termination).length > 0 && cap1.received(MRD.termination),
    {
      timeoutMs: WAIT_MS,
      state: describe(cap1),
    },
  );
  assert.ok(term);
  assertWellFormed(term, '10.45.1.1', 'termination');
  assert.equal(term.length, 4, 'termination: 4 bytes');
  await waitLog(ours.daemon, /mrdisc: stopped advertising on a1/);
  assert.deepEqual(mrdOf(cap2), [], 'still nothing on a2');
}

/**
 * -m 180: after the burst the next advertisement is minutes away, so one that follows a
 * solicitation within seconds is its answer. SIGTERM sends the termination.
 */
async function answerThenExit(lab: Lab): Promise<void> {
  const rtr = lab.addNs('rtrb');
  const far = link(lab, rtr, 'b1', 3);
  const cap = await IgmpCapture.start(lab, far, 'x0');
  const ours = await startOurs(lab, rtr, 'phyint b1 enable mrdisc\n', ['-m', '180'], 'answer');

  await eventually('the initial burst of 3 on b1', () => cap.received(MRD.advertisement).length >= 3, {
    timeoutMs: WAIT_MS,
    state: describe(cap),
  });
  assert.equal(cap.received(MRD.advertisement).length, 3, 'the burst is 3');
  const solicit = solicitCommand('x0');
  lab.exec(far, solicit.cmd, solicit.args);
  await waitLog(ours.daemon, /mrdisc: solicitation from 10\.45\.3\.2 on b1, answering/, WAIT_MS);
  const advs = await eventually(
    'the answer',
    () => cap.received(MRD.advertisement).length >= 4 && cap.received(MRD.advertisement),
    {
      timeoutMs: WAIT_MS,
      state: describe(cap),
    },
  );
  advs.forEach((p, i) => assertAdvertisement(p, '10.45.3.1', 180, `advertisement ${i + 1}`));

  const exit = await ours.daemon.stop('SIGTERM');
  assert.equal(exit.code, 0, 'clean exit');
  const [term] = await eventually(
    'a termination on b1 at exit',
    () => cap.received(MRD.termination).length > 0 && cap.received(MRD.termination),
    {
      timeoutMs: WAIT_MS,
      state: describe(cap),
    },
  );
  assert.ok(term);
  assertWellFormed(term, '10.45.3.1', 'termination at exit');
}

test('mrdisc on the wire: advertisements, answers to solicitations, terminations on reload and exit', { skip }, async () => {
  await withLab(async (lab) => {
    // Both take a few seconds of waiting for the schedule; run side by side in their own namespaces.
    await Promise.all([advertiseThenReload(lab), answerThenExit(lab)]);
  });
});
