// Parsers of the kernel's multicast views, checked against text captured from Linux 6.18 (x86_64,
// little-endian) in namespaces set up by hand, as described above each group of samples.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  hexHostOrderV4,
  hexNetOrderV4,
  hexV6,
  parseIgmp,
  parseIgmp6,
  parseIp6MrCache,
  parseIp6MrVif,
  parseIpMrCache,
  parseIpMrouteJson,
  parseIpMrVif,
  parseMcfilter,
  parseMcfilter6,
} from '../lib/procnet.js';

function lines(...l: string[]): string {
  return `${l.join('\n')}\n`;
}

// Router namespace. IPv4: VIF 0 made by address 10.12.1.1 on b0, VIF 1 by ifindex 3 on b1;
// MFC (10.12.1.2,225.4.4.4) b0 -> b1 with TTL threshold 3 (2 datagrams sent),
// (10.12.1.2,225.5.5.5) with no oif (4 sent), nothing for 239.9.8.7 (3 sent, left unresolved).
// IPv6: MIF 0 b0, MIF 1 b1; (fd00:12:1::2,ff0e::4:4) -> MIF 1 (3 sent), (…,ff0e::5:5) with no
// oif (1 sent), ff05::abcd unresolved (2 sent). `ip -json mroute show` taken at the same moment.
const IP_MR_CACHE = lines(
  'Group    Origin   Iif     Pkts    Bytes    Wrong Oifs',
  '040404E1 02010C0A 0          2       76        0  1:3  ',
  '050505E1 02010C0A 0          4      152        0',
  '070809EF 02010C0A -1         0        0        0',
);

const IP_MR_VIF = lines(
  'Interface      BytesIn  PktsIn  BytesOut PktsOut Flags Local    Remote',
  ' 0 b0              228       6         0       0 00000 01010C0A 00000000',
  ' 1 b1                0       0        76       2 00008 00000003 00000000',
);

const IP6_MR_CACHE = lines(
  'Group                            Origin                           Iif      Pkts  Bytes     Wrong  Oifs',
  'ff0e:0000:0000:0000:0000:0000:0004:0004 fd00:0012:0001:0000:0000:0000:0000:0002 0          3      174        0  1:1  ',
  'ff0e:0000:0000:0000:0000:0000:0005:0005 fd00:0012:0001:0000:0000:0000:0000:0002 0          1       58        0',
  'ff05:0000:0000:0000:0000:0000:0000:abcd fd00:0012:0001:0000:0000:0000:0000:0002 -1         0        0        0',
);

const IP6_MR_VIF = lines(
  'Interface      BytesIn  PktsIn  BytesOut PktsOut Flags',
  ' 0 b0              232       4         0       0 00000',
  ' 1 b1                0       0       174       3 00000',
);

const IP_MROUTE_JSON = lines(
  '[{"src":"10.12.1.2","dst":"225.4.4.4","iif":"b0","multipath":[{"oif":"b1","ttl":3}],"state":"resolved"},{"src":"10.12.1.2","dst":"225.5.5.5","iif":"b0","multipath":[],"state":"resolved"},{"src":"10.12.1.2","dst":"239.9.8.7","iif":"unresolved","state":"unresolved"}]',
);

const IP6_MROUTE_JSON = lines(
  '[{"src":"fd00:12:1::2","dst":"ff0e::4:4","iif":"b0","multipath":[{"oif":"b1"}],"state":"resolved"},{"src":"fd00:12:1::2","dst":"ff0e::5:5","iif":"b0","multipath":[],"state":"resolved"},{"src":"fd00:12:1::2","dst":"ff05::abcd","iif":"unresolved","state":"unresolved"}]',
);

// Receiver namespace, c0 (ifindex 2): ASM join 225.4.4.4, then SSM 232.5.5.5 from 10.12.1.2 and
// 10.12.1.7; ASM ff0e::4:4, then SSM ff3e::8000:1 from fd00:12:1::2 and fd00:12:1::7.
const IGMP = lines(
  'Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter',
  '1\tlo        :     1      V3',
  '\t\t\t\t010000E0     1 0:00000000\t\t0',
  '2\tc0        :     3      V3',
  '\t\t\t\t050505E8     1 0:00000000\t\t0',
  '\t\t\t\t040404E1     1 0:00000000\t\t0',
  '\t\t\t\t010000E0     1 0:00000000\t\t0',
);

