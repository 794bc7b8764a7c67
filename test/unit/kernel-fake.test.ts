// The kernel contract on FakeKernel, the fake's own helpers, and the
// byte layouts of src/kernel/structs.ts (checked against a C program).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeKernel, FakeNetns } from '../../src/kernel/fake.js';
import {
  decodeIgmpmsg,
  decodeMrt6msg,
  decodeSgReq,
  decodeVifReq,
  encodeVifReq,
  SIOC_VIF_REQ_SIZE,
  encodeGroupReq,
  encodeIfreqName,
  decodeIfreqFlags,
  encodeMf6cctl,
  encodeMfcctl,
  encodeMif6ctl,
  encodeSgReq,
  encodeSockaddrNl,
  encodeVifctl,
  flowHeader,
  icmp6FilterBlockAll,
  packetTtl,
  GROUP_REQ_SIZE,
  GROUP_SOURCE_REQ_SIZE,
  IFREQ_SIZE,
  MF6CCTL_SIZE,
  MFCCTL_SIZE,
  MIF6CTL_SIZE,
  SIOC_SG_REQ6_SIZE,
  SIOC_SG_REQ_SIZE,
  VIFCTL_SIZE,
} from '../../src/kernel/structs.js';
import { MAX_VIFS } from '../../src/model/limits.js';
import { formatAddr, type Addr, type Family } from '../../src/model/addr.js';
import { A, addrRange, fakeLinks } from '../lib/fixtures.js';
import { kernelContract, type KernelEnv } from '../lib/kernel-contract.js';

const range = (first: string, n: number): Addr[] => addrRange(first, n).map(A);

function fakeEnv(): KernelEnv {
  const ns = new FakeNetns(fakeLinks(2));
  const sources: Record<Family, Addr[][]> = {
    inet: [range('10.1.1.1', 1000), range('10.2.0.1', 5)],
    inet6: [range('fd01::1', 10), range('fd02::1', 5)],
  };
  const ifaces = [
    { index: 2, name: 'eth0' },
    { index: 3, name: 'eth1' },
  ] as const;
  return {
    create: () => new FakeKernel(ns),
    ifaces,
    missingIfindex: 99,
    sources: (family, i) => sources[family][i]!,
    // The fake works synchronously; KernelEnv is asynchronous for the real kernel's sake.
    send(family, i, srcs, group, count, payload) {
      const size = (family === 'inet' ? 20 : 40) + 8 + payload;
      for (const s of srcs) ns.receive(family, ifaces[i].index, s, group, count, size);
      return Promise.resolve();
    },
    memberships(family) {
      const ms = ns.memberships(family);
      return Promise.resolve({
        groups: new Set(ms.map((m) => `${m.ifindex} ${formatAddr(m.group)}`)),
        sources: new Set(ms.filter((m) => m.source).map((m) => `${m.ifindex} ${formatAddr(m.group)} ${formatAddr(m.source!)}`)),
      });
    },
    setLinkUp(i, up) {
      ns.setLinks(ns.links().map((l) => (l.index === ifaces[i].index ? { ...l, up } : l)));
      return Promise.resolve();
    },
    solicit(i) {
      const from = sources.inet[i]![0]!;
      ns.hearMrdisc({ ifindex: ifaces[i].index, from, message: { type: 'solicitation' } });
      return Promise.resolve();
    },
  };
}

describe('FakeKernel keeps the kernel contract', () => {
  for (const c of kernelContract) test(c.name, () => c.run(fakeEnv()));
});

