// smcroutectl against our IPC server with a fake Control: argument forms,
// abbreviations, help, batch mode, exit codes and rendering.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import net, { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { main, type CliIo } from '../../src/cli/smcroutectl.js';
import { startIpcServer, type IpcServer } from '../../src/ipc/server.js';
import { fail, ok } from '../../src/result.js';
import { FakeControl } from '../lib/fake-control.js';
import { SMCROUTECTL as BIN } from '../lib/ours.js';

let dir: string;
let path: string;
let server: IpcServer;
let control: FakeControl;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smct-ctl-'));
  path = join(dir, 'd.sock');
  control = new FakeControl();
  server = await startIpcServer(path, control);
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(
  args: string[],
  opts: {
    stdin?: string[];
    groups?: string[][];
    width?: number;
    argv0?: string;
    posixlyCorrect?: boolean;
    replyTimeoutMs?: number;
  } = {},
): Promise<Run> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const io: CliIo = {
    out: (d) => out.push(d),
    err: (d) => err.push(d),
    // All of stdin as one group of lines, unless the test splits it.
    lines: () => Readable.from(opts.groups ?? [opts.stdin ?? []]),
    width: () => opts.width ?? 79,
    attempts: 3,
    retryDelayMs: 1,
    replyTimeoutMs: opts.replyTimeoutMs,
  };
  const code = await main(args, io, opts.argv0 ?? 'smcroutectl', opts.posixlyCorrect);
  return { code, out: Buffer.concat(out).toString('latin1'), err: Buffer.concat(err).toString('utf8') };
}

/** Runs with -u pointing at the fake daemon, forgetting earlier calls. */
async function ctl(...args: string[]): Promise<Run> {
  control.calls.length = 0;
  control.result = ok();
  return run(['-u', path, ...args]);
}

const rule = (c: string) => c.repeat(79) + '\n';

test('show interfaces with plain headings, byte for byte', async () => {
  const r = await ctl('-p', 'show', 'interfaces');
  assert.equal(r.code, 0);
  assert.equal(r.err, '');
  // " INDEX %-*s  VIF  MIF=" between two rules of 79 '=', rows "%6d %-*s %4s %4s", then the
  // empty line upstream's client prints for the status NUL
  assert.equal(
    r.out,
    rule('=') + ' INDEX PHYINT  VIF  MIF\n' + rule('=') + '     1 lo      N/A  N/A\n     2 eth0      0    0\n\n',
  );
  assert.deepEqual(control.calls, [{ op: 'showInterfaces', mode: 'brief' }]);
});

test('-t drops headings; default mode draws them with terminal attributes', async () => {
  const t = await ctl('-t', 'show', 'groups');
  assert.equal(t.out, `(*, 225.1.1.1)${' '.repeat(28)} eth0\n\n`);
  const ansi = await run(['-u', path, 'show', 'groups'], { width: 60 });
  assert.equal(
    ansi.out,
    `\x1b[4m${' '.repeat(60)}\x1b[0m\nGroup Memberships Table\n` +
      // the heading "%-42s %-16s" is 59 characters: padded by one to the width of 60
      `\x1b[7mGROUP (S,G)${' '.repeat(31)} IIF${' '.repeat(13)} \x1b[0m\n` +
      `(*, 225.1.1.1)${' '.repeat(28)} eth0\n\n`,
  );
});

test('-d and -j pick the show mode; JSON wins over detail; no command means show routes', async () => {
  await ctl('-d', 'show');
  assert.deepEqual(control.calls, [{ op: 'showRoutes', mode: 'detail' }]);
  const j = await ctl('-d', '-j', 'show', 'pending');
  assert.deepEqual(control.calls, [{ op: 'showPending', mode: 'json' }]);
  assert.equal(j.out, '{"pending":[{"kind":"mroute","iif":"eth9","source":null,"group":"225.9.9.9","oifs":["eth1"]}]}\n\n');
  await ctl();
  assert.deepEqual(control.calls, [{ op: 'showRoutes', mode: 'brief' }]);
  // options may follow the command, as with GNU getopt
  await ctl('show', 'groups', '-dp');
  assert.deepEqual(control.calls, [{ op: 'showGroups', mode: 'detail' }]);
});

