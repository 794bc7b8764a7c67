// Our smcrouted's files and socket on the real kernel: a second daemon never takes over a live
// daemon's socket (and replaces a stale one), the PID file is never written through a link nor
// removed when another instance owns it, a read-only or full directory stops the start with the
// file and the reason; and who may use the socket: root, the -p group, each change logged with
// the peer's uid and pid.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { KernelView } from '../lib/kview.js';
import { rootSkipReason, run, withLab, type Lab } from '../lib/netns.js';
import { ctl, ctlRun, eventually, SMCROUTECTL, SMCROUTED, startOurs, waitLog } from '../lib/ours.js';

const skip = rootSkipReason();
const NOBODY = 65534;

/** One namespace with a veth pair inside it, a0 <-> a1: enough for routes on any table. */
function routerNs(lab: Lab): string {
  const ns = lab.addNs('rtr', { forwarding: true });
  lab.veth({ ns, ifname: 'a0' }, { ns, ifname: 'a1' });
  return ns;
}

const route = (group: string) => `mroute from a0 source 10.61.0.1 group ${group} to a1\n`;

test(
  'a second daemon (another table) with the same -u: exit 69, the first keeps its socket; a stale socket after kill -9 is replaced',
  { timeout: 60_000, skip },
  async () => {
    await withLab(async (lab) => {
      const ns = routerNs(lab);
      const first = await startOurs(lab, ns, route('225.61.1.1'), [], 'first');
      const inode = statSync(first.sock).ino;
      const conf2 = lab.writeFile('second.conf', route('225.61.2.2'));
      const pid2 = lab.path('second.pid');
      const args2 = ['-n', '-t', '7', '-f', conf2, '-u', first.sock, '-P', pid2];

      const second = lab.exec(ns, SMCROUTED, args2, { check: false });
      assert.equal(second.status, 69, second.stderr);
      assert.match(
        second.stderr,
        new RegExp(`err: IPC socket ${first.sock} belongs to a running daemon; give this one another -u FILE or -i NAME`),
      );
      assert.doesNotMatch(second.stderr, /applied/, 'refused before its configuration was applied');
      assert.equal(existsSync(pid2), false);
      assert.deepEqual(new KernelView(lab, ns).mroutes('inet', 7), []);
      // The socket is still the first daemon's, and it is the first daemon that answers.
      assert.equal(statSync(first.sock).ino, inode);
      assert.match(ctl(lab, ns, first.sock, 'show'), /225\.61\.1\.1/);

      // Killed hard, the first leaves its socket and PID file; a later start replaces both.
      assert.equal((await first.daemon.stop('SIGKILL')).signal, 'SIGKILL');
      assert.ok(existsSync(first.sock) && existsSync(first.pid));
      const replacement = await lab.startDaemon({
        ns,
        cmd: SMCROUTED,
        args: ['-n', '-t', '7', '-f', conf2, '-u', first.sock, '-P', first.pid],
        readyFiles: [first.sock],
        label: 'replacement',
      });
      await eventually(
        'the PID file rewritten by the new daemon',
        () => readFileSync(first.pid, 'utf8') === `${replacement.pid}\n`,
      );
      const shown = ctl(lab, ns, first.sock, 'show');
      assert.match(shown, /225\.61\.2\.2/);
      assert.doesNotMatch(shown, /225\.61\.1\.1/);
      assert.equal((await replacement.stop()).code, 0, replacement.logs);
      assert.equal(existsSync(first.sock), false);
      assert.equal(existsSync(first.pid), false);
    });
  },
);

