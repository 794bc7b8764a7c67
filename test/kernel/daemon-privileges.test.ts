// Our smcrouted without root on the real kernel: -p USER[:GROUP] (ids, capabilities, file
// owners and modes in /proc and on disk), routing, commands and reloads after the drop, the
// files it can no longer remove and a later start that replaces them; and a daemon started
// as a plain user with ambient capabilities (systemd's User= with AmbientCapabilities=).

import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { test } from 'node:test';
import { KernelView } from '../lib/kview.js';
import { newToken, Receiver, send } from '../lib/mcast.js';
import { rootSkipReason, run, withLab, type Lab } from '../lib/netns.js';
import { ctl, ctlRun, eventually, SMCROUTED, startOurs, waitLog } from '../lib/ours.js';
import { buildStar, starAddrs } from '../lib/topology.js';

const NOBODY = 65534;
const A = starAddrs(57, 'inet', 1);
/** Learned by the template below from real traffic. */
const STAR_GROUP = '225.57.2.9';
/** A configured (S,G). */
const SG_GROUP = '225.57.1.1';

const skip = rootSkipReason();

/** /proc/PID/status fields, by name. */
function status(pid: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0)
      out.set(
        line.slice(0, i),
        line
          .slice(i + 1)
          .trim()
          .replace(/\s+/g, ' '),
      );
  }
  return out;
}

function daemonPid(pidFile: string): number {
  return Number(readFileSync(pidFile, 'utf8').trim());
}

/** The config every daemon here gets: one (S,G) and one template, r0 -> r1. */
const CONF = [`mroute from r0 source ${A.s0} group ${SG_GROUP} to r1`, 'mroute from r0 group 225.57.2.0/24 to r1', ''].join('\n');

/**
 * A -e script that records its argument, $source/$group, and who it runs as with which
 * capabilities; its output file is writable by anyone, since the daemon may be nobody.
 */
function hookScript(lab: Lab): { script: string; out: string } {
  const out = lab.writeFile('hook.out', '');
  chmodSync(out, 0o666);
  const script = lab.writeFile(
    'hook.sh',
    `#!/bin/sh\necho "$1 source=$source group=$group uid=$(id -u) $(grep CapEff /proc/self/status | tr -d '\\t')" >> '${out}'\n`,
  );
  chmodSync(script, 0o755);
  return { script, out };
}

function hookLines(out: string): string[] {
  return readFileSync(out, 'utf8').split('\n').filter(Boolean);
}

/** Sends to STAR_GROUP until the flow is learned, then proves it is forwarded to rx1. */
async function routesRealTraffic(lab: Lab, t: { snd: string; rtr: string; rx1: string }): Promise<void> {
  const rx = await Receiver.start(lab, { ns: t.rx1, iface: 'x0', joins: [{ group: STAR_GROUP }] });
  const out = { ns: t.snd, iface: 's0', groups: STAR_GROUP, sources: A.s0 };
  await send(lab, { ...out, count: 1, token: newToken() });
  const kv = new KernelView(lab, t.rtr);
  await eventually('the flow learned in the kernel', () => kv.routes('inet').find((r) => r.group === STAR_GROUP && r.iif), {
    state: () => JSON.stringify(kv.routes('inet')),
  });
  assert.equal(await send(lab, { ...out, count: 5 }), 5);
  const n = await rx.waitFor((c) => c.of(STAR_GROUP) >= 5);
  await rx.stop();
  assert.equal(n.of(STAR_GROUP, A.s0), 5, n.toString());
}