test('add, remove, join and leave pass their arguments through', async () => {
  assert.equal((await ctl('add', 'eth0', '10.0.0.1', '225.1.2.3', 'eth1', 'eth2')).code, 0);
  assert.deepEqual(control.calls, [
    { op: 'addRoute', args: { iif: 'eth0', source: '10.0.0.1', group: '225.1.2.3', oifs: ['eth1', 'eth2'] } },
  ]);
  assert.equal((await ctl('remove', 'eth0', '225.1.2.3')).code, 0);
  assert.deepEqual(control.calls, [
    { op: 'removeRoute', args: { iif: 'eth0', source: undefined, group: '225.1.2.3', oifs: [] } },
  ]);
  assert.equal((await ctl('join', 'eth0', '10.0.0.1', '232.1.1.1')).code, 0);
  assert.deepEqual(control.calls, [{ op: 'join', args: { iif: 'eth0', source: '10.0.0.1', group: '232.1.1.1' } }]);
  assert.equal((await ctl('leave', 'eth0', '225.1.1.1')).code, 0);
  assert.deepEqual(control.calls, [{ op: 'leave', args: { iif: 'eth0', group: '225.1.1.1' } }]);
});

test('commands abbreviate; the first match in table order wins', async () => {
  const cases: [string[], string][] = [
    [['r'], 'reload'],
    [['re'], 'reload'],
    [['res'], 'reload'], // restart, an alias of reload
    [['rem', 'e0', '225.1.1.1'], 'removeRoute'],
    [['d', 'e0', '225.1.1.1'], 'removeRoute'], // del
    [['a', 'e0', '225.1.1.1', 'e1'], 'addRoute'],
    [['j', 'e0', '225.1.1.1'], 'join'],
    [['l', 'e0', '225.1.1.1'], 'leave'],
    [['k'], 'kill'],
    [['f'], 'flush'],
    [['s', 'i'], 'showInterfaces'],
    [['showing', 'g'], 'showGroups'], // longer than the name: compared over the name's length
    [['foo', 'bar', 'flush'], 'flush'], // words that match nothing are skipped
    [['foo'], 'showRoutes'],
  ];
  for (const [args, op] of cases) {
    const r = await ctl(...args);
    assert.equal(r.code, 0, args.join(' '));
    assert.deepEqual(
      control.calls.map((c) => c.op),
      [op],
      args.join(' '),
    );
  }
});

test("too few arguments: warning, the command's help, exit 1, nothing sent", async () => {
  const r = await ctl('add', 'eth0', '225.1.1.1');
  assert.equal(r.code, 1);
  assert.equal(r.err, 'smcroutectl: Not enough arguments to command add\n');
  assert.equal(
    r.out,
    'Help:\n  Install a multicast route\n\nExample:\n  smcroutectl add eth0 192.0.2.10 239.1.2.3 eth1 eth2\n\n',
  );
  assert.deepEqual(control.calls, []);
  // an alias is named in the warning, its main command in the help
  const del = await ctl('del', 'eth0');
  assert.equal(del.code, 1);
  assert.equal(del.err, 'smcroutectl: Not enough arguments to command del\n');
  assert.match(del.out, /^Help:\n {2}Delete a multicast route\n\nExample:\n {2}smcroutectl remove eth0 /);
});

test('too many arguments to our commands that take a fixed number: named, exit 1, nothing sent', async () => {
  for (const [args, err] of [
    [['explain', 'eth0', '10.0.0.1', '225.1.1.1', 'x'], 'explain: [IIF] SOURCE GROUP'],
    [['top', 'x', 'y'], 'top: x y'],
    [['monitor', 'x'], 'monitor: x'],
  ] as const) {
    const r = await ctl(...args);
    assert.equal(r.code, 1, args.join(' '));
    assert.equal(r.err, `smcroutectl: Too many arguments to command ${err}\n`);
    assert.deepEqual(control.calls, []);
  }
});

