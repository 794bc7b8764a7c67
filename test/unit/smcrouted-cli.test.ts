// smcrouted's command line without a kernel: -F config checks, help,
// version, bad options and exit codes (sysexits.h, as upstream).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMCROUTED } from '../lib/ours.js';


function run(args: string[]) {
  const r = spawnSync(process.execPath, [SMCROUTED, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'smct-cli-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('-F accepts a good file silently and exits 0', () => {
  withDir((dir) => {
    const f = join(dir, 'good.conf');
    writeFileSync(f, 'phyint eth0 enable ttl-threshold 3\nmroute from eth0 group 225.1.0.0/16 to eth1\nmgroup from eth0 source 10.0.0.1 group 232.1.1.1\n');
    const r = run(['-F', f]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
  });
});

test('-F names file and line of every error and exits 78 (EX_CONFIG)', () => {
  withDir((dir) => {
    const f = join(dir, 'bad.conf');
    writeFileSync(f, 'mroute from eth0 group 225.1.2.3 to eth1\nmroute from eth0 group 10.1.2.3 to eth1\nfrobnicate eth0\n');
    const r = run(['-F', f]);
    assert.equal(r.status, 78);
    assert.match(r.stderr, new RegExp(`${f.replace(/\./g, '\\.')}:2: error: .*10\\.1\\.2\\.3`));
    assert.match(r.stderr, new RegExp(`${f.replace(/\./g, '\\.')}:3: error: .*frobnicate`));
    assert.doesNotMatch(r.stderr, /:1:/);
  });
});

test('-F on a missing file exits 78 and says so', () => {
  const r = run(['-F', '/nonexistent/smcroute.conf']);
  assert.equal(r.status, 78);
  assert.match(r.stderr, /\/nonexistent\/smcroute\.conf.*does not exist/);
});

test('-h shows usage with the paths derived from -i NAME; -v shows the version', () => {
  const h = run(['-i', 'foo', '-h']);
  assert.equal(h.status, 0);
  assert.match(h.stdout, /\/etc\/foo\.conf/);
  assert.match(h.stdout, /\/run\/foo\.pid/);
  assert.match(h.stdout, /\/run\/foo\.sock/);
  const v = run(['-v']);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^SMCRoute v2\.6\.0/);
});

test('unknown options, bad numbers and bad log levels exit 64 (EX_USAGE) with a message', () => {
  const unknown = run(['-Z']);
  assert.equal(unknown.status, 64);
  assert.match(unknown.stderr, /-Z/);
  const badTable = run(['-t', 'x', '-F', '/dev/null']);
  assert.equal(badTable.status, 64);
  assert.match(badTable.stderr, /routing table ID: x/);
  const badLevel = run(['-l', 'loud', '-F', '/dev/null']);
  assert.equal(badLevel.status, 64);
  assert.match(badLevel.stderr, /log level: loud/);
});