test(
  '-p nobody:nogroup: ids and capabilities in /proc, socket 0660 to the group, then routing, add, remove, reload, -e',
  { timeout: 90_000, skip },
  async () => {
    await withLab(async (lab) => {
      chmodSync(lab.dir, 0o755); // the config is read again after the drop, as nobody
      const t = buildStar(lab, { net: 57, receivers: 1 });
      const hook = hookScript(lab);
      const ours = await startOurs(lab, t.rtr, CONF, ['-p', 'nobody:nogroup', '-e', hook.script]);
      const pid = daemonPid(ours.pid);
      await waitLog(ours.daemon, /Root privileges dropped: UID 65534 \(nobody\), GID 65534 \(nogroup\), keeping cap_net_raw/);

      const st = status(pid);
      assert.equal(st.get('Uid'), '65534 65534 65534 65534');
      assert.equal(st.get('Gid'), '65534 65534 65534 65534');
      assert.equal(st.get('Groups'), '65534');
      // CAP_NET_RAW (13) alone: routing on the open sockets needs nothing (see kernel/capabilities.ts).
      assert.equal(st.get('CapEff'), '0000000000002000');
      assert.equal(st.get('CapPrm'), '0000000000002000');
      assert.equal(st.get('CapInh'), '0000000000000000');
      assert.equal(st.get('CapAmb'), '0000000000000000');

      const sock = statSync(ours.sock);
      assert.equal(sock.mode & 0o777, 0o660, 'group members may connect');
      assert.deepEqual([sock.uid, sock.gid], [0, NOBODY]);
      const pidSt = statSync(ours.pid);
      assert.deepEqual([pidSt.uid, pidSt.gid], [NOBODY, NOBODY], 'the PID file is given to the user, so reloads can touch it');

      // Upcalls are still read and answered after the drop; so are commands.
      await routesRealTraffic(lab, t);
      const kv = new KernelView(lab, t.rtr);
      const oifs = (s: string, g: string) => kv.routes('inet').find((r) => r.source === s && r.group === g)?.oifs;
      assert.deepEqual(oifs(A.s0, SG_GROUP), ['r1']);
      ctl(lab, t.rtr, ours.sock, 'add', 'r0', '10.57.1.7', '225.57.3.3', 'r1');
      assert.deepEqual(oifs('10.57.1.7', '225.57.3.3'), ['r1']);
      ctl(lab, t.rtr, ours.sock, 'remove', 'r0', '10.57.1.7', '225.57.3.3');
      assert.equal(oifs('10.57.1.7', '225.57.3.3'), undefined);

      // Reloads read the file as nobody and still change the kernel: by SIGHUP and by smcroutectl.
      lab.writeFile('smcrouted.conf', `${CONF}mroute from r0 source 10.57.1.8 group 225.57.4.4 to r1\n`);
      process.kill(pid, 'SIGHUP');
      await eventually('the SIGHUP reload in the kernel', () => oifs('10.57.1.8', '225.57.4.4')?.length === 1);
      lab.writeFile('smcrouted.conf', CONF);
      ctl(lab, t.rtr, ours.sock, 'reload');
      assert.equal(oifs('10.57.1.8', '225.57.4.4'), undefined);

      // The script runs as nobody with no capabilities at all.
      const lines = await eventually('three reload runs and one install', () => {
        const l = hookLines(hook.out);
        return l.length >= 4 && l;
      });
      assert.deepEqual(lines.filter((l) => l.startsWith('reload')).length, 3, lines.join('\n'));
      assert.ok(lines.includes(`install source=${A.s0} group=${STAR_GROUP} uid=65534 CapEff:0000000000000000`), lines.join('\n'));
      assert.ok(
        lines.every((l) => l.endsWith('uid=65534 CapEff:0000000000000000')),
        lines.join('\n'),
      );

      const exit = await ours.daemon.stop();
      assert.equal(exit.code, 0, ours.daemon.logs);
      assert.deepEqual(kv.mfc('inet'), [], 'the table is flushed at exit, as nobody too');
      // Both stay: /tmp/... is root's, and so is /run. Said, not crashed on.
      assert.match(ours.daemon.logs, /notice: Cannot remove PID file .*: Permission denied \(EACCES\)/);
      assert.match(ours.daemon.logs, /notice: Cannot remove IPC socket /);
      assert.ok(existsSync(ours.pid) && existsSync(ours.sock));

      // A later start as root replaces both; without a group the socket is root's alone.
      const again = lab.spawn(t.rtr, SMCROUTED, ['-n', '-i', `smct-${lab.id}`, '-f', ours.conf, '-u', ours.sock, '-P', ours.pid]);
      await eventually(
        'the second daemon serving',
        () => ctlRun(lab, t.rtr, ours.sock, 'show').status === 0 && daemonPid(ours.pid) === again.pid,
      );
      const sock2 = statSync(ours.sock);
      assert.equal(sock2.mode & 0o777, 0o600);
      assert.deepEqual([sock2.uid, sock2.gid], [0, 0]);
      assert.deepEqual(oifs(A.s0, SG_GROUP), ['r1']);
      assert.equal((await again.stop()).code, 0, again.describe());
    });
  },
);