test('help and version', async () => {
  const usage = await run(['help']);
  assert.equal(usage.code, 0);
  assert.match(usage.out, /^Usage:\n {2}smcroutectl \[OPTIONS\] CMD \[ARGS\]\n\nOptions:\n {2}-b {12}\S/);
  assert.match(usage.out, /\n {2}-u FILE {7}\S.*\/run\/smcroute\.sock\n\nCommands:\n {2}help {10}\S/);
  assert.match(usage.out, /\n {2}add {5}ARGS {2}\S/);
  assert.doesNotMatch(usage.out, /restart| {2}del /, 'aliases are not listed');
  assert.equal((await run(['-h'])).out, usage.out);
  assert.equal(
    (await run(['-h', 'show'])).out,
    'Help:\n  List routes, group memberships, interfaces or pending rules\n\nExample:\n  smcroutectl show \n\n',
  );
  assert.equal((await run(['help', 'restart'])).out, (await run(['help', 'reload'])).out);
  const v = await run(['-v']);
  assert.equal(v.code, 0);
  assert.match(v.out, /^SMCRoute v2\.6\.0\n\nBug report address: \S+\nProject homepage: {3}\S+\n$/);
  assert.equal((await run(['version'])).out, v.out);
  assert.equal((await run(['v', 'add'])).out, v.out);
  assert.equal((await run(['-v', '-x'])).code, 0, '-v acts before a later bad option');
});

test("bad options: getopt's message with the invoked name, usage, exit 1", async () => {
  const x = await run(['-x', 'show'], { argv0: '/usr/sbin/smcroutectl' });
  assert.equal(x.code, 1);
  assert.equal(x.err, "/usr/sbin/smcroutectl: invalid option -- 'x'\n");
  assert.match(x.out, /^Usage:\n {2}smcroutectl \[OPTIONS\]/);
  assert.equal((await run(['--bogus'])).err, "smcroutectl: unrecognized option '--bogus'\n");
  const i = await run(['-i']);
  assert.equal(i.code, 1);
  assert.equal(i.err, "smcroutectl: option requires an argument -- 'i'\n");
});

test('--help and --version, as -h and -v', async () => {
  const h = await run(['--help']);
  assert.equal(h.code, 0);
  assert.equal(h.err, '');
  assert.equal(h.out, (await run(['-h'])).out);
  assert.equal((await run(['--help', 'add'])).out, (await run(['help', 'add'])).out);
  const v = await run(['--version']);
  assert.equal(v.code, 0);
  assert.equal(v.out, (await run(['-v'])).out);
});

test('combined flags and glued arguments, as with getopt', async () => {
  control.calls.length = 0;
  const pu = await run(['-pu', path, 'show', 'interfaces']);
  assert.equal(pu.code, 0);
  assert.ok(pu.out.startsWith(rule('=')), 'plain headings');
  assert.deepEqual(control.calls, [{ op: 'showInterfaces', mode: 'brief' }]);
  control.calls.length = 0;
  await run([`-u${path}`, '-dj', 'show']);
  assert.deepEqual(control.calls, [{ op: 'showRoutes', mode: 'json' }]);
  control.calls.length = 0;
  const t = await run(['-tu', path, 'show', 'groups']);
  assert.equal(t.out, `(*, 225.1.1.1)${' '.repeat(28)} eth0\n\n`, 'no headings');
  assert.deepEqual(control.calls, [{ op: 'showGroups', mode: 'brief' }]);
});

test('"--" ends the options; POSIXLY_CORRECT ends them at the first word', async () => {
  control.calls.length = 0;
  // "-d" after "--" is a word matching no command: skipped, so this is "show"
  assert.equal((await run(['-u', path, '--', '-d', 'show'])).code, 0);
  assert.deepEqual(control.calls, [{ op: 'showRoutes', mode: 'brief' }]);
  control.calls.length = 0;
  await run(['-u', path, 'show', 'groups', '-d'], { posixlyCorrect: true });
  assert.deepEqual(control.calls, [{ op: 'showGroups', mode: 'brief' }]);
  control.calls.length = 0;
  const x = await run(['-u', path, 'show', '-x'], { posixlyCorrect: true });
  assert.equal(x.code, 0, '-x is a word there, not an option');
  const bad = await run(['-u', path, 'show', '-x']);
  assert.equal(bad.code, 1);
  assert.equal(bad.err, "smcroutectl: invalid option -- 'x'\n");
});

test('a negative number is an option letter, as in C: refused', async () => {
  const r = await run(['-u', path, 'show', '-1']);
  assert.equal(r.code, 1);
  assert.equal(r.err, "smcroutectl: invalid option -- '1'\n");
  assert.match(r.out, /^Usage:\n/);
});