describe('FakeKernel helpers', () => {
  test('emitUpcalls delivers one batch, only for open families', () => {
    const k = new FakeKernel(new FakeNetns(fakeLinks(2)));
    const batches: number[] = [];
    k.onUpcall((b) => batches.push(b.length));
    const up = (family: Family, src: string, grp: string) => ({
      family,
      kind: 'nocache' as const,
      type: 1,
      vif: 0,
      source: A(src),
      group: A(grp),
    });
    k.openMroute('inet', 0);
    assert.equal(
      k.emitUpcalls([
        up('inet', '10.0.0.1', '225.1.1.1'),
        up('inet6', 'fd00::1', 'ff0e::1'),
        up('inet', '10.0.0.2', '225.1.1.1'),
      ]),
      2,
    );
    assert.deepEqual(batches, [2]);
  });

  test('inspection: VIFs, MFC with TTLs, memberships, counters, table id', () => {
    const k = new FakeKernel(new FakeNetns(fakeLinks(2)));
    k.openMroute('inet6', 0);
    assert.equal(k.tableId('inet6'), 254);
    k.addVif('inet6', 4, 3, 2);
    assert.deepEqual(k.vifs('inet6'), [{ vif: 4, ifindex: 3, threshold: 2 }]);
    const ttls = new Uint8Array(MAX_VIFS);
    ttls[4] = 1;
    k.addMfc('inet6', { source: A('fd00::1'), group: A('ff0e::1'), iif: 4, ttls });
    const [m] = k.mfcs('inet6');
    assert.equal(m!.iif, 4);
    assert.equal(m!.ttls[4], 1);
    k.setCounters('inet6', A('fd00::1'), A('ff0e::1'), { packets: 7n, bytes: 700n, wrongIf: 1n });
    assert.deepEqual(k.counters('inet6', A('fd00::1'), A('ff0e::1')), { packets: 7n, bytes: 700n, wrongIf: 1n });
    assert.throws(() => k.setCounters('inet6', A('fd00::2'), A('ff0e::1'), { packets: 0n, bytes: 0n, wrongIf: 0n }));
    k.join(2, A('ff0e::5'), A('fd00::9'));
    assert.deepEqual(k.memberships(), [{ ifindex: 2, group: A('ff0e::5'), source: A('fd00::9') }]);
  });

  test('a vanished link loses its VIFs and fires the link handler', () => {
    const ns = new FakeNetns(fakeLinks(2));
    const k = new FakeKernel(ns);
    let calls = 0;
    k.onLinkChange(() => {
      calls++;
    });
    k.openMroute('inet', 0);
    k.addVif('inet', 0, 2, 1);
    k.addVif('inet', 1, 3, 1);
    ns.setLinks(fakeLinks(2).filter((l) => l.index !== 3));
    assert.equal(calls, 1);
    assert.deepEqual(
      k.vifs('inet').map((v) => v.vif),
      [0],
    );
    k.triggerLinkChange();
    assert.equal(calls, 2);
  });

  test('NOCACHE is reported again only after the (S,G) was resolved and removed', () => {
    const ns = new FakeNetns(fakeLinks(2));
    const k = new FakeKernel(ns);
    const kinds: string[] = [];
    k.onUpcall((b) => kinds.push(...b.map((u) => u.kind)));
    k.openMroute('inet', 0);
    k.addVif('inet', 0, 2, 1);
    const S = A('10.0.0.1');
    const G = A('225.1.1.1');
    ns.receive('inet', 2, S, G);
    ns.receive('inet', 2, S, G);
    k.addMfc('inet', { source: S, group: G, iif: 0, ttls: new Uint8Array(MAX_VIFS) });
    k.delMfc('inet', S, G, 0);
    ns.receive('inet', 2, S, G);
    assert.deepEqual(kinds, ['nocache', 'nocache']);
  });
});

