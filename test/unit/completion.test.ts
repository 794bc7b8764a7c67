// The bash and zsh completion scripts (completion/) in the real shells, without a daemon: commands,
// options, show's tables, and interface names from /sys/class/net. test/kernel/completion.test.ts
// asks a running daemon.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { COMMANDS, OPTIONS } from '../../src/cli/smcroutectl.js';
import { BASH_SCRIPT, bashComplete, shellSkipReason, ZSH_SCRIPT, zshComplete } from '../lib/completion.js';
import { repoPath } from '../lib/paths.js';

const CTL = repoPath('bin', 'smcroutectl');
// A socket nobody serves: the scripts must fall back to the kernel's interfaces, without waiting.
const NOSOCK = '/nonexistent/smcroute-completion.sock';

const SHELLS = [
  { shell: 'bash', complete: bashComplete, script: BASH_SCRIPT },
  { shell: 'zsh', complete: zshComplete, script: ZSH_SCRIPT },
] as const;

for (const { shell, complete, script } of SHELLS) {
  const skip = shellSkipReason(shell);

  test(`${shell}: the script parses (${shell} -n)`, { skip }, () => {
    const r = spawnSync(shell, ['-n', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });

  test(`${shell}: commands, every one smcroutectl has, and by prefix`, { skip }, () => {
    const all = complete([CTL, '']);
    for (const c of COMMANDS) assert.ok(all.includes(c.name), `${c.name} offered: ${all.join(' ')}`);
    for (const ours of ['explain', 'monitor', 'top']) assert.ok(all.includes(ours), ours);
    assert.deepEqual(complete([CTL, 're']).sort(), ['reload', 'remove', 'restart']);
    assert.deepEqual(complete([CTL, '-d', 'sh']), ['show']);
    assert.deepEqual(complete([CTL, 'help', 't']), ['top']);
  });

  test(`${shell}: options, and nothing offered for an option's argument`, { skip }, () => {
    const opts = complete([CTL, '-']);
    for (const o of ['-b', '-d', '-j', '-i', '-p', '-t', '-u', '-s', '--interval', '--once', '-h', '-v']) {
      assert.ok(opts.includes(o), `${o} offered: ${opts.join(' ')}`);
    }
    // Every option smcroutectl takes, so the scripts' lists cannot fall behind it.
    for (const o of OPTIONS.flatMap((d) => [d.short && `-${d.short}`, d.long && `--${d.long}`])) {
      if (o) assert.ok(opts.includes(o), `${o} offered: ${opts.join(' ')}`);
    }
    assert.deepEqual(
      complete([CTL, 'top', '--o']).filter((o) => o.startsWith('--o')),
      ['--once'],
    );
    assert.deepEqual(complete([CTL, '-s', '']), []);
    assert.deepEqual(complete([CTL, '-i', '']), []);
  });

  test(`${shell}: show's tables; interface names from /sys/class/net when no daemon answers`, { skip }, () => {
    assert.deepEqual(complete([CTL, 'show', '']).sort(), ['groups', 'interfaces', 'pending', 'routes']);
    assert.deepEqual(complete([CTL, 'show', 'routes', '']), []);
    const kernel = readdirSync('/sys/class/net').sort();
    const started = Date.now();
    assert.deepEqual(complete([CTL, '-u', NOSOCK, 'add', '']).sort(), kernel);
    assert.deepEqual(complete([CTL, '-u', NOSOCK, 'join', 'lo']), ['lo']);
    assert.ok(Date.now() - started < 2500, 'a missing daemon is not waited for');
  });
}

test('zsh: -u completes file names', { skip: shellSkipReason('zsh') }, () => {
  assert.deepEqual(zshComplete([CTL, '-u', '']), ['<files>']);
});