test("connection failures: upstream's messages and exit 1", async () => {
  const missing = join(dir, 'missing.sock');
  const u = await run(['-u', missing, 'show']);
  assert.equal(u.code, 1);
  assert.equal(
    u.err,
    `smcroutectl: Cannot find IPC socket ${missing}\nsmcroutectl: Failed connecting to daemon: No such file or directory\n`,
  );
  const name = `smct-none-${process.pid}`;
  const i = await run(['-i', name, 'flush']);
  assert.equal(
    i.err,
    `smcroutectl: Cannot find IPC socket /run/${name}.sock\nsmcroutectl: Daemon may be running with another -i NAME\n`,
  );
  assert.equal((await run(['-I', name, 'flush'])).err, i.err, '-I is the old name of -i');

  // A socket nobody listens on refuses connections: retried, then given up.
  const stale = join(dir, 'stale.sock');
  spawnSync(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  const refused = await run(['-u', stale, 'reload']);
  assert.equal(refused.code, 1);
  assert.equal(refused.err, 'smcroutectl: Daemon not running\n');
});

test('a socket that appears while the client waits, as right after systemctl start: it connects', async () => {
  const late = join(dir, 'late.sock');
  const lateControl = new FakeControl();
  const err: Buffer[] = [];
  // The default wait (no attempts injected): 30 tries, 100 ms apart.
  const io: CliIo = { out: () => {}, err: (d) => err.push(d), lines: () => Readable.from([]), width: () => 79 };
  const client = main(['-u', late, 'reload'], io, 'smcroutectl');
  // By now the first try has met ENOENT; a client that gave up on it would have exited 1 already.
  await new Promise((r) => setTimeout(r, 250));
  const lateServer = await startIpcServer(late, lateControl);
  try {
    assert.equal(await client, 0, Buffer.concat(err).toString());
    assert.deepEqual(
      lateControl.calls.map((c) => c.op),
      ['reload'],
    );
  } finally {
    await lateServer.close();
  }
});

test('a daemon that refuses a command: its message on stderr, exit 1; show errors still exit 0', async () => {
  control.calls.length = 0;
  control.result = { ok: false, error: 'Unknown interface eth7' };
  const r = await run(['-u', path, 'add', 'eth7', '225.1.1.1', 'eth1']);
  assert.equal(r.code, 1);
  assert.equal(r.err, 'smcroutectl: Unknown interface eth7\n');
  assert.equal(r.out, '');
  // A refused reload lists its errors after the headline, one per line.
  control.result = { ok: false, error: 'Reload refused, 2 errors in a.conf\na.conf:2: error: x\na.conf:3: error: y' };
  const reload = await run(['-u', path, 'reload']);
  assert.equal(reload.code, 1);
  assert.equal(reload.err, 'smcroutectl: Reload refused, 2 errors in a.conf\na.conf:2: error: x\na.conf:3: error: y\n');
  control.result = ok();

  control.throws = new Error('boom');
  try {
    const s = await run(['-u', path, 'show']);
    assert.equal(s.code, 0);
    assert.equal(s.out, 'Internal error: boom\n');
  } finally {
    control.throws = undefined;
  }
});

test('a request too large for one frame is refused before connecting', async () => {
  const r = await run(['-u', join(dir, 'never.sock'), 'add', 'eth0', '225.1.1.1', 'x'.repeat(1100)]);
  assert.equal(r.code, 1);
  assert.equal(r.err, 'smcroutectl: Failed constructing IPC command: Message too long\n');
});

test('batch mode: one command per line, comments and blank lines skipped, exit codes summed', async () => {
  control.calls.length = 0;
  const r = await run(['-u', path, '-t', '-b'], {
    stdin: [
      '# a comment',
      'show interfaces',
      '',
      '   ',
      'add eth0 225.1.1.1  eth1',
      '  # indented comment',
      'add eth0',
      'r',
      'join eth0',
    ],
  });
  assert.equal(r.code, 2, 'two commands lacked arguments');
  assert.deepEqual(
    control.calls.map((c) => c.op),
    ['showInterfaces', 'addRoute', 'reload'],
  );
  assert.deepEqual(control.calls[1], {
    op: 'addRoute',
    args: { iif: 'eth0', source: undefined, group: '225.1.1.1', oifs: ['eth1'] },
  });
  assert.equal(r.err, 'smcroutectl: Not enough arguments to command add\nsmcroutectl: Not enough arguments to command join\n');
  assert.ok(r.out.startsWith('     1 lo      N/A  N/A\n     2 eth0      0    0\n\nHelp:\n'));
});

test('the launcher: real process, stdout, stderr and exit status', async () => {
  const exec = (args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((done) => {
      const p = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('close', (code) => done({ code, out, err }));
    });
  const ok = await exec(['-u', path, '-p', 'show', 'interfaces']);
  assert.equal(ok.code, 0);
  assert.equal(
    ok.out,
    rule('=') + ' INDEX PHYINT  VIF  MIF\n' + rule('=') + '     1 lo      N/A  N/A\n     2 eth0      0    0\n\n',
  );
  // Not a terminal: the ANSI title is 79 wide, as upstream falls back to.
  const ansi = await exec(['-u', path, 'show', 'groups']);
  assert.ok(ansi.out.startsWith(`\x1b[4m${' '.repeat(79)}\x1b[0m\n`));
  const bad = await exec(['-u', path, 'add']);
  assert.equal(bad.code, 1);
  assert.equal(bad.err, 'smcroutectl: Not enough arguments to command add\n');
});

test(
  'non-root users are told they need root',
  { skip: process.getuid?.() !== 0 && 'needs root to switch to an unprivileged user' },
  (t) => {
    chmodSync(dir, 0o711); // let others reach the 0600 socket, so connect() is refused by its mode
    const p = spawnSync(BIN, ['-u', path, 'show'], { uid: 65534, gid: 65534, encoding: 'utf8' });
    if (p.error || /EACCES|Cannot find module|ERR_MODULE/.test(p.stderr ?? '')) {
      t.skip('the checkout is not readable by an unprivileged user');
      return;
    }
    assert.equal(p.status, 1);
    assert.equal(p.stderr, 'smcroutectl: Need root privileges to connect to daemon\n');
  },
);

test("add/remove/join/leave are checked by the daemon's validator before connecting", async () => {
  const never = join(dir, 'never.sock');
  const bad = await run(['-u', never, 'join', 'eth0', '225.1.0.0/16']);
  assert.equal(bad.code, 1);
  assert.equal(bad.err, 'smcroutectl: group 225.1.0.0/16 expands to 65536 joins, at most 1024 allowed\n');
  const family = await run(['-u', never, 'add', 'eth0', 'fd00::1', '225.1.1.1', 'eth1']);
  assert.equal(family.code, 1);
  assert.match(family.err, /address families differ/);
  // A valid request does try to connect, and finds no daemon.
  const good = await run(['-u', never, 'join', 'eth0', '225.1.1.1']);
  assert.match(good.err, /Cannot find IPC socket|Failed connecting/);
});

/** A daemon stand-in on its own socket: `serve` gets each accepted connection. */
async function withFakeDaemon(serve: (sock: Socket) => void, fn: (sockPath: string) => Promise<void>): Promise<void> {
  const sockPath = join(dir, `fake-${process.hrtime.bigint()}.sock`);
  const held: Socket[] = [];
  const fake = createServer((sock) => {
    held.push(sock);
    serve(sock);
  });
  await new Promise<void>((r) => fake.listen(sockPath, r));
  try {
    await fn(sockPath);
  } finally {
    for (const s of held) s.destroy();
    await new Promise<void>((r) => fake.close(() => r()));
  }
}

test('a daemon that accepts and never answers: the client gives up after the reply timeout, exit 1', async () => {
  await withFakeDaemon(
    (sock) => sock.resume(), // reads the request, answers nothing, never closes
    async (sockPath) => {
      for (const cmd of [['reload'], ['show'], ['add', 'eth0', '225.1.1.1', 'eth1']]) {
        const r = await run(['-u', sockPath, ...cmd], { replyTimeoutMs: 300 });
        assert.equal(r.code, 1, cmd.join(' '));
        assert.equal(r.err, 'smcroutectl: No reply from daemon for 300 ms, giving up\n');
        assert.equal(r.out, '');
      }
    },
  );
});

test('the reply timeout counts silence, not the whole reply: a long show that keeps coming is read to the end', async () => {
  const chunks = 30;
  await withFakeDaemon(
    (sock) => {
      let sent = 0;
      const tick = setInterval(() => {
        if (sock.destroyed) return clearInterval(tick);
        if (++sent < chunks) return void sock.write(`line ${sent}\n`);
        clearInterval(tick);
        sock.end(Buffer.from('done\n\0'));
      }, 40);
    },
    async (sockPath) => {
      // 30 pieces 40 ms apart take far longer than the 400 ms of silence allowed.
      const r = await run(['-u', sockPath, '-t', 'show'], { replyTimeoutMs: 400 });
      assert.equal(r.err, '');
      assert.equal(r.code, 0);
      const lines = r.out.split('\n').filter(Boolean);
      assert.equal(lines.length, chunks);
      assert.equal(lines.at(-1), 'done');
    },
  );
});

test('a socket path over 107 bytes, from -u or -i, is refused before connecting', async () => {
  const long = `/tmp/${'s'.repeat(98)}.sock`;
  const u = await run(['-u', long, 'show']);
  assert.equal(u.code, 1);
  assert.equal(u.err, `smcroutectl: IPC socket path ${long} is too long: 108 bytes, a UNIX socket path takes at most 107\n`);
  const i = await run(['-i', 'n'.repeat(98), 'reload']);
  assert.equal(i.code, 1);
  assert.match(i.err, /^smcroutectl: IPC socket path \/run\/n{98}\.sock is too long: 108 bytes/);
});

test('monitor and explain check the socket path as every other request does', async () => {
  const long = `/tmp/${'s'.repeat(98)}.sock`;
  for (const words of [['monitor'], ['explain', 'eth0', '10.0.0.1', '225.1.2.3']]) {
    const r = await run(['-u', long, ...words]);
    assert.equal(r.code, 1, words[0]);
    assert.equal(r.err, `smcroutectl: IPC socket path ${long} is too long: 108 bytes, a UNIX socket path takes at most 107\n`);
  }
});

test('batch mode: lines that arrive together print and do exactly what they do one at a time', async () => {
  const lines = [
    'add eth0 225.1.1.1 eth1',
    'show interfaces',
    'help add',
    'add eth0',
    'remove eth0 225.1.1.1',
    'join eth0 fd00::1 225.1.1.1',
    'join eth0 225.2.2.2',
    'reload',
    'show groups',
    'leave eth0 225.2.2.2',
  ];
  for (const result of [ok(), fail('Failed to do that\nwith a second line')]) {
    const outcome = async (groups: string[][]) => {
      control.calls.length = 0;
      control.result = result;
      const r = await run(['-u', path, '-p', '-b'], { groups });
      return { ...r, calls: [...control.calls] };
    };
    const together = await outcome([lines]);
    const apart = await outcome(lines.map((l) => [l]));
    assert.deepEqual(together, apart);
    assert.equal(together.calls.length, 7, 'every request reached the daemon once');
  }
});

/**
 * A stand-in daemon that answers each complete frame with a bare NUL and
 * closes once it has answered `answerAtMost` frames (or all it was sent),
 * counting connections and the frames each carried.
 */
async function countingDaemon(sockPath: string, answerAtMost = Infinity) {
  const perConnection: number[] = [];
  const server = net.createServer((c) => {
    let buf = Buffer.alloc(0);
    let answered = 0;
    perConnection.push(0);
    const me = perConnection.length - 1;
    c.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 16 && buf.length >= Number(buf.readBigUInt64LE(0)) && answered < answerAtMost) {
        buf = buf.subarray(Number(buf.readBigUInt64LE(0)));
        answered++;
        perConnection[me] = answered;
        c.write(Buffer.from([0]));
      }
      if (answered >= answerAtMost || buf.length === 0) setImmediate(() => c.end());
    });
  });
  await new Promise<void>((done) => server.listen(sockPath, done));
  return { perConnection, close: () => new Promise<void>((done) => server.close(() => done())) };
}