test(
  'the PID file: a symlink planted at its path is not followed; a PID file another instance wrote is not removed at exit',
  { timeout: 60_000, skip },
  async () => {
    await withLab(async (lab) => {
      const ns = routerNs(lab);
      const victim = lab.writeFile('victim', 'precious\n');
      symlinkSync(victim, lab.path('smcrouted.pid'));
      const ours = await startOurs(lab, ns, route('225.61.3.3'));
      // The harness's readiness check reads through the link; the PID file comes last, so wait for it.
      await eventually('the link replaced by the PID file itself', () => lstatSync(ours.pid).isFile(), {
        state: () => ours.daemon.logs,
      });
      assert.equal(readFileSync(ours.pid, 'utf8'), `${ours.daemon.pid}\n`);
      assert.equal(readFileSync(victim, 'utf8'), 'precious\n', 'the link target was not written');

      // Another instance writes its PID there (as upstream's smcrouted would): it must survive our exit.
      writeFileSync(ours.pid, '1\n');
      assert.equal((await ours.daemon.stop()).code, 0, ours.daemon.logs);
      assert.equal(readFileSync(ours.pid, 'utf8'), '1\n');
      assert.match(ours.daemon.logs, /notice: PID file .* holds another PID now; left in place/);
      assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
    });
  },
);

/**
 * Runs smcrouted in its own mount namespace after `setup` (a shell snippet given the lab dir
 * as $1) has mounted something; the mounts vanish with the process.
 */
function startWithMounts(lab: Lab, ns: string, setup: string, args: readonly string[]) {
  const script = `${setup} && exec "$0" "$@"`;
  return lab.exec(ns, 'unshare', ['-m', 'sh', '-c', script.replaceAll('$1', lab.dir), SMCROUTED, ...args], { check: false });
}

test(
  'a read-only or full directory for the socket or PID file: exit 73 naming the file and the reason, nothing left behind',
  { timeout: 60_000, skip },
  async () => {
    await withLab((lab) => {
      const ns = routerNs(lab);
      const conf = lab.writeFile('smcrouted.conf', route('225.61.4.4'));
      mkdirSync(lab.path('ro'));
      mkdirSync(lab.path('full'));
      const rw = (name: string) => lab.path(name);
      const ro = (name: string) => `${lab.dir}/ro/${name}`;
      const full = (name: string) => `${lab.dir}/full/${name}`;
      const readOnly = 'mount --bind -o ro "$1/ro" "$1/ro"';
      // No room for data: a file can be made, not written.
      const noSpace =
        'mount -t tmpfs -o size=16k tmpfs "$1/full" && { dd if=/dev/zero of="$1/full/fill" bs=1k 2>/dev/null; true; }';
      // No inode left: nothing can be made at all, a socket neither.
      const noInodes =
        'mount -t tmpfs -o size=64k,nr_inodes=2 tmpfs "$1/full" && { touch "$1/full/a" "$1/full/b" 2>/dev/null; true; }';
      const cases: { setup: string; sock: string; pid: string; error: string }[] = [
        {
          setup: readOnly,
          sock: ro('x.sock'),
          pid: rw('x.pid'),
          error: `Cannot create IPC socket ${ro('x.sock')}: Read-only file system (EROFS)`,
        },
        {
          setup: readOnly,
          sock: rw('x.sock'),
          pid: ro('x.pid'),
          error: `Cannot create PID file ${ro('x.pid')}: Read-only file system (EROFS)`,
        },
        {
          setup: noSpace,
          sock: rw('x.sock'),
          pid: full('x.pid'),
          error: `Cannot write PID file ${full('x.pid')}: No space left on device (ENOSPC)`,
        },
        {
          setup: noInodes,
          sock: full('x.sock'),
          pid: rw('x.pid'),
          error: `Cannot create IPC socket ${full('x.sock')}: No space left on device (ENOSPC)`,
        },
      ];
      for (const c of cases) {
        const r = startWithMounts(lab, ns, c.setup, ['-n', '-t', '9', '-f', conf, '-u', c.sock, '-P', c.pid]);
        assert.equal(r.status, 73, `${c.error}\n${r.stderr}`);
        assert.ok(r.stderr.includes(`err: ${c.error}\n`), `${c.error}\n${r.stderr}`);
        assert.doesNotMatch(r.stderr, /applied/, 'refused before its configuration was applied');
        // Neither file is left where it could be made: the socket is removed again, no PID file appears.
        assert.equal(existsSync(rw('x.sock')), false, c.error);
        assert.equal(existsSync(rw('x.pid')), false, c.error);
      }
    });
  },
);