test('-p nobody: the primary group, and the IPC socket stays root-only (0600)', { timeout: 60_000, skip }, async () => {
  await withLab(async (lab) => {
    chmodSync(lab.dir, 0o755);
    const t = buildStar(lab, { net: 57, receivers: 1 });
    const ours = await startOurs(lab, t.rtr, CONF, ['-p', 'nobody']);
    await waitLog(ours.daemon, /Root privileges dropped: UID 65534 \(nobody\), GID 65534, keeping cap_net_raw/);
    const st = status(daemonPid(ours.pid));
    assert.equal(st.get('Uid'), '65534 65534 65534 65534');
    assert.equal(st.get('Gid'), '65534 65534 65534 65534');
    const sock = statSync(ours.sock);
    assert.equal(sock.mode & 0o777, 0o600);
    assert.deepEqual([sock.uid, sock.gid], [0, 0]);
    // Root still gets in; the daemon's own access to its socket does not matter.
    ctl(lab, t.rtr, ours.sock, 'add', 'r0', '10.57.1.7', '225.57.3.3', 'r1');
    assert.equal(new KernelView(lab, t.rtr).routes('inet').find((r) => r.group === '225.57.3.3')?.iif, 'r0');
    assert.equal((await ours.daemon.stop()).code, 0, ours.daemon.logs);
  });
});

/** setpriv(1) from util-linux: run as nobody, with the given capabilities ambient (kept across exec). */
function asNobody(caps: string): string[] {
  const args = [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];
  if (caps) args.push(`--inh-caps=${caps}`, `--ambient-caps=${caps}`);
  return args;
}

/** Why a test running this checkout as nobody cannot run here (its files must be readable to nobody). */
function nobodySkip(): string | undefined {
  if (skip) return skip;
  const r = run('setpriv', [...asNobody(''), 'test', '-r', SMCROUTED], { check: false });
  if (r.status === null) return 'needs setpriv (util-linux)';
  return r.status === 0 ? undefined : `nobody cannot read ${SMCROUTED}: this checkout is not world-readable`;
}

test(
  'started as nobody with ambient CAP_NET_ADMIN and CAP_NET_RAW (systemd User=): starts, routes, takes commands',
  { timeout: 90_000, skip: nobodySkip() },
  async () => {
    await withLab(async (lab) => {
      chmodSync(lab.dir, 0o777); // its PID file and socket are created as nobody
      const t = buildStar(lab, { net: 57, receivers: 1 });
      const cfg = lab.writeFile('smcrouted.conf', CONF);
      const sock = lab.path('smcrouted.sock');
      const pid = lab.path('smcrouted.pid');
      const daemon = await lab.startDaemon({
        ns: t.rtr,
        cmd: 'setpriv',
        args: [...asNobody('+net_admin,+net_raw'), SMCROUTED, '-n', '-l', 'debug', '-f', cfg, '-u', sock, '-P', pid],
        readyFiles: [pid, sock],
        label: 'smcrouted as nobody',
      });
      const st = status(daemonPid(pid));
      assert.equal(st.get('Uid'), '65534 65534 65534 65534');
      assert.equal(st.get('CapEff'), '0000000000003000');
      const kv = new KernelView(lab, t.rtr);
      assert.deepEqual(kv.routes('inet').find((r) => r.group === SG_GROUP)?.oifs, ['r1']);
      await routesRealTraffic(lab, t);
      ctl(lab, t.rtr, sock, 'add', 'r0', '10.57.1.7', '225.57.3.3', 'r1');
      assert.deepEqual(kv.routes('inet').find((r) => r.group === '225.57.3.3')?.oifs, ['r1']);
      assert.equal((await daemon.stop()).code, 0, daemon.logs);
      // Its own files, in a directory it may write: removed at exit as usual.
      assert.equal(existsSync(pid), false);
      assert.equal(existsSync(sock), false);
    });
  },
);

test(
  'started as nobody without those capabilities: refused with exit 77 (EX_NOPERM), as without root',
  { timeout: 30_000, skip: nobodySkip() },
  async () => {
    await withLab((lab) => {
      const ns = lab.addNs('rtr');
      for (const caps of ['', '+net_admin']) {
        const r = lab.exec(ns, 'setpriv', [...asNobody(caps), SMCROUTED, '-n', '-f', '/dev/null'], { check: false });
        assert.equal(r.status, 77, `${caps}: ${r.stderr}`);
        assert.equal(r.stderr, 'smcrouted: Need root privileges (or CAP_NET_ADMIN and CAP_NET_RAW) to start smcrouted\n');
      }
    });
  },
);
