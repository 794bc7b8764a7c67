// The unit's SystemCallFilter= against what the daemon really calls: smcrouted runs under strace on
// the real kernel through start-up, IPC, a learned flow, link events, reloads and exit (with -p and
// -e as an operator would set them), and every system call it and its children made must be one
// the unit allows. A call outside the list would fail with EPERM under systemd.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { send } from '../lib/mcast.js';
import { rootSkipReason, withLab } from '../lib/netns.js';
import { ctl, eventually, SMCROUTECTL, SMCROUTED } from '../lib/ours.js';
import { buildStar, starAddrs } from '../lib/topology.js';
import { analyzeSkipReason, expandSyscalls, readUnit, unitSettings } from '../lib/unit-file.js';

const NET = 73;
const A = starAddrs(NET, 'inet', 1);

function skipReason(): string | undefined {
  if (spawnSync('strace', ['-V']).error) return 'strace is missing: apt-get install -y strace (.ci/run does)';
  return rootSkipReason() ?? analyzeSkipReason();
}

/** What the unit lets through: its allow lists, less what a `~` list takes away. */
function allowedSyscalls(): Set<string> {
  const filters = unitSettings(readUnit(), 'Service').filter(([k]) => k === 'SystemCallFilter');
  const allow = expandSyscalls(filters.filter(([, v]) => !v.startsWith('~')).flatMap(([, v]) => v.split(/\s+/)));
  const deny = expandSyscalls(filters.filter(([, v]) => v.startsWith('~')).flatMap(([, v]) => v.slice(1).split(/\s+/)));
  return new Set([...allow].filter((s) => !deny.has(s)));
}

/** The system call names in a `strace -c` summary table. */
function summaryNames(text: string): string[] {
  const rows = text.split('\n');
  const start = rows.findIndex((l) => l.startsWith('------'));
  const names: string[] = [];
  for (const row of rows.slice(start + 1)) {
    if (row.startsWith('------')) break;
    const name = row.trim().split(/\s+/).pop();
    if (name !== undefined && /^[a-z_0-9]+$/.test(name)) names.push(name);
  }
  return names;
}

test(
  'every system call of the daemon and of smcroutectl reload is within SystemCallFilter=',
  { timeout: 120_000, skip: skipReason() },
  async () => {
    const allowed = allowedSyscalls();
    assert.ok(allowed.has('setsockopt') && allowed.has('recvmmsg'), 'the expansion reached the groups');
    await withLab(async (lab) => {
      const t = buildStar(lab, { net: NET, receivers: 1 });
      const conf = lab.writeFile(
        'smcrouted.conf',
        `mroute from r0 group 225.73.0.0/16 to r1\nmgroup from r0 group 225.73.9.9\nmroute from r0 source ${A.s0} group 225.74.0.1 to r1\n`,
      );
      const sock = lab.path('smcrouted.sock');
      const pid = lab.path('smcrouted.pid');
      const daemonTrace = lab.path('daemon.strace');
      // As the unit runs it: -n -s, plus the options an operator would put in /etc/default/smcroute.
      const args = ['-n', '-s', '-l', 'debug', '-p', 'nobody:nogroup', '-e', '/bin/true', '-f', conf, '-u', sock, '-P', pid];
      const daemon = await lab.startDaemon({
        ns: t.rtr,
        cmd: 'strace',
        args: ['-f', '-qq', '-c', '-o', daemonTrace, SMCROUTED, ...args],
        readyFiles: [pid, sock],
        label: 'smcrouted under strace',
      });
      const daemonPid = Number(readFileSync(pid, 'utf8').trim());

      ctl(lab, t.rtr, sock, 'show');
      ctl(lab, t.rtr, sock, 'add', 'r0', '10.73.1.9', '225.73.200.1', 'r1');
      ctl(lab, t.rtr, sock, 'join', 'r0', '225.73.9.10');
      // A flow that a (*,G) rule covers: an upcall, a learned route, the -e hook's "install".
      await send(lab, { ns: t.snd, iface: 's0', groups: '225.73.1.1', count: 3 });
      await eventually('a learned route', () => /225\.73\.1\.1/.test(lab.ip(t.rtr, 'mroute', 'show')));
      // Link events over netlink.
      lab.veth({ ns: t.rtr, ifname: 'r8' }, { ns: t.rtr, ifname: 'r9' });
      process.kill(daemonPid, 'SIGHUP');
      // The reload systemd runs as ExecReload=, inside the same filter.
      const ctlTrace = lab.path('ctl.strace');
      lab.exec(t.rtr, 'strace', ['-f', '-qq', '-c', '-o', ctlTrace, SMCROUTECTL, '-u', sock, 'reload'], { check: false });
      ctl(lab, t.rtr, sock, 'flush');
      process.kill(daemonPid, 'SIGTERM');
      const exit = await daemon.proc.exited;
      assert.equal(exit.code, 0, daemon.logs);

      for (const [who, file] of [
        ['smcrouted', daemonTrace],
        ['smcroutectl reload', ctlTrace],
      ] as const) {
        const used = summaryNames(readFileSync(file, 'utf8'));
        assert.ok(used.includes('execve') && used.length > 20, `${who}: strace summary parsed (${used.length} calls)`);
        const outside = used.filter((s) => !allowed.has(s));
        assert.deepEqual(outside, [], `${who} makes calls SystemCallFilter= refuses`);
      }
    });
  },
);