test('batch mode: requests that arrive together share one connection; separate ones do not', async () => {
  const adds = Array.from({ length: 5 }, (_, i) => `add eth0 225.1.1.${i + 1} eth1`);
  const sock = join(dir, 'count.sock');
  const d = await countingDaemon(sock);
  try {
    const together = await run(['-u', sock, '-b'], { groups: [adds] });
    assert.equal(together.code, 0);
    assert.deepEqual(d.perConnection, [5]);
    d.perConnection.length = 0;
    const apart = await run(['-u', sock, '-b'], { groups: adds.map((a) => [a]) });
    assert.equal(apart.code, 0);
    assert.deepEqual(d.perConnection, [1, 1, 1, 1, 1]);
  } finally {
    await d.close();
  }
});

test('batch mode: requests the daemon closed on unanswered go again, one per connection', async () => {
  const adds = Array.from({ length: 5 }, (_, i) => `add eth0 225.1.1.${i + 1} eth1`);
  const sock = join(dir, 'short.sock');
  const d = await countingDaemon(sock, 2);
  try {
    const r = await run(['-u', sock, '-b'], { groups: [adds] });
    assert.equal(r.code, 0);
    assert.equal(r.err, '');
    assert.deepEqual(d.perConnection, [2, 1, 1, 1]);
  } finally {
    await d.close();
  }
});

