// Unit tests for src/model/addr.ts: parsing, glibc-style formatting, masks, containment, prefixes.
// Expected texts were checked against glibc's inet_pton/inet_ntop.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addrKey,
  anyAddr,
  contains,
  expand,
  formatAddr,
  formatPrefix,
  isAny,
  isMulticast,
  mask,
  maxLen,
  parseAddr,
  parsePrefix,
  sameAddr,
  type Addr,
  type Prefix,
} from '../../src/model/addr.js';

function v4(text: string): Addr {
  const a = parseAddr(text);
  assert.ok(a, `${text} should parse`);
  assert.equal(a.family, 'inet');
  return a;
}

function v6(text: string): Addr {
  const a = parseAddr(text);
  assert.ok(a, `${text} should parse`);
  assert.equal(a.family, 'inet6');
  return a;
}

function prefix(text: string): Prefix {
  const r = parsePrefix(text);
  assert.ok(r.ok, `${text} should parse: ${r.ok ? '' : r.error}`);
  return r.value;
}

/** Deterministic PRNG so the random round trips are reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

test('IPv4 parses to its 32-bit value', () => {
  assert.equal(v4('0.0.0.0').value, 0n);
  assert.equal(v4('255.255.255.255').value, 0xffffffffn);
  assert.equal(v4('225.1.2.3').value, 0xe1010203n);
  assert.equal(v4('10.0.0.1').value, 0x0a000001n);
});

test('IPv4 rejects what inet_pton rejects', () => {
  for (const bad of [
    '',
    '1.2.3',
    '1.2.3.4.5',
    '1.2.3.256',
    '01.2.3.4',
    '1.2.3.04',
    '0x1.2.3.4',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3.4/24',
    '1..2.3',
    'a.b.c.d',
    '-1.2.3.4',
    '１.2.3.4',
  ]) {
    assert.equal(parseAddr(bad), undefined, JSON.stringify(bad));
  }
});

test('IPv6 parses every textual form to the same value', () => {
  const one = 0xff020000000000000000000000000001n;
  for (const text of ['ff02::1', 'FF02::1', 'ff02:0:0:0:0:0:0:1', 'ff02:0000:0000::0001', 'ff02::0:1']) {
    assert.equal(v6(text).value, one, text);
  }
  assert.equal(v6('::').value, 0n);
  assert.equal(v6('::1').value, 1n);
  assert.equal(v6('1::').value, 1n << 112n);
  assert.equal(v6('::ffff:1.2.3.4').value, 0xffff01020304n);
  assert.equal(v6('::1.2.3.4').value, 0x01020304n);
  assert.equal(v6('1:2:3:4:5:6:1.2.3.4').value, 0x00010002000300040005000601020304n);
  assert.equal(v6('1:2:3:4:5:6:7::').value, 0x00010002000300040005000600070000n);
});

test('IPv6 rejects what inet_pton rejects', () => {
  for (const bad of [
    ':',
    ':::',
    '1::2::3',
    ':1::2',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    '1:2:3:4:5:6::7:8',
    '12345::',
    'ff02::00001',
    'g::1',
    '::ffff:1.2.3',
    '::ffff:256.1.1.1',
    '::1.02.3.4',
    '1:2:3:4:5:6:7:1.2.3.4',
    '::1.2.3.4::',
    '::ffff:1.2.3.4:1',
    'fe80::1%eth0',
    '::1/128',
  ]) {
    assert.equal(parseAddr(bad), undefined, JSON.stringify(bad));
  }
});

test('IPv6 formats as glibc inet_ntop does', () => {
  const cases: Array<[string, string]> = [
    ['FF02:0:0:0:0:0:0:1', 'ff02::1'],
    ['2001:DB8::A', '2001:db8::a'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['0:1:0:0:0:0:0:0', '0:1::'],
    // IPv4-mapped and IPv4-compatible addresses print a dotted quad.
    ['0:0:0:0:0:ffff:102:304', '::ffff:1.2.3.4'],
    ['0:0:0:0:0:ffff:0:0', '::ffff:0.0.0.0'],
    ['0:0:0:0:0:0:102:304', '::1.2.3.4'],
    ['0:0:0:0:0:0:1:0', '::0.1.0.0'],
    ['0:0:0:0:0:fffe:102:304', '::fffe:102:304'],
    ['0:0:0:0:ffff:0:102:304', '::ffff:0:102:304'],
    // Equal zero runs: the first one is compressed.
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    // A longer later run beats an earlier one.
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['1:0:0:2:0:0:0:0', '1:0:0:2::'],
    ['0:0:1:0:0:0:0:0', '0:0:1::'],
    ['1:0:0:0:2:0:0:0', '1::2:0:0:0'],
    ['0:0:0:0:1:0:0:0', '::1:0:0:0'],
    // A lone zero group is never compressed.
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ];
  for (const [input, canonical] of cases) assert.equal(formatAddr(v6(input)), canonical, input);
});

test('IPv4 formats as a dotted quad', () => {
  assert.equal(formatAddr({ family: 'inet', value: 0xe1010203n }), '225.1.2.3');
  assert.equal(formatAddr({ family: 'inet', value: 0n }), '0.0.0.0');
  assert.equal(formatAddr({ family: 'inet', value: 0xffffffffn }), '255.255.255.255');
});

test('random addresses survive format then parse, and canonical text is a fixed point', () => {
  const next = rng(42);
  for (let i = 0; i < 2000; i++) {
    const a4: Addr = { family: 'inet', value: BigInt(next()) };
    const t4 = formatAddr(a4);
    assert.ok(sameAddr(parseAddr(t4)!, a4), t4);

    // Mostly-zero groups so that runs of zeros and the v4 forms are common.
    let value = 0n;
    for (let g = 0; g < 8; g++) {
      const r = next();
      const word = r % 4 === 0 ? r >>> 16 : r % 4 === 1 ? 0xffff : 0;
      value = (value << 16n) | BigInt(word & 0xffff);
    }
    const a6: Addr = { family: 'inet6', value };
    const t6 = formatAddr(a6);
    const back = parseAddr(t6);
    assert.ok(back && sameAddr(back, a6), t6);
    assert.equal(formatAddr(back), t6);
    assert.ok(!t6.includes(':::'), t6);
    assert.ok(t6.split('::').length <= 2, t6);
  }
});

test('multicast and any-address tests', () => {
  assert.ok(isMulticast(v4('224.0.0.0')));
  assert.ok(isMulticast(v4('239.255.255.255')));
  assert.ok(!isMulticast(v4('223.255.255.255')));
  assert.ok(!isMulticast(v4('240.0.0.0')));
  assert.ok(isMulticast(v6('ff02::1')));
  assert.ok(isMulticast(v6('ff00::')));
  assert.ok(!isMulticast(v6('fe80::1')));
  assert.ok(!isMulticast(v6('::ffff:225.1.2.3')));
  assert.ok(isAny(v4('0.0.0.0')));
  assert.ok(isAny(v6('::')));
  assert.ok(!isAny(v6('::1')));
  assert.deepEqual(anyAddr('inet6'), { family: 'inet6', value: 0n });
  assert.equal(maxLen('inet'), 32);
  assert.equal(maxLen('inet6'), 128);
});

test('mask keeps the leading bits only', () => {
  assert.equal(formatAddr(mask(v4('225.1.2.3'), 24)), '225.1.2.0');
  assert.equal(formatAddr(mask(v4('225.1.2.3'), 9)), '225.0.0.0');
  assert.equal(formatAddr(mask(v4('225.129.2.3'), 9)), '225.128.0.0');
  assert.equal(formatAddr(mask(v4('225.1.2.3'), 32)), '225.1.2.3');
  assert.equal(formatAddr(mask(v4('225.1.2.3'), 0)), '0.0.0.0');
  assert.equal(formatAddr(mask(v6('ff2e::42'), 121)), 'ff2e::');
  assert.equal(formatAddr(mask(v6('ff2e::c2'), 121)), 'ff2e::80');
  assert.equal(formatAddr(mask(v6('2001:db8:1:2:3:4:5:6'), 64)), '2001:db8:1:2::');
  assert.equal(formatAddr(mask(v6('2001:db8:1:2:3:4:5:6'), 128)), '2001:db8:1:2:3:4:5:6');
  assert.equal(mask(v6('ff02::1'), 128).family, 'inet6');
});

test('contains respects the prefix length, the edges and the family', () => {
  const p = prefix('225.0.0.0/15');
  assert.ok(contains(p, v4('225.0.0.0')));
  assert.ok(contains(p, v4('225.1.255.255')));
  assert.ok(!contains(p, v4('225.2.0.0')));
  assert.ok(!contains(p, v4('224.255.255.255')));
  // The prefix's own host bits do not matter.
  assert.ok(contains(prefix('225.1.2.3/24'), v4('225.1.2.200')));
  assert.ok(contains(prefix('ff05:bad0::/31'), v6('ff05:bad1::1')));
  assert.ok(!contains(prefix('ff05:bad0::/32'), v6('ff05:bad1::1')));
  assert.ok(contains(prefix('225.1.2.3'), v4('225.1.2.3')));
  assert.ok(!contains(prefix('225.1.2.3'), v4('225.1.2.4')));
  // Same bits, other family: never contained.
  assert.ok(!contains(prefix('0.0.0.0/1'), { family: 'inet6', value: 1n }));
});

test('parsePrefix reads ADDR and ADDR/LEN, "/0" meaning a single address', () => {
  assert.deepEqual(prefix('225.1.2.0/24'), { addr: v4('225.1.2.0'), len: 24 });
  assert.deepEqual(prefix('225.1.2.3'), { addr: v4('225.1.2.3'), len: 32 });
  assert.deepEqual(prefix('225.1.2.3/0'), { addr: v4('225.1.2.3'), len: 32 });
  assert.deepEqual(prefix('225.1.2.3/32'), { addr: v4('225.1.2.3'), len: 32 });
  assert.deepEqual(prefix('ff2e::42/121'), { addr: v6('ff2e::42'), len: 121 });
  assert.deepEqual(prefix('ff2e::42/0'), { addr: v6('ff2e::42'), len: 128 });
  assert.deepEqual(prefix('ff2e::42/128'), { addr: v6('ff2e::42'), len: 128 });
  assert.equal(prefix('10.0.0.0/024').len, 24);
});

test('parsePrefix explains what is wrong', () => {
  const err = (text: string) => {
    const r = parsePrefix(text);
    assert.equal(r.ok, false, text);
    assert.ok(!r.ok && r.error, text);
    return r.error;
  };
  assert.match(err('225.1.2.3/33'), /out of range \(0-32\)/);
  assert.match(err('ff02::1/129'), /out of range \(0-128\)/);
  assert.match(err('225.1.2.3/'), /invalid prefix length/);
  assert.match(err('225.1.2.3/abc'), /invalid prefix length/);
  assert.match(err('225.1.2.3/-1'), /invalid prefix length/);
  assert.match(err('225.1.2.3/24/8'), /invalid prefix length/);
  assert.match(err('225.1.2.3/1000'), /invalid prefix length/);
  assert.match(err('225.1.2/24'), /invalid address 225\.1\.2/);
  assert.match(err('/24'), /invalid address/);
  assert.match(err(''), /invalid address/);
});

test('formatPrefix omits a full-width length', () => {
  assert.equal(formatPrefix(prefix('225.1.2.0/24')), '225.1.2.0/24');
  assert.equal(formatPrefix(prefix('225.1.2.3/0')), '225.1.2.3');
  assert.equal(formatPrefix(prefix('FF2E:0::42/121')), 'ff2e::42/121');
  assert.equal(formatPrefix(prefix('ff2e::42')), 'ff2e::42');
});

test('expand yields every address of the prefix, lowest first, from the masked base', () => {
  const all = [...expand(prefix('225.1.2.77/30'))].map(formatAddr);
  assert.deepEqual(all, ['225.1.2.76', '225.1.2.77', '225.1.2.78', '225.1.2.79']);
  assert.deepEqual([...expand(prefix('225.1.2.3'))].map(formatAddr), ['225.1.2.3']);
  const six = [...expand(prefix('ff2e::42/126'))].map(formatAddr);
  assert.deepEqual(six, ['ff2e::40', 'ff2e::41', 'ff2e::42', 'ff2e::43']);
  const big = [...expand(prefix('225.1.0.0/16'))];
  assert.equal(big.length, 65536);
  assert.equal(formatAddr(big[0]!), '225.1.0.0');
  assert.equal(formatAddr(big[65535]!), '225.1.255.255');
  // Crossing an octet boundary while counting.
  assert.deepEqual([...expand(prefix('225.1.0.255/31'))].map(formatAddr), ['225.1.0.254', '225.1.0.255']);
});

test('addrKey and sameAddr tell families apart', () => {
  const a: Addr = { family: 'inet', value: 1n };
  const b: Addr = { family: 'inet6', value: 1n };
  assert.notEqual(addrKey(a), addrKey(b));
  assert.ok(!sameAddr(a, b));
  assert.ok(sameAddr(v6('ff02::1'), v6('FF02:0::1')));
  assert.equal(addrKey(v6('ff02::1')), addrKey(v6('ff02:0:0:0:0:0:0:1')));
  assert.notEqual(addrKey(v4('225.1.2.3')), addrKey(v4('225.1.2.4')));
});
