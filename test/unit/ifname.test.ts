// Unit tests for src/model/ifname.ts: wildcard patterns, alias folding and name syntax.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkIfname, foldAlias, isWildcard, matchIfname } from '../../src/model/ifname.js';

test('isWildcard: a trailing + makes a pattern', () => {
  assert.ok(isWildcard('eth+'));
  assert.ok(isWildcard('+'));
  assert.ok(!isWildcard('eth0'));
  assert.ok(!isWildcard('e+th'));
  assert.ok(!isWildcard(''));
});

test('a wildcard matches by prefix, including the bare prefix itself', () => {
  for (const name of ['eth', 'eth0', 'eth15', 'ethernet']) assert.ok(matchIfname('eth+', name), name);
  for (const name of ['et', 'veth0', 'wlan0', 'Eth0']) assert.ok(!matchIfname('eth+', name), name);
  assert.ok(matchIfname('+', 'anything'));
  assert.ok(matchIfname('eth1+', 'eth10'));
  assert.ok(!matchIfname('eth1+', 'eth2'));
});

test('a plain name must match exactly', () => {
  assert.ok(matchIfname('eth0', 'eth0'));
  assert.ok(!matchIfname('eth0', 'eth01'));
  assert.ok(!matchIfname('eth0', 'eth'));
  assert.ok(!matchIfname('eth0', 'ETH0'));
});

test('alias labels fold onto their parent', () => {
  assert.equal(foldAlias('eth0:1'), 'eth0');
  assert.equal(foldAlias('eth0:1:2'), 'eth0');
  assert.equal(foldAlias('eth0'), 'eth0');
  assert.ok(matchIfname('eth0:1', 'eth0'));
  assert.ok(matchIfname('eth0', 'eth0:3'));
  assert.ok(matchIfname('eth0:1', 'eth0:2'));
  assert.ok(!matchIfname('eth0:1', 'eth1'));
  assert.ok(matchIfname('eth+', 'eth0:1'));
});

test('checkIfname accepts real names, wildcards and aliases', () => {
  for (const ok of ['eth0', 'eth+', 'eth0:1', 'a', 'abcdefghijklmno', 'br-lan.100', 'wg0', '+']) {
    assert.equal(checkIfname(ok).ok, true, ok);
  }
});

/** The refusal text; fails the test when the name is accepted. */
function whyNot(name: string): string {
  const r = checkIfname(name);
  assert.equal(r.ok, false, name);
  return r.ok ? '' : r.error;
}

test('checkIfname refuses what the kernel refuses', () => {
  assert.match(whyNot(''), /empty/);
  assert.match(whyNot('abcdefghijklmnop'), /16 bytes long, at most 15/);
  // Length is counted in bytes, as the kernel does.
  assert.match(whyNot('ééééééééé'), /18 bytes/);
  assert.match(whyNot('.'), /not a valid/);
  assert.match(whyNot('..'), /not a valid/);
  assert.match(whyNot('a/b'), /"\/"/);
  assert.match(whyNot('a b'), /whitespace/);
});
