// The PID file on a real file system in a temp dir: written by rename, never through a link,
// touched without following one, removed only while it holds our PID.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  lstatSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PidFile } from '../../src/daemon/pid-file.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'smct-pid-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PID = 4242;

test('stage writes beside the final name, commit renames it into place; nothing else is left', () => {
  withDir((dir) => {
    const path = join(dir, 'd.pid');
    const f = new PidFile(path, undefined, undefined, PID);
    assert.deepEqual(f.stage(), { ok: true, value: undefined });
    assert.equal(readdirSync(dir).length, 1);
    assert.equal(readdirSync(dir).includes('d.pid'), false, 'not in place before commit');
    assert.deepEqual(f.commit(), { ok: true, value: undefined });
    assert.deepEqual(readdirSync(dir), ['d.pid']);
    assert.equal(readFileSync(path, 'utf8'), `${PID}\n`);
    assert.equal(f.holdsOurPid(), true);
  });
});

test('a symlink planted at the PID path is replaced, never followed: its target is untouched', () => {
  withDir((dir) => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    const path = join(dir, 'd.pid');
    symlinkSync(victim, path);
    const f = new PidFile(path, undefined, undefined, PID);
    assert.equal(f.write().ok, true);
    assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
    assert.equal(lstatSync(path).isFile(), true, 'the link itself was replaced by the PID file');
    assert.equal(readFileSync(path, 'utf8'), `${PID}\n`);
  });
});

test("remove takes the file only while it holds our PID: another instance's file, or a link, stays", () => {
  withDir((dir) => {
    const path = join(dir, 'd.pid');
    const f = new PidFile(path, undefined, undefined, PID);
    assert.equal(f.write().ok, true);
    writeFileSync(path, '999\n'); // another daemon wrote its own PID since
    assert.deepEqual(f.remove(), { ok: true, value: 'not ours' });
    assert.equal(readFileSync(path, 'utf8'), '999\n');

    // A link to a file holding our PID is not ours either: O_NOFOLLOW.
    const elsewhere = join(dir, 'elsewhere');
    writeFileSync(elsewhere, `${PID}\n`);
    rmSync(path);
    symlinkSync(elsewhere, path);
    assert.deepEqual(f.remove(), { ok: true, value: 'not ours' });
    assert.equal(lstatSync(path).isSymbolicLink(), true);
    assert.equal(readFileSync(elsewhere, 'utf8'), `${PID}\n`);

    rmSync(path);
    assert.deepEqual(f.remove(), { ok: true, value: 'absent' });
    assert.equal(f.write().ok, true);
    assert.deepEqual(f.remove(), { ok: true, value: 'removed' });
    assert.deepEqual(readdirSync(dir), ['elsewhere']);
  });
});

test('remove also drops a staged file that never made it into place', () => {
  withDir((dir) => {
    const f = new PidFile(join(dir, 'd.pid'), undefined, undefined, PID);
    assert.equal(f.stage().ok, true);
    assert.deepEqual(f.remove(), { ok: true, value: 'absent' });
    assert.deepEqual(readdirSync(dir), []);
  });
});

test('touch sets the time of the file itself; a link in its place is touched, not its target', () => {
  withDir((dir) => {
    const path = join(dir, 'd.pid');
    const f = new PidFile(path, undefined, undefined, PID);
    assert.equal(f.write().ok, true);
    const old = new Date('2001-01-01T00:00:00Z');
    utimesSync(path, old, old);
    assert.equal(f.touch().ok, true);
    assert.ok(statSync(path).mtimeMs > old.getTime());

    const target = join(dir, 'target');
    writeFileSync(target, 'x');
    utimesSync(target, old, old);
    rmSync(path);
    symlinkSync(target, path);
    assert.equal(f.touch().ok, true);
    assert.equal(statSync(target).mtimeMs, old.getTime(), 'the target keeps its time');
    rmSync(path);
    assert.equal(f.touch().ok, false, 'a missing file is reported, for the caller to write it again');
  });
});

test('a directory that does not take the file: the error names the file and the reason', () => {
  withDir((dir) => {
    const path = join(dir, 'missing', 'd.pid');
    const f = new PidFile(path, undefined, undefined, PID);
    assert.deepEqual(f.stage(), { ok: false, error: `Cannot create PID file ${path}: No such file or directory (ENOENT)` });
    assert.deepEqual(f.commit(), { ok: false, error: `PID file ${path} was not written` });
  });
});

test(
  'with an owner (-p) the file is given to that user before it is put in place',
  { skip: process.getuid?.() !== 0 && 'needs root to chown' },
  () => {
    withDir((dir) => {
      const path = join(dir, 'd.pid');
      const warnings: string[] = [];
      const f = new PidFile(path, { uid: 65534, gid: 65534 }, (m) => warnings.push(m), PID);
      assert.equal(f.write().ok, true);
      const st = statSync(path);
      assert.deepEqual([st.uid, st.gid], [65534, 65534]);
      assert.deepEqual(warnings, []);
    });
  },
);
