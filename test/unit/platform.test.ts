// The start-up check of the platform: x86_64 Linux with glibc, and the struct layouts the code
// assumes equal to those koffi computes here. Pure checks with injected facts; smcrouted's exit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/smcrouted.js';
import { HEADER_LEN } from '../../src/ipc/codec.js';
import { checkPlatform, compareLayouts, platformFacts, verifyPlatform } from '../../src/kernel/platform.js';
import { LAYOUTS } from '../../src/kernel/structs.js';

const HERE = { platform: 'linux', arch: 'x64', glibc: '/usr/lib/x86_64-linux-gnu/libc.so.6' };

test('x86_64 Linux with glibc passes; another architecture, C library or system is refused by name', () => {
  assert.deepEqual(checkPlatform(HERE), { ok: true, value: undefined });
  assert.deepEqual(checkPlatform({ ...HERE, arch: 'arm64' }), {
    ok: false,
    error: 'unsupported architecture arm64: this build lays out kernel and libc structures for x64 (x86_64) only',
  });
  assert.deepEqual(checkPlatform({ ...HERE, arch: 'ia32' }).ok, false);
  assert.deepEqual(checkPlatform({ platform: 'linux', arch: 'x64' }), {
    ok: false,
    error: 'unsupported C library: this build needs glibc (libc.so.6), and Node.js here runs on another (musl?)',
  });
  assert.deepEqual(checkPlatform({ ...HERE, platform: 'freebsd' }), {
    ok: false,
    error: 'unsupported operating system freebsd: smcrouted runs on Linux only',
  });
});

test('every size and offset that differs is named', () => {
  const expected = { mmsghdr: { size: 64, offsets: { msg_len: 56 } }, ucred: { size: 12 } };
  assert.deepEqual(compareLayouts(expected, expected), { ok: true, value: undefined });
  assert.deepEqual(compareLayouts(expected, { mmsghdr: { size: 72, offsets: { msg_len: 60 } }, ucred: { size: 12 } }), {
    ok: false,
    error: 'mmsghdr is 72 bytes, not 64; mmsghdr.msg_len is at 60, not 56',
  });
  assert.deepEqual(compareLayouts(expected, { mmsghdr: { size: 64, offsets: {} } }), {
    ok: false,
    error: 'mmsghdr.msg_len is at ?, not 56; ucred not measured',
  });
});

test('on this machine the facts are x86_64 glibc and every layout koffi computes matches the code', async () => {
  const facts = platformFacts();
  assert.equal(facts.platform, 'linux');
  assert.equal(facts.arch, 'x64');
  assert.match(facts.glibc ?? '', /^\/.*\/libc\.so\.6$/);
  assert.deepEqual(await verifyPlatform(), { ok: true, value: undefined });
  // The IPC header the codec writes is the one the check measures.
  assert.equal(LAYOUTS.ipc_msg?.size, HEADER_LEN);
  assert.ok(Object.keys(LAYOUTS).length >= 20);
});

test('smcrouted refuses an unsupported platform with exit 69 (EX_UNAVAILABLE) and one line naming it', async () => {
  for (const [platform, why] of [
    [{ ...HERE, arch: 'arm64' }, /unsupported architecture arm64/],
    [{ platform: 'linux', arch: 'x64' }, /unsupported C library: this build needs glibc/],
  ] as const) {
    let stderr = '';
    const status = await main(['-n', '-f', '/dev/null'], { out: () => {}, err: (t) => (stderr += t), platform });
    assert.equal(status, 69, stderr);
    assert.match(stderr, /^smcrouted: /);
    assert.match(stderr, why);
    assert.equal(stderr.split('\n').length, 2, 'one line');
  }
  // -F reads a file and needs no kernel structures: it runs anywhere.
  const f = await main(['-F', '/dev/null'], { out: () => {}, err: () => {}, platform: { ...HERE, arch: 'arm64' } });
  assert.equal(f, 0);
});
