// smcrouted under a stand-in for systemd's notification socket, on the real kernel: READY=1 once
// the configured routes are in the kernel, RELOADING=1 (with MONOTONIC_USEC) then READY=1 around
// each reload, STOPPING=1 at exit, every datagram sent by the PID that was started (NotifyAccess=main).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rootSkipReason, withLab, type Lab } from '../lib/netns.js';
import { startNotifyListener, type NotifyListener, type NotifyMessage } from '../lib/notify-listener.js';
import { ctlRun, SMCROUTED, waitLog, type Ours } from '../lib/ours.js';

const skip = rootSkipReason();
const ROUTES = 300;

/** (S,G) routes from r0 to r1: enough that a READY=1 sent before they are in would be caught. */
function routesConf(): string {
  const lines: string[] = [];
  for (let i = 0; i < ROUTES; i++) lines.push(`mroute from r0 source 10.71.0.1 group 225.71.${i >> 8}.${i & 255} to r1`);
  return `${lines.join('\n')}\n`;
}

/**
 * As startOurs, with NOTIFY_SOCKET in the environment (`env` execs in place, so the PID stays the
 * daemon's). Waits for the PID file and socket only when told: else READY=1 is the only sign.
 */
async function startNotified(lab: Lab, ns: string, notifySocket: string, waitFiles: boolean): Promise<Ours> {
  const conf = lab.writeFile('smcrouted.conf', routesConf());
  const sock = lab.path('smcrouted.sock');
  const pid = lab.path('smcrouted.pid');
  const args = ['-n', '-l', 'debug', '-i', `smct-${lab.id}`, '-f', conf, '-u', sock, '-P', pid];
  const daemon = await lab.startDaemon({
    ns,
    cmd: 'env',
    args: [`NOTIFY_SOCKET=${notifySocket}`, SMCROUTED, ...args],
    readyFiles: waitFiles ? [pid, sock] : [],
    label: 'smcrouted',
  });
  return { daemon, conf, sock, pid };
}

function kernelRoutes(lab: Lab, ns: string): number {
  return lab
    .ip(ns, 'mroute', 'show')
    .split('\n')
    .filter((l) => /Iif: r0/.test(l)).length;
}

const nowUsec = (): bigint => process.hrtime.bigint() / 1000n;

/** RELOADING=1 then READY=1 after message `from`, both from `pid`, with a MONOTONIC_USEC taken after `since`. */
async function expectReload(
  listener: NotifyListener,
  pid: number,
  from: number,
  since: bigint,
): Promise<[NotifyMessage, number]> {
  const [reloading, r] = await listener.waitFor('RELOADING', '1', from);
  const [ready, i] = await listener.waitFor('READY', '1', r + 1);
  assert.equal(reloading.pid, pid, 'RELOADING=1 comes from the main PID');
  assert.equal(ready.pid, pid, 'READY=1 after a reload comes from the main PID');
  const usec = BigInt(reloading.fields.get('MONOTONIC_USEC') ?? '-1');
  assert.ok(
    usec >= since && usec <= reloading.receivedUsec,
    `MONOTONIC_USEC ${usec} within [${since}, ${reloading.receivedUsec}]`,
  );
  assert.ok(
    listener
      .messages()
      .slice(r + 1, i)
      .every((m) => !m.fields.has('READY')),
    'no READY=1 between RELOADING=1 and its own',
  );
  return [ready, i];
}

for (const kind of ['path', 'abstract'] as const) {
  test(
    `sd_notify over ${kind === 'path' ? 'a path' : 'an abstract'} socket: READY after the routes, reloads, STOPPING`,
    { timeout: 90_000, skip },
    async () => {
      await withLab(async (lab) => {
        const rtr = lab.addNs('rtr', { forwarding: true });
        lab.veth({ ns: rtr, ifname: 'r0' }, { ns: rtr, ifname: 'r1' });
        const name = kind === 'path' ? lab.path('notify.sock') : `@smct-${lab.id}-notify`;
        const listener = await startNotifyListener(lab, rtr, name, true);
        const ours = await startNotified(lab, rtr, name, false);
        const pid = ours.daemon.pid;

        // The listener stopped the daemon as READY=1 arrived: the kernel is as it was then.
        const [ready, first] = await listener.waitFor('READY', '1');
        try {
          assert.equal(ready.pid, pid, 'READY=1 comes from the PID that was started');
          assert.equal(kernelRoutes(lab, rtr), ROUTES, 'every configured route is in the kernel when READY=1 is sent');
        } finally {
          process.kill(pid, 'SIGCONT');
        }
        assert.equal(ready.fields.get('MAINPID'), String(pid));
        assert.equal(ready.fields.get('STATUS'), `Ready: ${ROUTES} rules, ${ROUTES} kernel routes, 0 group memberships`);
        assert.equal(first, 0, 'nothing before READY=1');

        // SIGHUP, as systemctl reload's ExecReload ends up doing.
        let since = nowUsec();
        process.kill(pid, 'SIGHUP');
        const [reloaded, i1] = await expectReload(listener, pid, first + 1, since);
        assert.match(reloaded.fields.get('STATUS') ?? '', /^Reloaded: 300 rules/);

        // A broken file is refused; systemd still hears READY=1, and why in STATUS.
        lab.writeFile('smcrouted.conf', 'mroute from r0 group 10.1.2.3 to r1\n');
        since = nowUsec();
        const refused = ctlRun(lab, rtr, ours.sock, 'reload');
        assert.notEqual(refused.status, 0, 'smcroutectl reload reports the refusal');
        const [kept, i2] = await expectReload(listener, pid, i1 + 1, since);
        assert.match(kept.fields.get('STATUS') ?? '', /^Reload refused, 1 error in .*smcrouted\.conf.*\(300 rules/);
        assert.equal(kernelRoutes(lab, rtr), ROUTES, 'the running configuration stays');

        const exit = await ours.daemon.stop('SIGTERM');
        assert.deepEqual(exit, { code: 0, signal: null });
        const [stopping] = await listener.waitFor('STOPPING', '1', i2 + 1);
        assert.equal(stopping.pid, pid, 'STOPPING=1 comes from the main PID');
        assert.ok(!ours.daemon.logs.includes('Cannot notify'), ours.daemon.logs);
      });
    },
  );
}

test('without a listener on NOTIFY_SOCKET the daemon warns and serves on', { timeout: 60_000, skip }, async () => {
  await withLab(async (lab) => {
    const rtr = lab.addNs('rtr', { forwarding: true });
    lab.veth({ ns: rtr, ifname: 'r0' }, { ns: rtr, ifname: 'r1' });
    const ours = await startNotified(lab, rtr, lab.path('nobody-listens.sock'), true);
    await waitLog(ours.daemon, /warning: Cannot notify the service manager at .*nobody-listens\.sock: No such file or directory/);
    assert.equal(kernelRoutes(lab, rtr), ROUTES);
    assert.deepEqual(await ours.daemon.stop('SIGTERM'), { code: 0, signal: null });
  });
});