/** setpriv(1) arguments to run as `uid` with primary group `gid` and exactly `groups` besides. */
function asUser(uid: number, gid: number, groups: readonly number[] = []): string[] {
  return [`--reuid=${uid}`, `--regid=${gid}`, groups.length > 0 ? `--groups=${groups.join(',')}` : '--clear-groups'];
}

/** Why a test running this checkout as another user cannot run here. */
function otherUserSkip(): string | undefined {
  if (skip) return skip;
  const r = run('setpriv', [...asUser(NOBODY, NOBODY), 'test', '-r', SMCROUTECTL], { check: false });
  if (r.status === null) return 'needs setpriv (util-linux)';
  return r.status === 0 ? undefined : `nobody cannot read ${SMCROUTECTL}: this checkout is not world-readable`;
}

test(
  'the socket: root only by default; with -p USER:GROUP members of GROUP too, others get "Need root privileges"; changes logged with uid and pid',
  { timeout: 90_000, skip: otherUserSkip() },
  async () => {
    await withLab(async (lab) => {
      chmodSync(lab.dir, 0o755); // others must reach the socket for its own mode to decide
      const ns = routerNs(lab);
      const someone = 4242; // no passwd entry needed: setpriv takes numbers
      const asCtl = (who: string[], sock: string, ...args: string[]) =>
        lab.exec(ns, 'setpriv', [...who, SMCROUTECTL, '-u', sock, ...args], { check: false });
      const denied = 'smcroutectl: Need root privileges to connect to daemon\n';

      const rootOnly = await startOurs(lab, ns, route('225.61.5.5'), [], 'rootonly');
      const nobody = asCtl(asUser(NOBODY, NOBODY), rootOnly.sock, 'show');
      assert.equal(nobody.status, 1, nobody.stderr);
      assert.equal(nobody.stderr, denied);
      assert.equal(ctlRun(lab, ns, rootOnly.sock, 'show').status, 0);
      assert.equal((await rootOnly.daemon.stop()).code, 0);

      const grouped = await startOurs(lab, ns, route('225.61.5.5'), ['-p', 'nobody:nogroup'], 'grouped');
      await waitLog(grouped.daemon, /Root privileges dropped/);
      // nogroup as the primary group, or as a supplementary one: both may connect.
      const member = asCtl(asUser(NOBODY, NOBODY), grouped.sock, 'show');
      assert.equal(member.status, 0, member.stderr);
      assert.match(member.stdout, /225\.61\.5\.5/);
      const supplementary = asCtl(asUser(someone, someone, [NOBODY]), grouped.sock, 'show');
      assert.equal(supplementary.status, 0, supplementary.stderr);
      const outsider = asCtl(asUser(someone, someone), grouped.sock, 'show');
      assert.equal(outsider.status, 1);
      assert.equal(outsider.stderr, denied);

      // Each change names who sent it: root, and a member of the group, with the client's pid.
      const adder = lab.spawn(ns, 'setpriv', [
        ...asUser(someone, someone, [NOBODY]),
        SMCROUTECTL,
        '-u',
        grouped.sock,
        'add',
        'a0',
        '10.61.0.9',
        '225.61.6.6',
        'a1',
      ]);
      assert.equal((await adder.exited).code, 0, adder.describe());
      await waitLog(
        grouped.daemon,
        new RegExp(`info: IPC command: cmd="add a0 10\\.61\\.0\\.9 225\\.61\\.6\\.6 a1" uid=${someone} pid=${adder.pid}$`),
      );
      const flusher = lab.spawn(ns, SMCROUTECTL, ['-u', grouped.sock, 'flush']);
      assert.equal((await flusher.exited).code, 0, flusher.describe());
      await waitLog(grouped.daemon, new RegExp(`notice: IPC command: cmd=flush uid=0 pid=${flusher.pid}$`));
      assert.deepEqual(
        new KernelView(lab, ns).routes('inet').find((r) => r.group === '225.61.6.6')?.oifs,
        ['a1'],
        "the member's add was carried out",
      );
      assert.equal((await grouped.daemon.stop()).code, 0, grouped.daemon.logs);
    });
  },
);
