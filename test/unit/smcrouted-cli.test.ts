// smcrouted's command line without a kernel: -F config checks, help,
// version, bad options and exit codes (sysexits.h, as upstream). In process
// through main(argv, io); one test runs the real launcher.

import { parseOptions } from '../../src/cli/smcrouted-options.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/smcrouted.js';
import { SMCROUTED } from '../lib/ours.js';

async function run(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const status = await main(args, { out: (t) => (stdout += t), err: (t) => (stderr += t), env });
  return { status, stdout, stderr };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'smct-cli-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('-F accepts a good file silently and exits 0', async () => {
  await withDir(async (dir) => {
    const f = join(dir, 'good.conf');
    writeFileSync(
      f,
      'phyint eth0 enable ttl-threshold 3\nmroute from eth0 group 225.1.0.0/16 to eth1\nmgroup from eth0 source 10.0.0.1 group 232.1.1.1\n',
    );
    const r = await run(['-F', f]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
  });
});

test('-F names file and line of every error and exits 78 (EX_CONFIG)', async () => {
  await withDir(async (dir) => {
    const f = join(dir, 'bad.conf');
    writeFileSync(f, 'mroute from eth0 group 225.1.2.3 to eth1\nmroute from eth0 group 10.1.2.3 to eth1\nfrobnicate eth0\n');
    const r = await run(['-F', f]);
    assert.equal(r.status, 78);
    assert.match(r.stderr, new RegExp(`${f.replace(/\./g, '\\.')}:2: error: .*10\\.1\\.2\\.3`));
    assert.match(r.stderr, new RegExp(`${f.replace(/\./g, '\\.')}:3: error: .*frobnicate`));
    assert.doesNotMatch(r.stderr, /:1:/);
  });
});

test('-F on a missing file exits 78 and says so', async () => {
  const r = await run(['-F', '/nonexistent/smcroute.conf']);
  assert.equal(r.status, 78);
  assert.match(r.stderr, /\/nonexistent\/smcroute\.conf.*does not exist/);
});

test('-F on nine files that each include *.conf: one cycle error per file, no crash, exit 78', async () => {
  await withDir(async (dir) => {
    for (let i = 1; i <= 9; i++)
      writeFileSync(join(dir, `f${i}.conf`), `include *.conf\nmroute from eth${i} group 225.1.2.3 to eth0\n`);
    const r = await run(['-F', join(dir, 'f1.conf')]);
    assert.equal(r.status, 78);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 9, r.stderr);
    lines.forEach((l, i) => assert.ok(l.startsWith(`${join(dir, `f${i + 1}.conf`)}:1: error: include: `), l));
    assert.ok(
      lines.every((l) => l.endsWith('already being read (include cycle), skipped')),
      r.stderr,
    );
  });
});

test('-F on an included file of 150,000 directives checks it whole', async () => {
  await withDir(async (dir) => {
    writeFileSync(join(dir, 'big.conf'), 'mroute from eth0 group 225.1.2.3 to eth1\n'.repeat(150_000));
    writeFileSync(join(dir, 'main.conf'), 'include big.conf\n');
    const r = await run(['-F', join(dir, 'main.conf')]);
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
  });
});

test('-h shows usage with the paths derived from -i NAME; -v shows the version', async () => {
  const h = await run(['-i', 'foo', '-h']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /\/etc\/foo\.conf/);
  assert.match(h.stdout, /\/run\/foo\.pid/);
  assert.match(h.stdout, /\/run\/foo\.sock/);
  const v = await run(['-v']);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^SMCRoute v2\.6\.0/);
});

test('unknown options, bad numbers and bad log levels exit 64 (EX_USAGE) with a message', async () => {
  const unknown = await run(['-Z']);
  assert.equal(unknown.status, 64);
  assert.match(unknown.stderr, /invalid option -- 'Z'/); // glibc's words for -Z
  const badTable = await run(['-t', 'x', '-F', '/dev/null']);
  assert.equal(badTable.status, 64);
  assert.match(badTable.stderr, /routing table ID: x \(0-99999999\)/);
  const badLevel = await run(['-l', 'loud', '-F', '/dev/null']);
  assert.equal(badLevel.status, 64);
  assert.match(badLevel.stderr, /log level: loud/);
});

test('--help and -h print the help on stdout and exit 0; --version as -v', async () => {
  const h = await run(['-h']);
  assert.equal(h.status, 0);
  assert.equal(h.stderr, '');
  assert.match(h.stdout, /^Usage:\n {2}smcrouted \[-hnNsv\]/);
  assert.match(h.stdout, /\n {2}-h, --help {6}\S/);
  assert.match(h.stdout, /\n {2}--log-format FMT\n {18}\S/);
  assert.equal((await run(['--help'])).stdout, h.stdout);
  assert.equal((await run(['--he'])).stdout, h.stdout, 'an unambiguous abbreviation, as getopt_long');
  const v = await run(['--version']);
  assert.equal(v.status, 0);
  assert.equal(v.stdout, (await run(['-v'])).stdout);
});