test('reload --dry-run (-n) sends n, with -j N; the verdict decides the exit status', async () => {
  const text = await ctl('reload', '--dry-run');
  assert.deepEqual(control.calls, [{ op: 'planReload' }]);
  assert.equal(text.code, 0);
  assert.equal(text.out, 'No changes\n');
  assert.equal(text.err, '');
  // Short form, the alias, and an abbreviation of reload.
  for (const args of [
    ['-n', 'reload'],
    ['restart', '-n'],
    ['-n', 're'],
  ]) {
    const r = await ctl(...args);
    assert.deepEqual(control.calls, [{ op: 'planReload' }], args.join(' '));
    assert.equal(r.out, 'No changes\n');
  }
  const json = await ctl('-j', 'reload', '--dry-run');
  assert.equal(json.code, 0);
  assert.equal((JSON.parse(json.out) as { apply: boolean }).apply, true);

  const saved = control.plan;
  control.plan = {
    file: '/etc/smcroute.conf',
    refused: 'Reload refused, 1 error in /etc/smcroute.conf; the running configuration is kept\n/etc/smcroute.conf:3: error: bad',
    errors: [{ where: { file: '/etc/smcroute.conf', line: 3 }, severity: 'error', message: 'bad' }],
    warnings: [],
  };
  try {
    const refused = await ctl('reload', '-n');
    assert.equal(refused.code, 1);
    assert.equal(refused.out, '');
    assert.equal(
      refused.err,
      'smcroutectl: Reload refused, 1 error in /etc/smcroute.conf; the running configuration is kept\n/etc/smcroute.conf:3: error: bad\n',
    );
    const j = await ctl('-j', '-n', 'reload');
    assert.equal(j.code, 1);
    assert.deepEqual((JSON.parse(j.out) as { errors: unknown }).errors, [
      { file: '/etc/smcroute.conf', line: 3, message: 'bad' },
    ]);
  } finally {
    control.plan = saved;
  }
  // -h lists it.
  assert.match((await run(['-h'])).out, /^ {2}-n {12}With reload \(--dry-run\): /m);
});

