// The daemon's files on the fake kernel: the IPC socket and PID file are made before any route
// is installed, a live daemon's socket is never taken over, the PID file is never written
// through a link and is removed only while it holds our PID; each change is logged with its peer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon, EX, type DaemonOptions } from '../../src/daemon/daemon.js';
import { ipcRequest } from '../../src/ipc/client.js';
import { startIpcServer } from '../../src/ipc/server.js';
import { FakeKernel, FakeNetns } from '../../src/kernel/fake.js';
import { memoryLogger } from '../../src/log.js';
import { FakeControl } from '../lib/fake-control.js';
import { eth } from '../lib/fixtures.js';

const CONF = 'mroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1\n';

interface Setup {
  dir: string;
  fake: FakeKernel;
  log: ReturnType<typeof memoryLogger>;
  daemon: Daemon;
  pidFile: string;
  sockFile: string;
}

async function withSetup(fn: (s: Setup) => Promise<void>, opts: Partial<DaemonOptions> = {}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'smct-dfiles-'));
  const fake = new FakeKernel(new FakeNetns([eth(0), eth(1)]));
  const log = memoryLogger();
  const pidFile = opts.pidFile ?? join(dir, 'd.pid');
  const sockFile = opts.sockFile ?? join(dir, 'd.sock');
  const daemon = new Daemon(
    fake,
    log,
    { confFile: '/etc/test.conf', table: 0, cacheTimeout: 0, ...opts, pidFile, sockFile },
    { readFile: () => CONF, glob: (p) => [p] },
  );
  try {
    await fn({ dir, fake, log, daemon, pidFile, sockFile });
  } finally {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a symlink planted at the PID path is replaced by the PID file; its target is untouched', async () => {
  await withSetup(async ({ dir, daemon, pidFile }) => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, pidFile);
    assert.equal(await daemon.start(), undefined);
    assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
    assert.equal(lstatSync(pidFile).isFile(), true);
    assert.equal(readFileSync(pidFile, 'utf8'), `${process.pid}\n`);
    await daemon.stop();
    assert.equal(existsSync(pidFile), false, 'ours, so removed at exit');
    assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
  });
});

test('a PID file another instance wrote since is left in place at exit, and that is said', async () => {
  await withSetup(async ({ daemon, pidFile, log }) => {
    assert.equal(await daemon.start(), undefined);
    writeFileSync(pidFile, '999\n');
    await daemon.stop();
    assert.equal(readFileSync(pidFile, 'utf8'), '999\n');
    assert.ok(log.lines.includes(`notice: PID file ${pidFile} holds another PID now; left in place`), log.lines.join('\n'));
  });
});

test('a reload touches the PID file, and writes it again when it is gone', async () => {
  await withSetup(async ({ daemon, pidFile }) => {
    assert.equal(await daemon.start(), undefined);
    rmSync(pidFile);
    assert.equal(daemon.reloadConfig().ok, true);
    assert.equal(readFileSync(pidFile, 'utf8'), `${process.pid}\n`);
  });
});

test("a live daemon's IPC socket is not taken over: exit 69 (EX_UNAVAILABLE), nothing installed, its socket serves on", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smct-dfiles-'));
  const sockFile = join(dir, 'shared.sock');
  const other = new FakeControl();
  const server = await startIpcServer(sockFile, other);
  try {
    await withSetup(
      async ({ daemon, fake, log, pidFile }) => {
        assert.equal(await daemon.start(), EX.UNAVAILABLE);
        assert.ok(
          log.lines.includes(`err: IPC socket ${sockFile} belongs to a running daemon; give this one another -u FILE or -i NAME`),
          log.lines.join('\n'),
        );
        assert.deepEqual(fake.mfcs('inet'), [], 'no route was installed');
        assert.equal(fake.isOpen('inet'), false, 'the routing table was closed again');
        assert.equal(existsSync(pidFile), false);
        const reply = await ipcRequest({ path: sockFile, explicitPath: true }, 'F', []);
        assert.deepEqual(reply, Buffer.from([0]));
        assert.deepEqual(
          other.calls.map((c) => c.op),
          ['flush'],
        );
      },
      { sockFile },
    );
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an IPC socket that cannot be made: exit 73 (EX_CANTCREAT) naming it and why, before any route or PID file', async () => {
  const sockFile = '/nonexistent-smct/d.sock';
  await withSetup(
    async ({ daemon, fake, log, pidFile }) => {
      assert.equal(await daemon.start(), EX.CANTCREAT);
      // Node reports a missing directory on bind() as EACCES.
      assert.ok(
        log.lines.some((l) => /^err: Cannot create IPC socket \/nonexistent-smct\/d\.sock: .*\((EACCES|ENOENT)\)$/.test(l)),
        log.lines.join('\n'),
      );
      assert.deepEqual(fake.mfcs('inet'), [], 'no route was installed');
      assert.equal(fake.isOpen('inet'), false, 'the routing table was closed again');
      assert.equal(existsSync(pidFile), false);
    },
    { sockFile },
  );
});

test('a PID file that cannot be made: exit 73 naming it and why; no route installed, the IPC socket removed again', async () => {
  const pidFile = '/nonexistent-smct/d.pid';
  await withSetup(
    async ({ daemon, fake, log, sockFile }) => {
      assert.equal(await daemon.start(), EX.CANTCREAT);
      assert.ok(
        log.lines.includes(`err: Cannot create PID file ${pidFile}: No such file or directory (ENOENT)`),
        log.lines.join('\n'),
      );
      assert.deepEqual(fake.mfcs('inet'), []);
      assert.equal(fake.isOpen('inet'), false);
      assert.equal(existsSync(sockFile), false);
    },
    { pidFile },
  );
});

test('each state-changing command is logged with the peer uid and pid the daemon was given', async () => {
  await withSetup(
    async ({ daemon, log, sockFile }) => {
      assert.equal(await daemon.start(), undefined);
      await ipcRequest({ path: sockFile, explicitPath: true }, 'a', ['eth0', '10.0.0.9', '225.1.2.9', 'eth1']);
      await ipcRequest({ path: sockFile, explicitPath: true }, 'F', []);
      await ipcRequest({ path: sockFile, explicitPath: true }, 's', []);
      assert.deepEqual(
        log.lines.filter((l) => l.includes('IPC command')),
        [
          'info: IPC command: cmd="add eth0 10.0.0.9 225.1.2.9 eth1" uid=1000 pid=4321',
          'notice: IPC command: cmd=flush uid=1000 pid=4321',
        ],
      );
    },
    { peerCredentials: () => ({ uid: 1000, pid: 4321, gid: 1000 }) },
  );
});