test('options combine and take glued arguments, as with getopt', async () => {
  // -n and -s are flags, -i takes the rest of its word, -h stops: the paths follow from NAME
  const h = await run(['-nsibar', '-h']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /\/etc\/bar\.conf/);
  assert.match(h.stdout, /\/run\/bar\.sock/);
  const glued = await run(['-F/nonexistent/x.conf']);
  assert.equal(glued.status, 78);
  assert.match(glued.stderr, /\/nonexistent\/x\.conf/);
  // -e takes "F" as its argument, so the path is a stray word
  const dF = await run(['-eF', '/dev/null']);
  assert.equal(dF.status, 64);
  assert.match(dF.stderr, /^smcrouted: Unexpected argument: \/dev\/null\n$/);
  // options may follow operands, unless POSIXLY_CORRECT
  assert.equal((await run(['-F', '/dev/null', '--', '-h'])).status, 64, 'after "--" -h is a stray word');
  assert.equal((await run(['-F', '/dev/null', '-', '-h'])).status, 0, 'a lone "-" is an operand, and -h after it still counts');
  assert.equal((await run(['-', '-h'], { POSIXLY_CORRECT: '1' })).status, 64);
});

test("bad usage: getopt's message on stderr, the usage on stdout, exit 64; -h and -v act where they stand", async () => {
  const i = await run(['-i']);
  assert.equal(i.status, 64);
  assert.equal(i.stderr, "smcrouted: option requires an argument -- 'i'\n");
  assert.match(i.stdout, /^Usage:\n/);
  assert.equal((await run(['--bogus'])).stderr, "smcrouted: unrecognized option '--bogus'\n");
  assert.equal((await run(['-h', '-Z'])).status, 0, 'upstream prints the help on meeting -h');
  assert.equal((await run(['-Z', '-h'])).status, 64);
  assert.equal((await run(['-v', '-Z'])).status, 0);
  assert.equal(
    (await run(['-c', '-1', '-F', '/dev/null'])).stderr,
    'smcrouted: Invalid cache timeout: -1 (0-2147483 seconds, 0 = never)\n',
  );
});

test('-d takes whole seconds, -e a command, -p USER[:GROUP]: anything else is bad usage (64)', async () => {
  assert.equal((await run(['-d', '0', '-F', '/dev/null'])).status, 0);
  assert.equal((await run(['-d', '2147483', '-F', '/dev/null'])).status, 0);
  for (const bad of ['x', '-1', '1.5', '', '2147484']) {
    const r = await run(['-d', bad, '-F', '/dev/null']);
    assert.equal(r.status, 64, bad);
    assert.equal(r.stderr, `smcrouted: Invalid startup delay: ${bad} (0-2147483 seconds)\n`);
    assert.match(r.stdout, /^Usage:/);
  }
  assert.equal((await run(['-e', '', '-F', '/dev/null'])).stderr, 'smcrouted: Invalid script: empty\n');
  const p = await run(['-p', 'a:b:c', '-F', '/dev/null']);
  assert.equal(p.status, 64);
  assert.equal(p.stderr, 'smcrouted: Invalid user:group argument: a:b:c\n');
});

test('-p with an unknown user or group exits 67 (EX_NOUSER) naming it, before anything starts', async () => {
  const u = await run(['-n', '-p', 'no-such-user-smct']);
  assert.equal(u.status, 67);
  assert.equal(u.stderr, 'smcrouted: -p no-such-user-smct: Unknown user no-such-user-smct\n');
  const g = await run(['-n', '-p', 'nobody:no-such-group-smct']);
  assert.equal(g.status, 67);
  assert.equal(g.stderr, 'smcrouted: -p nobody:no-such-group-smct: Unknown group no-such-group-smct\n');
});

test('the help describes -d, -e and -p as working options', async () => {
  const h = (await run(['-h'])).stdout;
  assert.match(h, /-d SEC {10}Wait SEC seconds/);
  assert.match(h, /-e CMD {10}Run "CMD reload"/);
  assert.match(h, /-p USER\[:GROUP\] Run as USER/);
  assert.deepEqual(
    h.split('\n').filter((l) => /^ {2}-[dep] .*not supported/.test(l)),
    [],
  );
});

test('--log-format takes text or json', async () => {
  assert.equal((await run(['--log-format', 'json', '-F', '/dev/null'])).status, 0);
  assert.equal((await run(['--log-format=text', '-F', '/dev/null'])).status, 0);
  const bad = await run(['--log-format', 'xml', '-F', '/dev/null']);
  assert.equal(bad.status, 64);
  assert.equal(bad.stderr, 'smcrouted: Invalid log format: xml (text or json)\n');
  assert.equal((await run(['--log-format'])).stderr, "smcrouted: option '--log-format' requires an argument\n");
});

