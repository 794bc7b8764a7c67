// systemd/smcroute.service and conf/smcroute.default: upstream's shape (so Debian's
// /etc/default/smcroute and `systemctl reload` keep working), judged by systemd-analyze itself:
// an exposure score of 3.0 or better, and no complaint from `verify`. Whether the daemon runs
// inside its system call filter is test/kernel/systemd-syscalls.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOptions } from '../../src/cli/smcrouted-options.js';
import { repoPath } from '../lib/paths.js';
import { analyze, analyzeSkipReason, DEFAULT_FILE, readUnit, UNIT_FILE, unitSettings } from '../lib/unit-file.js';

const skip = analyzeSkipReason();

test("the unit has upstream's shape: notify from the main PID, the default file, -n -s, reload through smcroutectl", () => {
  const service = new Map(unitSettings(readUnit(), 'Service'));
  assert.equal(service.get('Type'), 'notify');
  assert.equal(service.get('NotifyAccess'), 'main');
  assert.equal(service.get('EnvironmentFile'), '-/etc/default/smcroute');
  assert.equal(service.get('ExecStart'), '/usr/bin/smcrouted -n -s $SMCROUTED_OPTS $SMCROUTED_ARGS');
  assert.equal(service.get('ExecReload'), '/usr/bin/smcroutectl reload');
  // Where `npm install -g` puts the programs the package declares: $(npm prefix -g)/bin, /usr/bin with Debian's node.
  const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { bin: Record<string, string> };
  assert.deepEqual(Object.keys(pkg.bin).sort(), ['smcroutectl', 'smcrouted']);
  assert.equal(service.get('MemoryDenyWriteExecute'), undefined, "V8's JIT cannot run under it");
});

test("systemd-analyze security rates the unit 3.0 or better (Debian's: 8.9)", { skip }, () => {
  const r = analyze(['security', '--offline=true', '--no-pager', UNIT_FILE]);
  const m = /Overall exposure level for smcroute\.service: (\d+\.\d)/.exec(r.stdout);
  assert.ok(m, `no overall score in:\n${r.stdout}${r.stderr}`);
  const score = Number(m[1]);
  assert.ok(score <= 3.0, `exposure ${score} > 3.0:\n${r.stdout}`);
});

test('systemd-analyze verify finds nothing to say about the unit', { skip }, () => {
  // verify also checks that the programs exist: point them at the checkout's launchers.
  const dir = mkdtempSync(join(tmpdir(), 'smct-unit-'));
  try {
    const unit = join(dir, 'smcroute.service');
    writeFileSync(unit, readUnit().replaceAll('/usr/bin/', `${repoPath('bin')}/`));
    const r = analyze(['verify', '--man=no', unit]);
    assert.equal(r.stderr + r.stdout, '');
    assert.equal(r.status, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the default file sets the unit's two variables, and every option it documents is smcrouted's", () => {
  const text = readFileSync(DEFAULT_FILE, 'utf8');
  const assignments = text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))
    .map((l) => /^([A-Z_]+)="([^"]*)"$/.exec(l)?.slice(1));
  assert.deepEqual(assignments, [
    ['SMCROUTED_OPTS', ''],
    ['SMCROUTED_ARGS', ''],
  ]);
  // "#   -l LEVEL   text": each documented option, given an argument of its kind, must parse.
  const sample: Record<string, string> = {
    LEVEL: 'info',
    FILE: '/etc/smcroute.conf',
    SEC: '5',
    ID: '1',
    'USER[:GROUP]': 'nobody',
    CMD: '/bin/true',
    NAME: 'x',
  };
  const documented = [...text.matchAll(/^#\s+(-[a-zA-Z])(?: (\S+))?\s{2,}\S/gm)];
  assert.ok(documented.length >= 8, `found ${documented.length} documented options`);
  for (const [, flag = '', arg] of documented) {
    const argv = ['-n', '-s', flag, ...(arg === undefined ? [] : [sample[arg] ?? `(no sample for ${arg})`])];
    assert.equal(parseOptions(argv, false).error, undefined, argv.join(' '));
  }
});