describe('structs: byte layouts', () => {
  test('vifctl: 16 bytes, VIFF_USE_IFINDEX, ifindex at 8', () => {
    const b = Buffer.alloc(VIFCTL_SIZE, 0xee);
    encodeVifctl(b, 0x0102, 0x0a0b0c0d, 7);
    assert.equal(VIFCTL_SIZE, 16);
    assert.equal(b.toString('hex'), '0201' + '08' + '07' + '00000000' + '0d0c0b0a' + '00000000');
  });

  test('mif6ctl: 12 bytes, pifi at 4', () => {
    const b = Buffer.alloc(MIF6CTL_SIZE, 0xee);
    encodeMif6ctl(b, 3, 0x1234, 9);
    assert.equal(b.toString('hex'), '0300' + '00' + '09' + '3412' + '0000' + '00000000');
  });

  test('mfcctl: 60 bytes, ttls[32] at 10, counters zero', () => {
    const b = Buffer.alloc(MFCCTL_SIZE, 0xee);
    const ttls = new Uint8Array(MAX_VIFS);
    ttls[0] = 1;
    ttls[31] = 255;
    encodeMfcctl(b, A('10.1.2.3'), A('225.4.5.6'), 5, ttls);
    assert.equal(MFCCTL_SIZE, 60);
    assert.equal(b.subarray(0, 10).toString('hex'), '0a010203' + 'e1040506' + '0500');
    assert.equal(b[10], 1);
    assert.equal(b[41], 255);
    assert.ok(b.subarray(11, 41).every((x) => x === 0));
    assert.ok(
      b.subarray(42).every((x) => x === 0),
      'padding and counters zero',
    );
    encodeMfcctl(b, A('10.1.2.3'), A('225.4.5.6'), 5);
    assert.ok(
      b.subarray(10).every((x) => x === 0),
      'delete carries no TTLs',
    );
  });

  test('mf6cctl: 92 bytes, sockaddr_in6 at 0 and 28, parent at 56, if_set bits from non-zero TTLs', () => {
    const b = Buffer.alloc(MF6CCTL_SIZE, 0xee);
    const ttls = new Uint8Array(MAX_VIFS);
    ttls[0] = 1;
    ttls[9] = 3;
    ttls[31] = 1;
    encodeMf6cctl(b, A('2001:db8::1'), A('ff0e::1:2'), 0x0203, ttls);
    assert.equal(MF6CCTL_SIZE, 92);
    assert.equal(
      b.subarray(0, 28).toString('hex'),
      '0a00' + '0000' + '00000000' + '20010db8000000000000000000000001' + '00000000',
    );
    assert.equal(
      b.subarray(28, 56).toString('hex'),
      '0a00' + '0000' + '00000000' + 'ff0e0000000000000000000000010002' + '00000000',
    );
    assert.equal(b.subarray(56, 60).toString('hex'), '03020000');
    // Bits 0, 9 and 31 of the first little-endian u32 word.
    assert.equal(b.subarray(60, 64).toString('hex'), '01020080');
    assert.ok(b.subarray(64).every((x) => x === 0));
  });

  test('sioc_sg_req (32 bytes) and sioc_sg_req6 (80 bytes): addresses in, counters out', () => {
    const b = Buffer.alloc(SIOC_SG_REQ6_SIZE, 0xee);
    encodeSgReq(b, A('10.0.0.1'), A('239.1.1.1'));
    assert.equal(b.subarray(0, SIOC_SG_REQ_SIZE).toString('hex'), '0a000001' + 'ef010101' + '00'.repeat(24));
    b.writeBigUInt64LE(11n, 8);
    b.writeBigUInt64LE(22n, 16);
    b.writeBigUInt64LE(33n, 24);
    assert.deepEqual(decodeSgReq(b, 'inet'), { packets: 11n, bytes: 22n, wrongIf: 33n });
    encodeSgReq(b, A('fd00::1'), A('ff0e::1'));
    assert.equal(b.readUInt16LE(0), 10);
    assert.equal(b.subarray(8, 24).toString('hex'), 'fd000000000000000000000000000001');
    assert.equal(b.readUInt16LE(28), 10);
    assert.equal(b.subarray(36, 52).toString('hex'), 'ff0e0000000000000000000000000001');
    b.writeBigUInt64LE(1n, 56);
    b.writeBigUInt64LE(2n, 64);
    b.writeBigUInt64LE(3n, 72);
    assert.deepEqual(decodeSgReq(b, 'inet6'), { packets: 1n, bytes: 2n, wrongIf: 3n });
  });

  test('sioc_vif_req / sioc_mif_req6 (40 bytes): index in, four counters out', () => {
    const b = Buffer.alloc(SIOC_VIF_REQ_SIZE, 0xee);
    encodeVifReq(b, 0x1f);
    assert.equal(b.toString('hex'), '1f00' + '00'.repeat(38));
    b.writeBigUInt64LE(1n, 8);
    b.writeBigUInt64LE(2n, 16);
    b.writeBigUInt64LE(3n, 24);
    b.writeBigUInt64LE(2n ** 64n - 1n, 32);
    assert.deepEqual(decodeVifReq(b), { packetsIn: 1n, packetsOut: 2n, bytesIn: 3n, bytesOut: 2n ** 64n - 1n });
  });

  test('group_req (136 bytes) and group_source_req (264 bytes)', () => {
    const b = Buffer.alloc(GROUP_SOURCE_REQ_SIZE, 0xee);
    assert.equal(encodeGroupReq(b, 7, A('225.1.1.1')), GROUP_REQ_SIZE);
    assert.equal(b.subarray(0, 24).toString('hex'), '07000000' + '00000000' + '0200' + '0000' + 'e1010101' + '0000000000000000');
    assert.ok(b.subarray(24, GROUP_REQ_SIZE).every((x) => x === 0));
    assert.equal(encodeGroupReq(b, 7, A('ff3e::1'), A('fd00::2')), GROUP_SOURCE_REQ_SIZE);
    assert.equal(b.readUInt16LE(8), 10);
    assert.equal(b.subarray(16, 32).toString('hex'), 'ff3e0000000000000000000000000001');
    assert.equal(b.readUInt16LE(136), 10);
    assert.equal(b.subarray(144, 160).toString('hex'), 'fd000000000000000000000000000002');
  });

  test('icmp6_filter blocks all 256 types; sockaddr_nl; ifreq name and flags', () => {
    const f = icmp6FilterBlockAll();
    assert.equal(f.length, 32);
    assert.ok(f.every((x) => x === 0xff));
    assert.equal(encodeSockaddrNl(0x111).toString('hex'), '1000' + '0000' + '00000000' + '11010000');
    const r = Buffer.alloc(IFREQ_SIZE, 0xee);
    encodeIfreqName(r, 'eth0');
    assert.equal(r.subarray(0, 16).toString('latin1'), 'eth0' + '\0'.repeat(12));
    r.writeUInt16LE(0x1043, 16);
    assert.equal(decodeIfreqFlags(r), 0x1043);
  });
});

