// contract.ts's argument rules, checked on both kernels where no system call is needed: a closed
// routing socket or an argument the C structs cannot carry fails alike on LinuxKernel and FakeKernel.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KernelError } from '../../src/errors.js';
import { kernelRules, precheck } from '../../src/kernel/contract.js';
import { FakeKernel, FakeNetns } from '../../src/kernel/fake.js';
import { LinuxKernel } from '../../src/kernel/linux.js';
import type { Kernel } from '../../src/kernel/types.js';
import { parseAddr, type Addr, type Family } from '../../src/model/addr.js';
import { MAX_VIFS } from '../../src/model/limits.js';

function A(text: string): Addr {
  const a = parseAddr(text);
  if (!a) throw new Error(text);
  return a;
}

function throwsCode(fn: () => unknown, op: string, code: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KernelError, String(e));
    assert.deepEqual({ op: e.op, code: e.code }, { op, code });
    return true;
  });
}

const ttls = new Uint8Array(MAX_VIFS);
const kernels: [string, () => Kernel][] = [
  ['LinuxKernel', () => new LinuxKernel()],
  ['FakeKernel', () => new FakeKernel(new FakeNetns())],
];

for (const [name, make] of kernels) {
  describe(`${name}: argument rules before any system call`, () => {
    test('every routing-socket call on a closed socket is EBADF, checked before the arguments', () => {
      const k = make();
      try {
        throwsCode(() => k.addVif('inet', -1, 0, 999), 'MRT_ADD_VIF', 'EBADF');
        throwsCode(() => k.delVif('inet6', -1), 'MRT6_DEL_MIF', 'EBADF');
        throwsCode(() => k.addMfc('inet', { source: A('fd00::1'), group: A('ff0e::1'), iif: -1, ttls }), 'MRT_ADD_MFC', 'EBADF');
        throwsCode(() => k.delMfc('inet6', A('10.0.0.1'), A('225.1.1.1'), 0), 'MRT6_DEL_MFC', 'EBADF');
        throwsCode(() => k.counters('inet', A('fd00::1'), A('ff0e::1')), 'SIOCGETSGCNT', 'EBADF');
        throwsCode(() => k.closeMroute('inet6'), 'MRT6_DONE', 'EBADF');
      } finally {
        k.shutdown();
      }
    });

    test('a table id outside 32 bits is EINVAL on MRT_TABLE; after shutdown everything is EBADF', () => {
      const k = make();
      throwsCode(() => k.openMroute('inet', -1), 'MRT_TABLE', 'EINVAL');
      throwsCode(() => k.openMroute('inet6', 2 ** 32), 'MRT6_TABLE', 'EINVAL');
      throwsCode(() => k.openMroute('inet', 1.5), 'MRT_TABLE', 'EINVAL');
      k.shutdown();
      throwsCode(() => k.openMroute('inet', 0), 'MRT_INIT', 'EBADF');
      throwsCode(() => k.join(1, A('225.1.1.1')), 'MCAST_JOIN_GROUP', 'EBADF');
      throwsCode(() => k.leave(1, A('225.1.1.1'), A('10.0.0.1')), 'MCAST_LEAVE_SOURCE_GROUP', 'EBADF');
    });

    test('a join whose source is of another family, or whose ifindex is no u32, is EINVAL', () => {
      const k = make();
      try {
        throwsCode(() => k.join(1, A('232.1.1.1'), A('fd00::1')), 'MCAST_JOIN_SOURCE_GROUP', 'EINVAL');
        throwsCode(() => k.join(-1, A('225.1.1.1')), 'MCAST_JOIN_GROUP', 'EINVAL');
        throwsCode(() => k.join(2 ** 32, A('ff0e::1')), 'MCAST_JOIN_GROUP', 'EINVAL');
      } finally {
        k.shutdown();
      }
    });
  });
}

describe('precheck: arguments that do not fit their C fields', () => {
  const fams: Family[] = ['inet', 'inet6'];
  test('VIF index and threshold; ifindex is a signed int for IPv4, 16 bits for IPv6', () => {
    for (const f of fams) {
      const op = f === 'inet' ? 'MRT_ADD_VIF' : 'MRT6_ADD_MIF';
      assert.equal(precheck.addVif(f, 'sock', 0xffff, 1, 255), 'sock');
      throwsCode(() => precheck.addVif(f, 'sock', 0x10000, 1, 1), op, 'EINVAL');
      throwsCode(() => precheck.addVif(f, 'sock', 0, 1, 256), op, 'EINVAL');
      throwsCode(() => precheck.addVif(f, 'sock', 0.5, 1, 1), op, 'EINVAL');
    }
    assert.equal(precheck.addVif('inet', 3, 0, 0x7fffffff, 1), 3);
    throwsCode(() => precheck.addVif('inet', 3, 0, 0x80000000, 1), 'MRT_ADD_VIF', 'EINVAL');
    throwsCode(() => precheck.addVif('inet6', 3, 0, 0x10000, 1), 'MRT6_ADD_MIF', 'EINVAL');
  });

  test('MFC: both addresses of the socket family, parent in 16 bits', () => {
    const S = A('10.0.0.1');
    const G = A('225.1.1.1');
    assert.equal(precheck.delMfc('inet', 1, S, G, 0xffff), 1);
    throwsCode(() => precheck.delMfc('inet', 1, S, G, 0x10000), 'MRT_DEL_MFC', 'EINVAL');
    throwsCode(() => precheck.addMfc('inet6', 1, { source: S, group: G, iif: 0, ttls }), 'MRT6_ADD_MFC', 'EINVAL');
    throwsCode(() => precheck.counters('inet', 1, S, A('ff0e::1')), 'SIOCGETSGCNT', 'EINVAL');
  });
});

describe('kernelRules: what Linux refuses on arguments alone', () => {
  test('VIF index >= MAX_VIFS: ENFILE, except IPv6 delete (EADDRNOTAVAIL)', () => {
    kernelRules.addVif('inet', MAX_VIFS - 1);
    throwsCode(() => kernelRules.addVif('inet6', MAX_VIFS), 'MRT6_ADD_MIF', 'ENFILE');
    throwsCode(() => kernelRules.delVif('inet', MAX_VIFS), 'MRT_DEL_VIF', 'ENFILE');
    throwsCode(() => kernelRules.delVif('inet6', MAX_VIFS), 'MRT6_DEL_MIF', 'EADDRNOTAVAIL');
  });

  test('MFC: parent range before the group check; group multicast or any', () => {
    throwsCode(
      () => kernelRules.addMfc('inet', { source: A('10.0.0.1'), group: A('10.0.0.2'), iif: MAX_VIFS, ttls }),
      'MRT_ADD_MFC',
      'ENFILE',
    );
    throwsCode(
      () => kernelRules.addMfc('inet', { source: A('10.0.0.1'), group: A('10.0.0.2'), iif: 0, ttls }),
      'MRT_ADD_MFC',
      'EINVAL',
    );
    kernelRules.addMfc('inet6', { source: A('::'), group: A('::'), iif: 0, ttls });
    kernelRules.addMfc('inet6', { source: A('fd00::1'), group: A('ff0e::1'), iif: 0, ttls });
  });

  test('joins need a multicast group', () => {
    kernelRules.join(A('ff3e::1'), A('fd00::1'));
    throwsCode(() => kernelRules.join(A('10.1.2.3')), 'MCAST_JOIN_GROUP', 'EINVAL');
  });
});