test('--dry-run with anything but reload is a usage error, and nothing is sent', async () => {
  for (const args of [['--dry-run'], ['-n', 'show'], ['--dry-run', 'flush'], ['-n', 'add', 'eth0', '225.1.1.1', 'eth1']]) {
    const r = await ctl(...args);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.err, /^smcroutectl: --dry-run goes with reload \(or restart\) only/, args.join(' '));
    assert.match(r.out, /^Usage:/);
    assert.deepEqual(control.calls, []);
  }
});

test('reload --dry-run against a daemon that does not know it (upstream answers "malformed"): a clear error, exit 1', async () => {
  const heard: number[] = [];
  await withFakeDaemon(
    (sock) =>
      sock.once('data', (b: Buffer) => {
        heard.push(b.readUInt16LE(8));
        sock.end(`Unknown or malformed IPC message '${String.fromCharCode(b.readUInt16LE(8))}' from client.\0`);
      }),
    async (sockPath) => {
      for (const args of [
        ['reload', '--dry-run'],
        ['-j', 'reload', '-n'],
      ]) {
        const r = await run(['-u', sockPath, ...args]);
        assert.equal(r.code, 1);
        assert.equal(r.out, '');
        assert.match(r.err, /^smcroutectl: The daemon does not support reload --dry-run .*nothing was reloaded\n$/);
      }
    },
  );
  assert.deepEqual(heard, ['n'.charCodeAt(0), 'N'.charCodeAt(0)]);
});