describe('structs: upcall decoders', () => {
  /** An igmpmsg as the kernel queues it: 20 bytes overlaying an IP header. */
  function igmpmsg(type: number, mbz: number, vif: number, vifHi: number, src: string, dst: string): Buffer {
    const b = Buffer.alloc(20);
    b[8] = type;
    b[9] = mbz;
    b[10] = vif;
    b[11] = vifHi;
    b.writeUInt32BE(Number(A(src).value), 12);
    b.writeUInt32BE(Number(A(dst).value), 16);
    return b;
  }

  test('igmpmsg: kinds, VIF (with high byte), addresses', () => {
    const cases = [
      [1, 'nocache'],
      [2, 'wrongvif'],
      [3, 'wholepkt'],
      [4, 'other'],
    ] as const;
    for (const [type, kind] of cases) {
      const u = decodeIgmpmsg(igmpmsg(type, 0, 5, 0, '10.1.2.3', '225.4.5.6'), 0, 20);
      assert.deepEqual(u, { family: 'inet', kind, type, vif: 5, source: A('10.1.2.3'), group: A('225.4.5.6') });
    }
    assert.equal(decodeIgmpmsg(igmpmsg(1, 0, 2, 1, '10.1.2.3', '225.4.5.6'), 0, 20)?.vif, 258);
  });

  test('igmpmsg: real IGMP packets, zero type and short reads are not upcalls', () => {
    assert.equal(decodeIgmpmsg(igmpmsg(1, 2, 0, 0, '10.1.2.3', '224.0.0.22'), 0, 20), undefined, 'protocol 2 = IGMP');
    assert.equal(decodeIgmpmsg(igmpmsg(0, 0, 0, 0, '10.1.2.3', '225.4.5.6'), 0, 20), undefined);
    assert.equal(decodeIgmpmsg(igmpmsg(1, 0, 0, 0, '10.1.2.3', '225.4.5.6'), 0, 19), undefined);
  });

  test('igmpmsg at an offset inside a larger buffer', () => {
    const b = Buffer.concat([Buffer.alloc(7, 0xff), igmpmsg(1, 0, 9, 0, '192.0.2.1', '239.0.0.1')]);
    assert.equal(decodeIgmpmsg(b, 7, 20)?.vif, 9);
  });

  test('mrt6msg: 40 bytes, kinds, 16-bit MIF, addresses; MLD is not an upcall', () => {
    const b = Buffer.alloc(40);
    b[1] = 2;
    b.writeUInt16LE(17, 2);
    b.write('20010db8000000000000000000000001', 8, 'hex');
    b.write('ff0e0000000000000000000000000001', 24, 'hex');
    assert.deepEqual(decodeMrt6msg(b, 0, 40), {
      family: 'inet6',
      kind: 'wrongvif',
      type: 2,
      vif: 17,
      source: A('2001:db8::1'),
      group: A('ff0e::1'),
    });
    b[1] = 1;
    assert.equal(decodeMrt6msg(b, 0, 40)?.kind, 'nocache');
    b[1] = 3;
    assert.equal(decodeMrt6msg(b, 0, 40)?.kind, 'wholepkt');
    assert.equal(decodeMrt6msg(b, 0, 39), undefined, 'short');
    b[0] = 143; // MLDv2 report type in the must-be-zero byte
    assert.equal(decodeMrt6msg(b, 0, 40), undefined);
  });
});

test("packetTtl: the TTL or hop limit of the flow's packets only, from the header's own offsets", () => {
  const v4 = Buffer.alloc(20);
  v4[0] = 0x45;
  v4[8] = 7;
  v4.set([10, 0, 0, 1, 225, 1, 1, 1], 12);
  const flow4 = flowHeader(A('10.0.0.1'), A('225.1.1.1'));
  assert.equal(packetTtl(v4, 20, flow4), 7);
  assert.equal(packetTtl(v4, 19, flow4), undefined, 'short');
  assert.equal(packetTtl(v4, 20, flowHeader(A('10.0.0.2'), A('225.1.1.1'))), undefined, 'other source');
  assert.equal(packetTtl(v4, 20, flowHeader(A('10.0.0.1'), A('225.1.1.2'))), undefined, 'other group');
  const v6 = Buffer.alloc(40);
  v6[0] = 0x60;
  v6[7] = 9;
  v6.set([0x20, 0x01, 0x0d, 0xb8], 8);
  v6[23] = 1;
  v6.set([0xff, 0x0e], 24);
  v6[39] = 1;
  const flow6 = flowHeader(A('2001:db8::1'), A('ff0e::1'));
  assert.equal(packetTtl(v6, 40, flow6), 9);
  assert.equal(packetTtl(v4, 20, flow6), undefined, 'an IPv4 packet for an IPv6 flow');
  assert.equal(packetTtl(v6, 40, flowHeader(A('2001:db8::1'), A('ff0e::2'))), undefined, 'other group');
});