const IGMP6 = lines(
  '1    lo              ff020000000000000000000000000001     1 0000000C 0',
  '1    lo              ff010000000000000000000000000001     1 00000008 0',
  '2    c0              ff3e0000000000000000000080000001     1 00000004 0',
  '2    c0              ff0e0000000000000000000000040004     1 00000004 0',
  '2    c0              ff0200000000000000000001ff000002     1 00000004 0',
  '2    c0              ff0200000000000000000001ff378d3b     1 00000004 0',
  '2    c0              ff020000000000000000000000000001     1 0000000C 0',
  '2    c0              ff010000000000000000000000000001     1 00000008 0',
);

const MCFILTER = lines(
  'Idx Device        MCA        SRC    INC    EXC',
  '  2     c0 0xe8050505 0x0a0c0102      1      0',
  '  2     c0 0xe8050505 0x0a0c0107      1      0',
);

const MCFILTER6 = lines(
  'Idx Device                Multicast Address                   Source Address    INC    EXC',
  '  2     c0 ff3e0000000000000000000080000001 fd000012000100000000000000000002      1      0',
  '  2     c0 ff3e0000000000000000000080000001 fd000012000100000000000000000007      1      0',
);

test('IPv4 hex in host order: bytes reversed on little-endian, as-is on big-endian', () => {
  assert.equal(hexHostOrderV4('030201E1', 'LE'), '225.1.2.3');
  assert.equal(hexHostOrderV4('E1010203', 'BE'), '225.1.2.3');
  assert.equal(hexNetOrderV4('0xe8050505'), '232.5.5.5');
  assert.equal(hexV6('ff3e0000000000000000000080000001'), 'ff3e::8000:1');
  assert.throws(() => hexHostOrderV4('xyz'));
  assert.throws(() => hexV6('ff3e'));
});

test('ip_mr_cache: resolved, oif-less and unresolved entries', () => {
  assert.deepEqual(parseIpMrCache(IP_MR_CACHE, 'LE'), [
    {
      family: 'inet',
      group: '225.4.4.4',
      source: '10.12.1.2',
      iif: 0,
      resolved: true,
      packets: 2,
      bytes: 76,
      wrongIf: 0,
      oifs: [{ vif: 1, ttl: 3 }],
    },
    {
      family: 'inet',
      group: '225.5.5.5',
      source: '10.12.1.2',
      iif: 0,
      resolved: true,
      packets: 4,
      bytes: 152,
      wrongIf: 0,
      oifs: [],
    },
    {
      family: 'inet',
      group: '239.9.8.7',
      source: '10.12.1.2',
      iif: -1,
      resolved: false,
      packets: 0,
      bytes: 0,
      wrongIf: 0,
      oifs: [],
    },
  ]);
});

test('ip_mr_vif: the Local column is an address, or the ifindex with VIFF_USE_IFINDEX', () => {
  const v = parseIpMrVif(IP_MR_VIF, 'LE');
  assert.deepEqual(
    v.map((r) => [r.vif, r.name, r.flags, r.local, r.ifindex]),
    [
      [0, 'b0', 0, '10.12.1.1', undefined],
      [1, 'b1', 8, undefined, 3],
    ],
  );
  assert.deepEqual(
    v.map((r) => [r.bytesIn, r.pktsIn, r.bytesOut, r.pktsOut]),
    [
      [228, 6, 0, 0],
      [0, 0, 76, 2],
    ],
  );
});

test('ip6_mr_cache and ip6_mr_vif', () => {
  assert.deepEqual(
    parseIp6MrCache(IP6_MR_CACHE).map((r) => [r.source, r.group, r.iif, r.resolved, r.packets, r.bytes, r.oifs]),
    [
      ['fd00:12:1::2', 'ff0e::4:4', 0, true, 3, 174, [{ vif: 1, ttl: 1 }]],
      ['fd00:12:1::2', 'ff0e::5:5', 0, true, 1, 58, []],
      ['fd00:12:1::2', 'ff05::abcd', -1, false, 0, 0, []],
    ],
  );
  assert.deepEqual(
    parseIp6MrVif(IP6_MR_VIF).map((r) => [r.vif, r.name, r.pktsIn, r.pktsOut, r.flags]),
    [
      [0, 'b0', 4, 0, 0],
      [1, 'b1', 0, 3, 0],
    ],
  );
});

