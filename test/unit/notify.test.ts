// The sd_notify wire format without systemd: the datagram's text, the
// sockaddr_un for a path and for an abstract name, and what happens when
// NOTIFY_SOCKET is unset, malformed or leads nowhere. The real exchange with
// a listener is in test/kernel/systemd-notify.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { encodeNotify, monotonicUsec, notifyAddress, openNotifier } from '../../src/kernel/notify.js';

test('a notification is KEY=VALUE lines in the order given', () => {
  assert.equal(
    encodeNotify({ READY: 1, STATUS: 'Ready: 2 rules', MAINPID: 42 }).toString(),
    'READY=1\nSTATUS=Ready: 2 rules\nMAINPID=42\n',
  );
});

test('a newline inside a value cannot start an assignment of its own', () => {
  assert.equal(encodeNotify({ STATUS: 'bad file\nREADY=1\r\n' }).toString(), 'STATUS=bad file READY=1 \n');
});

test('a path socket address: AF_UNIX, the path and its NUL, no padding', () => {
  const a = notifyAddress('/run/systemd/notify');
  assert.ok(a.ok);
  assert.deepEqual([...a.value.subarray(0, 2)], [1, 0], 'sun_family AF_UNIX, little-endian');
  assert.equal(a.value.subarray(2).toString('latin1'), '/run/systemd/notify\0');
  assert.equal(a.value.length, 2 + '/run/systemd/notify'.length + 1);
});

test('an abstract address: a leading NUL instead of "@", and the length ends with the name', () => {
  const a = notifyAddress('@sd-notify/42');
  assert.ok(a.ok);
  assert.equal(a.value.subarray(2).toString('latin1'), '\0sd-notify/42');
  assert.equal(a.value.length, 2 + 1 + 'sd-notify/42'.length, 'no trailing NUL: it would be part of the name');
});

test('addresses systemd could not have meant are refused with the reason', () => {
  for (const bad of ['relative/path', 'vsock:2:1234', '']) {
    const a = notifyAddress(bad);
    assert.equal(a.ok, false, bad);
    assert.match(!a.ok ? a.error : '', /neither an absolute path nor an @abstract name/);
  }
  const longest = `/${'x'.repeat(106)}`; // 107 bytes and the NUL fill sun_path's 108
  assert.equal(notifyAddress(longest).ok, true);
  const tooLong = notifyAddress(`${longest}x`);
  assert.match(!tooLong.ok ? tooLong.error : '', /longer than a Unix socket address/);
  assert.equal(notifyAddress(`@${'x'.repeat(107)}`).ok, true);
  assert.equal(notifyAddress(`@${'x'.repeat(108)}`).ok, false);
});

test('MONOTONIC_USEC reads CLOCK_MONOTONIC, the clock systemd compares it with', (t) => {
  // Another program's reading of CLOCK_MONOTONIC on each side of ours.
  const python = () => spawnSync('python3', ['-c', 'import time; print(time.monotonic_ns() // 1000)'], { encoding: 'utf8' });
  const before = python();
  if (before.error) {
    t.skip('python3 is missing (.ci/run installs it)');
    return;
  }
  const ours = monotonicUsec();
  const after = python();
  assert.ok(
    BigInt(before.stdout.trim()) <= ours && ours <= BigInt(after.stdout.trim()),
    `${before.stdout} <= ${ours} <= ${after.stdout}`,
  );
});

test('without NOTIFY_SOCKET the notifier does nothing and says nothing', () => {
  const warnings: string[] = [];
  const n = openNotifier({}, (m) => warnings.push(m));
  assert.equal(n.socket, undefined);
  n.ready('x');
  n.reloading('x');
  n.stopping('x');
  assert.deepEqual(warnings, []);
});

test('NOTIFY_SOCKET is taken out of the environment, so programs the daemon runs do not inherit it', () => {
  const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '@smct-unit-nobody', PATH: '/bin' };
  const warnings: string[] = [];
  const n = openNotifier(env, (m) => warnings.push(m));
  assert.deepEqual(env, { PATH: '/bin' });
  assert.equal(n.socket, '@smct-unit-nobody');
  n.ready('Ready');
  // Nobody listens on that name: the daemon is told, and carries on.
  assert.deepEqual(warnings, ['Cannot notify the service manager at @smct-unit-nobody: Connection refused']);
});

test('a malformed NOTIFY_SOCKET is a warning, then nothing', () => {
  const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: 'vsock:2:99' };
  const warnings: string[] = [];
  const n = openNotifier(env, (m) => warnings.push(m));
  assert.equal(n.socket, undefined);
  n.ready('x');
  assert.equal(env.NOTIFY_SOCKET, undefined);
  assert.deepEqual(warnings, [
    'Cannot notify the service manager: NOTIFY_SOCKET=vsock:2:99 is neither an absolute path nor an @abstract name',
  ]);
});