test("the launcher: a real process, named as invoked in getopt's messages", () => {
  const v = spawnSync(process.execPath, [SMCROUTED, '-v'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^SMCRoute v2\.6\.0/);
  const bad = spawnSync(process.execPath, [SMCROUTED, '-Z'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(bad.status, 64);
  assert.equal(bad.stderr, `${SMCROUTED}: invalid option -- 'Z'\n`);
  assert.match(bad.stdout, /^Usage:\n {2}smcrouted /);
});

test('-m takes the mrdisc interval, 4 to 180 seconds as RFC 4286 and upstream; anything else is a usage error', async () => {
  for (const ok of ['4', '20', '180']) assert.equal((await run(['-m', ok, '-F', '/dev/null'])).status, 0, `-m ${ok}`);
  assert.equal(parseOptions([]).opts.mrdiscInterval, 20);
  assert.equal(parseOptions(['-m7']).opts.mrdiscInterval, 7);
  for (const bad of ['3', '181', '0', '-5', '4.5', 'x', '']) {
    const r = await run(['-m', bad, '-F', '/dev/null']);
    assert.equal(r.status, 64, `-m ${JSON.stringify(bad)}`);
    assert.equal(r.stderr, `smcrouted: Invalid mrdisc announcement interval: ${bad} (4-180 seconds)\n`);
    assert.match(r.stdout, /^Usage:\n/);
  }
  const help = await run(['-h']);
  assert.match(help.stdout, /-m SEC +Multicast router discovery \(RFC 4286\) advertisement interval/);
  assert.doesNotMatch(help.stdout, /-m SEC.*not supported/);
});

test('-c: 0 (never) up to 2147483 seconds, what a Node timer can wait; beyond it the timer would fire every ms', async () => {
  for (const ok of ['0', '1', '60', '2147483']) {
    assert.equal((await run(['-c', ok, '-F', '/dev/null'])).status, 0, `-c ${ok}`);
    assert.equal(parseOptions(['-c', ok]).opts.cacheTimeout, Number(ok));
  }
  // 2147484 s is 2^31 ms and more: setInterval would take it as 1 ms.
  for (const bad of ['2147484', '2147483648', '9007199254740993', '-1', '1.5', 'x', '']) {
    const r = await run(['-c', bad, '-F', '/dev/null']);
    assert.equal(r.status, 64, `-c ${JSON.stringify(bad)}`);
    assert.equal(r.stderr, `smcrouted: Invalid cache timeout: ${bad} (0-2147483 seconds, 0 = never)\n`);
    assert.match(r.stdout, /^Usage:\n/);
  }
});

test('-t: 0 to 99999999, the table ids both IPv4 (below 10^9) and IPv6 (below 10^8) take', async () => {
  for (const ok of ['0', '1', '253', '99999999']) {
    assert.equal((await run(['-t', ok, '-F', '/dev/null'])).status, 0, `-t ${ok}`);
    assert.equal(parseOptions(['-t', ok]).opts.table, Number(ok));
  }
  for (const bad of ['100000000', '999999999', '1000000000', '4294967295', '4294967296', '-1', 'x']) {
    const r = await run(['-t', bad, '-F', '/dev/null']);
    assert.equal(r.status, 64, `-t ${bad}`);
    assert.equal(r.stderr, `smcrouted: Invalid routing table ID: ${bad} (0-99999999)\n`);
  }
});

test('an IPC socket path longer than 107 bytes, from -u or from -i NAME, is a usage error (64), named', async () => {
  const long = `/tmp/${'s'.repeat(98)}.sock`; // 108 bytes: one too many for sun_path and its NUL
  assert.equal(Buffer.byteLength(long), 108);
  const fits = long.slice(0, -6) + '.sock';
  assert.equal(Buffer.byteLength(fits), 107);
  assert.equal(parseOptions(['-u', fits]).error, undefined);
  const u = await run(['-n', '-u', long]);
  assert.equal(u.status, 64);
  assert.equal(u.stderr, `smcrouted: IPC socket path ${long} is too long: 108 bytes, a UNIX socket path takes at most 107\n`);
  assert.match(u.stdout, /^Usage:\n/);
  // /run/NAME.sock: 5 + 98 + 5 = 108 bytes; multi-byte characters count as their bytes.
  const i = await run(['-n', '-i', 'n'.repeat(98)]);
  assert.equal(i.status, 64);
  assert.match(i.stderr, /IPC socket path \/run\/n{98}\.sock is too long: 108 bytes/);
  assert.match(parseOptions(['-u', `/tmp/${'é'.repeat(50)}.sock`]).error ?? '', /too long: 110 bytes/);
  // -F opens no socket.
  assert.equal((await run(['-u', long, '-F', '/dev/null'])).status, 0);
});

test('--max-learned takes the learned-route limit, 1 to 10000000, default 50000; anything else is a usage error', async () => {
  assert.equal(parseOptions([]).opts.maxLearned, 50_000);
  assert.equal(parseOptions(['--max-learned', '7']).opts.maxLearned, 7);
  assert.equal(parseOptions(['--max-learned=10000000']).opts.maxLearned, 10_000_000);
  for (const bad of ['0', '10000001', '-1', 'x', '']) {
    const r = await run(['--max-learned', bad, '-F', '/dev/null']);
    assert.equal(r.status, 64, `--max-learned ${JSON.stringify(bad)}`);
    assert.equal(r.stderr, `smcrouted: Invalid learned route limit: ${bad} (1-10000000)\n`);
  }
});