test('/proc and `ip -json mroute` views captured together name the same entries', () => {
  const key = (r: { source?: string; group: string }): string => `${r.source},${r.group}`;
  assert.deepEqual(parseIpMrCache(IP_MR_CACHE, 'LE').map(key), parseIpMrouteJson(IP_MROUTE_JSON).map(key));
  assert.deepEqual(parseIp6MrCache(IP6_MR_CACHE).map(key), parseIpMrouteJson(IP6_MROUTE_JSON).map(key));
});

test('ip -json mroute: oifs with TTL, unresolved iif', () => {
  assert.deepEqual(parseIpMrouteJson(IP_MROUTE_JSON), [
    { source: '10.12.1.2', group: '225.4.4.4', iif: 'b0', oifs: [{ name: 'b1', ttl: 3 }], state: 'resolved' },
    { source: '10.12.1.2', group: '225.5.5.5', iif: 'b0', oifs: [], state: 'resolved' },
    { source: '10.12.1.2', group: '239.9.8.7', iif: undefined, oifs: [], state: 'unresolved' },
  ]);
  assert.deepEqual(parseIpMrouteJson(IP6_MROUTE_JSON)[0]!.oifs, [{ name: 'b1' }]);
  assert.deepEqual(parseIpMrouteJson(''), []);
});

test('igmp: groups under their device lines', () => {
  assert.deepEqual(
    parseIgmp(IGMP, 'LE').map((r) => [r.ifindex, r.device, r.group, r.users]),
    [
      [1, 'lo', '224.0.0.1', 1],
      [2, 'c0', '232.5.5.5', 1],
      [2, 'c0', '225.4.4.4', 1],
      [2, 'c0', '224.0.0.1', 1],
    ],
  );
});

test('igmp6: one line per group, no header', () => {
  const c0 = parseIgmp6(IGMP6).filter((r) => r.device === 'c0');
  assert.deepEqual(
    c0.map((r) => r.group),
    ['ff3e::8000:1', 'ff0e::4:4', 'ff02::1:ff00:2', 'ff02::1:ff37:8d3b', 'ff02::1', 'ff01::1'],
  );
  assert.ok(c0.every((r) => r.ifindex === 2 && r.family === 'inet6' && r.users === 1));
});

test('mcfilter and mcfilter6: network-order hex, sources per group', () => {
  assert.deepEqual(parseMcfilter(MCFILTER), [
    { family: 'inet', ifindex: 2, device: 'c0', group: '232.5.5.5', source: '10.12.1.2', include: 1, exclude: 0 },
    { family: 'inet', ifindex: 2, device: 'c0', group: '232.5.5.5', source: '10.12.1.7', include: 1, exclude: 0 },
  ]);
  assert.deepEqual(
    parseMcfilter6(MCFILTER6).map((r) => [r.group, r.source, r.include, r.exclude]),
    [
      ['ff3e::8000:1', 'fd00:12:1::2', 1, 0],
      ['ff3e::8000:1', 'fd00:12:1::7', 1, 0],
    ],
  );
});

test('header-only files are empty; anything unexpected throws', () => {
  assert.deepEqual(parseMcfilter(lines('Idx Device        MCA        SRC    INC    EXC')), []);
  assert.deepEqual(parseIpMrCache(lines('Group    Origin   Iif     Pkts    Bytes    Wrong Oifs')), []);
  assert.deepEqual(parseIgmp6(''), []);
  assert.throws(() => parseIpMrCache('030201E1 02010B0A 0 0 0 0\n'), /header/);
  assert.throws(() => parseIpMrCache(lines('Group', '030201E1 02010B0A 0 1 2 3 1-1')), /oif/);
  assert.throws(() => parseIgmp(lines('Idx', '\t\t\t\t010000E0     1 0:00000000\t\t0')), /igmp line/);
  assert.throws(() => parseIp6MrVif(lines('Interface', ' 0 b0 1 2')), /fields/);
});
