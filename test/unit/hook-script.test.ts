// The -e hook's queue: at most a few runs at once, every run in order, none lost in a burst;
// how each end is logged; the environment a run gets. One test runs a real script.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HookScript, MAX_RUNNING, type ScriptEnd, type ScriptRunner } from '../../src/daemon/hook-script.js';
import { memoryLogger } from '../../src/log.js';

interface Run {
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly end: (e: ScriptEnd) => void;
}

/** A runner that starts nothing: the test ends each run when it likes. */
function fakeRunner(): { run: ScriptRunner; started: Run[]; live: () => number; maxLive: () => number } {
  const started: Run[] = [];
  let live = 0;
  let maxLive = 0;
  const run: ScriptRunner = (_file, args, env, done) => {
    live++;
    maxLive = Math.max(maxLive, live);
    started.push({
      args,
      env,
      end: (e) => {
        live--;
        done(e);
      },
    });
  };
  return { run, started, live: () => live, maxLive: () => maxLive };
}

const tick = () => new Promise((r) => setImmediate(r));
const exit0: ScriptEnd = { code: 0, signal: null };

test('a burst of 5,000 installs runs at most MAX_RUNNING at once, each exactly once, in order', async () => {
  const log = memoryLogger();
  const f = fakeRunner();
  const hook = new HookScript('/x/hook', log, { run: f.run, env: {} });
  for (let i = 0; i < 5000; i++) hook.install(`10.0.${i >> 8}.${i & 255}`, '225.1.2.3');
  assert.equal(f.started.length, MAX_RUNNING);
  assert.deepEqual(hook.busy, { running: MAX_RUNNING, waiting: 5000 - MAX_RUNNING });
  // The backlog is worth one warning, not one per queued run.
  assert.equal(log.records.filter((r) => r.level === 'warning').length, 1);
  assert.match(log.lines.find((l) => l.startsWith('warning')) ?? '', /falls behind: 1000 runs waiting, 4 at a time/);

  // End the oldest live run, one at a time, until all are done.
  for (let done = 0; done < 5000; done++) {
    const r = f.started[done];
    assert.ok(r, `run ${done} was started`);
    r.end(exit0);
    await tick();
    assert.ok(f.live() <= MAX_RUNNING);
  }
  assert.equal(f.maxLive(), MAX_RUNNING);
  assert.equal(f.started.length, 5000);
  assert.deepEqual(
    f.started.slice(0, 2).map((r) => [r.args, r.env.source]),
    [
      [['install'], '10.0.0.0'],
      [['install'], '10.0.0.1'],
    ],
  );
  assert.equal(f.started[4999]?.env.source, '10.0.19.135');
  assert.deepEqual(hook.busy, { running: 0, waiting: 0 });
});

test('each end is logged: status 0 at debug; non-zero, a signal, or failing to start as warnings naming the command', async () => {
  const log = memoryLogger();
  const f = fakeRunner();
  const hook = new HookScript('/etc/smcroute/hook', log, { run: f.run, env: {} });
  hook.reload();
  hook.install('10.1.1.1', '225.1.1.1');
  hook.reload();
  hook.reload();
  const [a, b, c, d] = f.started;
  a?.end(exit0);
  b?.end({ code: 3, signal: null });
  c?.end({ code: null, signal: 'SIGKILL' });
  d?.end({ code: null, signal: null, error: Object.assign(new Error('spawn EACCES'), { code: 'EACCES' }) });
  await tick();
  const warnings = log.records.filter((r) => r.level === 'warning');
  assert.deepEqual(
    warnings.map((r) => r.msg),
    [
      'Script /etc/smcroute/hook install exited with status 3',
      'Script /etc/smcroute/hook reload killed by signal SIGKILL',
      'Cannot run script /etc/smcroute/hook reload: EACCES',
    ],
  );
  assert.deepEqual(warnings[0]?.fields, {
    script: '/etc/smcroute/hook',
    arg: 'install',
    source: '10.1.1.1',
    group: '225.1.1.1',
    status: 3,
  });
  assert.deepEqual(
    log.records.filter((r) => r.level === 'debug' && r.msg.endsWith('done')).map((r) => r.msg),
    ['Script /etc/smcroute/hook reload done'],
  );
});

test('a run gets the daemon environment without NOTIFY_SOCKET; reload runs get no source or group', () => {
  const f = fakeRunner();
  const env = { PATH: '/usr/bin', NOTIFY_SOCKET: '/run/systemd/notify', source: 'stale', group: 'stale' };
  const hook = new HookScript('/x/hook', memoryLogger(), { run: f.run, env, maxRunning: 10 });
  hook.install('fd00::1', 'ff0e::1');
  hook.reload();
  assert.deepEqual(f.started[0]?.env, { PATH: '/usr/bin', source: 'fd00::1', group: 'ff0e::1' });
  assert.deepEqual(f.started[1]?.env, { PATH: '/usr/bin' });
  assert.deepEqual(env.NOTIFY_SOCKET, '/run/systemd/notify', "the daemon's own environment is untouched");
});

test('after close nothing more starts, and what waited is counted as dropped', () => {
  const f = fakeRunner();
  const hook = new HookScript('/x/hook', memoryLogger(), { run: f.run, env: {}, maxRunning: 1 });
  hook.reload();
  hook.reload();
  hook.reload();
  assert.equal(hook.close(), 2);
  hook.reload();
  f.started[0]?.end(exit0);
  assert.equal(f.started.length, 1);
});

test('a real script: run without a shell, its argument and variables passed, its exit status logged', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smct-hook-'));
  try {
    const out = join(dir, 'out');
    const script = join(dir, 'hook $(touch pwned)');
    // A name a shell would expand: run without one, it is just a file name.
    writeFileSync(script, `#!/bin/sh\necho "$# $1 source=$source group=$group" >> '${out}'\n[ "$1" = reload ] || exit 7\n`);
    chmodSync(script, 0o755);
    const log = memoryLogger();
    const hook = new HookScript(script, log, { env: { PATH: process.env.PATH } });
    const ended = () => log.records.filter((r) => /done|exited/.test(r.msg)).length;
    hook.reload();
    hook.install('10.2.3.4', '225.6.7.8');
    for (let i = 0; i < 200 && ended() < 2; i++) await new Promise((r) => setTimeout(r, 25));
    assert.deepEqual(readFileSync(out, 'utf8').split('\n').filter(Boolean).sort(), [
      '1 install source=10.2.3.4 group=225.6.7.8',
      '1 reload source= group=',
    ]);
    assert.deepEqual(
      log.records.filter((r) => r.level === 'warning').map((r) => r.msg),
      [`Script ${script} install exited with status 7`],
    );
    assert.throws(() => readFileSync(join(dir, 'pwned')), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
