// src/errors.ts: errno names and numbers, KernelError construction, strerror texts, describeError.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERRNO, KernelError, describeError, errnoName, kernelError, strerror } from '../../src/errors.js';

test('errno names and numbers agree both ways; unknown numbers get E<n>', () => {
  for (const [name, n] of Object.entries(ERRNO)) assert.equal(errnoName(n), name);
  assert.equal(ERRNO.EADDRNOTAVAIL, 99);
  assert.equal(errnoName(11), 'EAGAIN');
  assert.equal(errnoName(95), 'EOPNOTSUPP');
  assert.equal(errnoName(35), 'EDEADLK');
  assert.equal(errnoName(4242), 'E4242');
});

test('kernelError takes a name or a number and fills both', () => {
  const a = kernelError('MRT_ADD_VIF', 'ENFILE');
  assert.ok(a instanceof KernelError);
  assert.deepEqual(
    { op: a.op, code: a.code, errno: a.errno, message: a.message },
    { op: 'MRT_ADD_VIF', code: 'ENFILE', errno: 23, message: 'MRT_ADD_VIF: ENFILE' },
  );
  const b = kernelError('SIOCGIFFLAGS', 19, 'eth0');
  assert.deepEqual(
    { code: b.code, errno: b.errno, message: b.message },
    { code: 'ENODEV', errno: 19, message: 'SIOCGIFFLAGS: ENODEV (eth0)' },
  );
});

test('strerror: glibc texts, else the name, else "Unknown error"', () => {
  assert.equal(strerror('ECONNREFUSED'), 'Connection refused');
  assert.equal(strerror('EMSGSIZE'), 'Message too long');
  assert.equal(strerror('EWHATEVER'), 'EWHATEVER');
  assert.equal(strerror(undefined), 'Unknown error');
});

test('describeError: KernelError message, Node error code, Error message, anything else', () => {
  assert.equal(describeError(kernelError('MRT_INIT', 'EADDRINUSE')), 'MRT_INIT: EADDRINUSE');
  assert.equal(describeError(Object.assign(new Error('ENOENT: no such file, open /x'), { code: 'ENOENT' })), 'ENOENT');
  assert.equal(describeError(new Error('boom')), 'boom');
  assert.equal(describeError('plain'), 'plain');
  assert.equal(describeError(undefined), 'undefined');
  assert.equal(describeError(null), 'null');
});
