// Unit tests for src/conf/parse.ts: the smcroute.conf grammar, its diagnostics, and the include hook.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { formatAddr, formatPrefix } from '../../src/model/addr.js';
import type { Diagnostic, Directive, MGroupDirective, MRouteDirective, PhyintDirective } from '../../src/conf/directives.js';
import { parseConfig } from '../../src/conf/parse.js';
import { repoPath } from '../lib/paths.js';

function parse(text: string) {
  return parseConfig(text, 'test.conf');
}

/** Parses a single line that must yield exactly one directive and no diagnostics. */
function one<K extends Directive['kind']>(line: string, kind: K): Extract<Directive, { kind: K }> {
  const r = parse(line);
  assert.deepEqual(r.diagnostics, [], line);
  assert.equal(r.directives.length, 1, line);
  const d = r.directives[0]!;
  assert.equal(d.kind, kind, line);
  return d as Extract<Directive, { kind: K }>;
}

/** Diagnostics of one line, as "severity: message". */
function diags(line: string): string[] {
  return parse(line).diagnostics.map((d) => `${d.severity}: ${d.message}`);
}

function errorOnly(line: string, pattern: RegExp): void {
  const r = parse(line);
  assert.equal(r.directives.length, 0, `${line} should be refused`);
  assert.ok(
    r.diagnostics.some((d) => d.severity === 'error' && pattern.test(d.message)),
    `${line}: ${JSON.stringify(r.diagnostics)}`,
  );
}

const route = (d: MRouteDirective | MGroupDirective) => ({
  iif: d.iif,
  source: d.source && formatPrefix(d.source),
  group: formatPrefix(d.group),
  ...('oifs' in d && { oifs: [...d.oifs] }),
});

test('phyint: defaults, flags and ttl-threshold', () => {
  const plain = one('phyint eth0', 'phyint');
  assert.deepEqual(plain, { kind: 'phyint', where: { file: 'test.conf', line: 1 }, ifname: 'eth0', mrdisc: false });
  assert.ok(!('enable' in plain) && !('ttlThreshold' in plain));

  const full = one('phyint eth1 enable mrdisc ttl-threshold 11', 'phyint');
  assert.equal(full.enable, true);
  assert.equal(full.mrdisc, true);
  assert.equal(full.ttlThreshold, 11);

  assert.equal(one('phyint eth1 disable', 'phyint').enable, false);
  assert.equal(one('phyint eth1 enable disable', 'phyint').enable, false);
  assert.equal(one('phyint eth1 disable enable', 'phyint').enable, true);
  assert.equal(one('phyint eth1 ttl-threshold 1', 'phyint').ttlThreshold, 1);
  assert.equal(one('phyint eth1 ttl-threshold 255', 'phyint').ttlThreshold, 255);
  assert.equal(one('phyint eth+ enable', 'phyint').ifname, 'eth+');
});

test('phyint: bad ttl-threshold or missing interface refuses the line', () => {
  errorOnly('phyint', /phyint: missing interface name/);
  errorOnly('phyint # eth0', /phyint: missing interface name/);
  errorOnly('phyint eth0 ttl-threshold 0', /ttl-threshold 0 out of range \(1-255\)/);
  errorOnly('phyint eth0 ttl-threshold 256', /ttl-threshold 256 out of range \(1-255\)/);
  errorOnly('phyint eth0 ttl-threshold abc', /ttl-threshold "abc" is not a number/);
  errorOnly('phyint eth0 ttl-threshold 12abc', /ttl-threshold "12abc" is not a number/);
  errorOnly('phyint eth0 ttl-threshold -1', /not a number/);
  errorOnly('phyint eth0 ttl-threshold', /"ttl-threshold" needs a value/);
  errorOnly('phyint eth0 ttl-threshold # 5', /"ttl-threshold" needs a value/);
  errorOnly('phyint averyveryverylongname', /at most 15/);
});

test('mgroup: ASM, SSM, ranges, IPv4 and IPv6', () => {
  const asm = one('mgroup from eth0 group 225.1.2.3', 'mgroup');
  assert.deepEqual(route(asm), { iif: 'eth0', source: undefined, group: '225.1.2.3' });
  assert.deepEqual(asm.text, { group: '225.1.2.3' });
  assert.ok(!('source' in asm));

  const ssm = one('mgroup from eth0 source 192.168.1.42 group 232.1.2.3', 'mgroup');
  assert.deepEqual(route(ssm), { iif: 'eth0', source: '192.168.1.42', group: '232.1.2.3' });
  assert.deepEqual(ssm.text, { source: '192.168.1.42', group: '232.1.2.3' });

  assert.deepEqual(route(one('mgroup from eth0 group 225.3.0.0/28', 'mgroup')), {
    iif: 'eth0',
    source: undefined,
    group: '225.3.0.0/28',
  });
  assert.deepEqual(route(one('mgroup from eth1 source 2001:DB8::10 group FF3E::1', 'mgroup')), {
    iif: 'eth1',
    source: '2001:db8::10',
    group: 'ff3e::1',
  });
  // Keyword order does not matter.
  assert.deepEqual(route(one('mgroup group 225.1.2.3 source 10.0.0.1 from eth0', 'mgroup')), {
    iif: 'eth0',
    source: '10.0.0.1',
    group: '225.1.2.3',
  });
});

test('ssmgroup is an alias of mgroup', () => {
  const d = one('ssmgroup from eth0 source 10.0.0.1 group 232.1.1.1', 'mgroup');
  assert.deepEqual(route(d), { iif: 'eth0', source: '10.0.0.1', group: '232.1.1.1' });
});

test('mroute: (S,G), (*,G), (*,G/LEN), (S/LEN,G), IPv6', () => {
  assert.deepEqual(route(one('mroute from eth0 source 192.168.1.42 group 225.1.2.3 to eth1 eth2', 'mroute')), {
    iif: 'eth0',
    source: '192.168.1.42',
    group: '225.1.2.3',
    oifs: ['eth1', 'eth2'],
  });
  assert.deepEqual(route(one('mroute from eth0 group 225.1.2.3 to eth1', 'mroute')), {
    iif: 'eth0',
    source: undefined,
    group: '225.1.2.3',
    oifs: ['eth1'],
  });
  assert.deepEqual(route(one('mroute from eth0 group 225.0.0.0/24 to eth1 eth2', 'mroute')), {
    iif: 'eth0',
    source: undefined,
    group: '225.0.0.0/24',
    oifs: ['eth1', 'eth2'],
  });
  assert.deepEqual(route(one('mroute from a1 source 10.0.0.1/24 group 225.3.2.1 to a2', 'mroute')), {
    iif: 'a1',
    source: '10.0.0.1/24',
    group: '225.3.2.1',
    oifs: ['a2'],
  });
  assert.deepEqual(route(one('mroute from a1 source fc00::1 group ff04:0:0:0:0:0:0:114 to a2', 'mroute')), {
    iif: 'a1',
    source: 'fc00::1',
    group: 'ff04::114',
    oifs: ['a2'],
  });
  assert.deepEqual(route(one('mroute from a1 group ff2e::42/121 to a2', 'mroute')), {
    iif: 'a1',
    source: undefined,
    group: 'ff2e::42/121',
    oifs: ['a2'],
  });
  // Host bits beyond /LEN are kept as written; consumers mask.
  const d = one('mroute from a1 group 225.1.2.3/24 to a2', 'mroute');
  assert.equal(formatAddr(d.group.addr), '225.1.2.3');
  assert.equal(d.group.len, 24);
  assert.deepEqual(d.text, { group: '225.1.2.3/24' });
});

test('an all-zero source, of any length, means any source', () => {
  for (const src of ['0.0.0.0', '0.0.0.0/8', '0.0.0.0/0']) {
    const d = one(`mroute from eth0 source ${src} group 225.1.2.3 to eth1`, 'mroute');
    assert.equal(d.source, undefined, src);
    assert.deepEqual(d.text, { source: src, group: '225.1.2.3' });
  }
  assert.equal(one('mgroup from eth0 source :: group ff05::1', 'mgroup').source, undefined);
  assert.equal(one('mroute from eth0 source ::/64 group ff05::1 to eth1', 'mroute').source, undefined);
});

test('"/0" means a single address, as upstream', () => {
  const d = one('mroute from eth0 source 10.0.0.1/0 group 225.1.2.3/0 to eth1', 'mroute');
  assert.equal(d.group.len, 32);
  assert.equal(d.source?.len, 32);
});

test('keywords match by prefix, as upstream compares only the keyword length', () => {
  assert.equal(one('mroutes from eth0 group 225.1.2.3 to eth1', 'mroute').iif, 'eth0');
  assert.equal(one('mgroups from eth0 group 225.1.2.3', 'mgroup').iif, 'eth0');
  assert.equal(one('phyints eth0', 'phyint').ifname, 'eth0');
  const d = one('mroute fromage eth0 sources 10.0.0.1 groups 225.1.2.3 tox eth1', 'mroute');
  assert.deepEqual(route(d), { iif: 'eth0', source: '10.0.0.1', group: '225.1.2.3', oifs: ['eth1'] });
  assert.equal(one('phyint eth0 enabled ttl-thresholds 7 mrdiscovery', 'phyint').ttlThreshold, 7);
  // A shorter token is not a keyword.
  assert.deepEqual(diags('mrout from eth0 group 225.1.2.3 to eth1'), ['error: unknown command "mrout"']);
});

test('"to" takes every remaining word, keywords included', () => {
  const d = one('mroute from eth0 group 225.1.2.3 to eth1 from eth2 group', 'mroute');
  assert.equal(d.iif, 'eth0');
  assert.deepEqual(d.oifs, ['eth1', 'from', 'eth2', 'group']);
});

test('"to" before group: the group words become interface names', () => {
  const r = parse('mroute from eth0 to eth1 group 225.1.2.3');
  assert.equal(r.directives.length, 0);
  assert.ok(r.diagnostics.some((x) => /missing multicast group/.test(x.message)));
});

test('comments: whole lines, trailing, inside the "to" list, and only at the start of a word', () => {
  const r = parse(
    [
      '# a comment',
      '   # an indented comment',
      '#mroute from eth0 group 225.1.2.3 to eth1',
      'mroute from eth0 group 225.1.2.3 to eth1 # eth2',
      'mroute from eth0 group 225.1.2.4 to eth1 #eth2 eth3',
      'mgroup from eth0 group 225.1.2.5 # source 10.0.0.1',
      'mroute from eth0 group 225.1.2.6 to eth1#x',
    ].join('\n'),
  );
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(
    r.directives.map((d) => d.where.line),
    [4, 5, 6, 7],
  );
  assert.deepEqual((r.directives[0] as MRouteDirective).oifs, ['eth1']);
  assert.deepEqual((r.directives[1] as MRouteDirective).oifs, ['eth1']);
  assert.equal((r.directives[2] as MGroupDirective).source, undefined);
  // '#' inside a word is part of the word, as upstream.
  assert.deepEqual((r.directives[3] as MRouteDirective).oifs, ['eth1#x']);
});

test('whitespace: tabs, CRLF line ends, blank lines, no final newline', () => {
  const r = parse(
    '\r\n\tphyint\teth0  enable\r\n\n  mroute from eth0 group 225.1.2.3 to eth1\r\nmgroup from eth0 group 225.1.2.3',
  );
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(
    r.directives.map((d) => [d.kind, d.where.line]),
    [
      ['phyint', 2],
      ['mroute', 4],
      ['mgroup', 5],
    ],
  );
  assert.equal((r.directives[1] as MRouteDirective).oifs[0], 'eth1');
  assert.deepEqual(parse(''), { directives: [], diagnostics: [] });
  assert.deepEqual(parse('\n\n\n'), { directives: [], diagnostics: [] });
});

test('interface names are kept as written: wildcards and aliases', () => {
  const d = one('mroute from eth+ group 225.1.2.3 to eth0:1 br-lan', 'mroute');
  assert.equal(d.iif, 'eth+');
  assert.deepEqual(d.oifs, ['eth0:1', 'br-lan']);
});

test('unknown command, naming the word', () => {
  assert.deepEqual(diags('foo bar baz'), ['error: unknown command "foo"']);
  assert.deepEqual(diags('from eth0 group 225.1.2.3'), ['error: unknown command "from"']);
});

test('mgroup/mroute: missing or malformed parts are errors', () => {
  errorOnly('mroute group 225.1.2.3 to eth1', /mroute: missing inbound interface/);
  errorOnly('mroute from', /missing inbound interface/);
  errorOnly('mgroup group 225.1.2.3', /mgroup: missing inbound interface/);
  errorOnly('mroute from eth0 to eth1', /mroute: missing multicast group/);
  errorOnly('mroute from eth0 group', /missing multicast group/);
  errorOnly('mgroup from eth0 group # 225.1.2.3', /missing multicast group/);
  errorOnly('mroute from eth0 group 225.1.2 to eth1', /group "225\.1\.2": invalid address/);
  errorOnly('mroute from eth0 group 10.1.2.3 to eth1', /group 10\.1\.2\.3 is not a multicast address/);
  errorOnly('mgroup from eth0 group fe80::1', /not a multicast address/);
  errorOnly('mroute from eth0 group 225.1.2.3/33 to eth1', /out of range \(0-32\)/);
  errorOnly('mroute from eth0 group ff05::1/129 to eth1', /out of range \(0-128\)/);
  errorOnly('mroute from eth0 group 225.1.2.3/x to eth1', /invalid prefix length/);
  errorOnly('mroute from eth0 source 10.0.0.1/33 group 225.1.2.3 to eth1', /source "10\.0\.0\.1\/33".*out of range/);
  errorOnly('mroute from eth0 source 10.0.0 group 225.1.2.3 to eth1', /source "10\.0\.0": invalid address/);
  errorOnly('mroute from eth0 group 225.1.2.3 source', /"source" needs an address/);
  errorOnly('mroute from eth0 source 10.0.0.1 group ff05::1 to eth1', /source 10\.0\.0\.1 is IPv4 but group ff05::1 is IPv6/);
  errorOnly('mgroup from eth0 source fc00::1 group 225.1.2.3', /is IPv6 but group 225\.1\.2\.3 is IPv4/);
  errorOnly('mroute from eth0 group 225.1.2.3 to eth1 averyveryverylongname', /at most 15/);
  errorOnly('mroute from averyveryverylongname group 225.1.2.3 to eth1', /at most 15/);
});

test('one line can report several errors at once', () => {
  const r = parse('mroute from eth0 source 10.0.0 group 10.1.1.1 to eth1');
  assert.equal(r.directives.length, 0);
  assert.equal(r.diagnostics.length, 2);
});

test('mroute: at most 32 outbound interfaces', () => {
  const oifs = (n: number) => Array.from({ length: n }, (_, i) => `e${i}`).join(' ');
  assert.equal(one(`mroute from x group 225.1.2.3 to ${oifs(32)}`, 'mroute').oifs.length, 32);
  errorOnly(`mroute from x group 225.1.2.3 to ${oifs(33)}`, /33 outbound interfaces, at most 32/);
});

test('mroute with no "to" is kept as a stop filter, with a warning', () => {
  for (const line of [
    'mroute from eth0 group 225.1.2.3',
    'mroute from eth0 group 225.1.2.3 to',
    'mroute from eth0 group 225.1.2.3 to # x',
  ]) {
    const r = parse(line);
    assert.equal(r.directives.length, 1, line);
    assert.deepEqual((r.directives[0] as MRouteDirective).oifs, []);
    assert.equal(r.diagnostics.length, 1, line);
    assert.equal(r.diagnostics[0]!.severity, 'warning');
    assert.match(r.diagnostics[0]!.message, /no outbound interfaces.*stop filter/);
  }
});

test('mgroup: a join range may expand to at most 2^10 joins, the limit the daemon applies too', () => {
  one('mgroup from eth0 group 225.1.0.0/22', 'mgroup');
  one('mgroup from eth0 source 10.0.0.0/27 group 225.1.2.0/27', 'mgroup');
  one('mgroup from eth0 group ff05::/118', 'mgroup');
  errorOnly('mgroup from eth0 group 225.1.0.0/21', /group 225\.1\.0\.0\/21 expands to 2048 joins, at most 1024/);
  errorOnly(
    'mgroup from eth0 source 10.0.0.0/26 group 225.1.2.0/27',
    /source 10\.0\.0\.0\/26 and group 225\.1\.2\.0\/27 expand to 2048 joins/,
  );
  errorOnly('mgroup from eth0 group ff05::/16', /expands to 2\^112 joins/);
  // Routes are templates, not joins: no such limit.
  one('mroute from eth0 group 225.0.0.0/8 to eth1', 'mroute');
});

test('suspicious but accepted: warnings keep the directive', () => {
  const check = (line: string, pattern: RegExp) => {
    const r = parse(line);
    assert.equal(r.directives.length, 1, line);
    assert.equal(r.diagnostics.length, 1, `${line}: ${JSON.stringify(r.diagnostics)}`);
    assert.equal(r.diagnostics[0]!.severity, 'warning');
    assert.match(r.diagnostics[0]!.message, pattern);
  };
  check('mroute from eth0 grop group 225.1.2.4 to eth1', /unexpected "grop", ignored/);
  check('phyint eth0 enable bogus', /phyint: unexpected "bogus"/);
  check('mroute from eth0 group 225.1.2.3 ttl-threshold 5 to eth1', /"ttl-threshold" does not apply here/);
  check('mgroup from eth0 group 225.1.2.3 mrdisc', /"mrdisc" does not apply here/);
  check('phyint eth0 group 225.1.2.3', /"group" does not apply here/);
  check('mroute from eth0 source 225.9.9.9 group 225.1.2.3 to eth1', /source 225\.9\.9\.9 is a multicast address/);
  check('mroute from eth0 group 224.0.0.0/3 to eth1', /reaches outside the multicast address space/);
  check('mroute from eth0 group ff00::/7 to eth1', /reaches outside/);
});

test('a keyword that does not apply still consumes what upstream would', () => {
  // "to" in an mgroup swallows the rest of the line, so the group after it is lost.
  const r = parse('mgroup from eth0 to eth1 group 225.1.2.3');
  assert.equal(r.directives.length, 0);
  assert.ok(r.diagnostics.some((d) => d.severity === 'warning' && /"to" does not apply/.test(d.message)));
  assert.ok(r.diagnostics.some((d) => d.severity === 'error' && /missing multicast group/.test(d.message)));
  // A value keyword takes its value with it, so the value is not reported as stray.
  const p = parse('phyint eth0 from eth1');
  assert.equal((p.directives[0] as PhyintDirective).ifname, 'eth0');
  assert.equal(p.diagnostics.length, 1);
});

test('line length: 512 bytes including the line end', () => {
  const pad = (n: number) => `mroute from eth0 group 225.1.2.3 to eth1${' '.repeat(n - 40)}`;
  assert.equal(pad(511).length, 511);
  assert.equal(one(pad(511), 'mroute').oifs.length, 1);
  const r = parse(`${pad(512)}\nmgroup from eth0 group 225.1.2.3`);
  assert.deepEqual(
    r.directives.map((d) => d.kind),
    ['mgroup'],
  );
  assert.equal(r.diagnostics.length, 1);
  assert.equal(r.diagnostics[0]!.where.line, 1);
  assert.match(r.diagnostics[0]!.message, /line too long: 513 bytes/);
  // Counted in UTF-8 bytes: 200 two-byte characters in a comment.
  const wide = `mgroup from eth0 group 225.1.2.3 # ${'é'.repeat(240)}`;
  assert.ok(wide.length < 512);
  assert.match(parse(wide).diagnostics[0]!.message, /line too long: 516 bytes/);
});

test('a broken line never stops the others, and every diagnostic names file and line', () => {
  const text = [
    'phyint eth0 enable', // 1
    'bogus line here', // 2
    'mroute from eth0 group 10.0.0.1 to eth1', // 3
    'mgroup from eth0 group 225.1.2.3', // 4
    'phyint eth1 ttl-threshold 999', // 5
    'mroute from eth0 source 10.0.0.1 group ff02::1 to eth1', // 6
    'mroute from eth0 group 225.1.2.3 to eth1', // 7
    `mgroup ${'x'.repeat(600)}`, // 8
    'mroute from eth0 group 225.1.2.4 to eth2', // 9
  ].join('\n');
  const r = parseConfig(text, '/etc/smcroute.conf');
  assert.deepEqual(
    r.directives.map((d) => [d.kind, d.where.line]),
    [
      ['phyint', 1],
      ['mgroup', 4],
      ['mroute', 7],
      ['mroute', 9],
    ],
  );
  assert.deepEqual(
    r.diagnostics.map((d: Diagnostic) => [d.where.file, d.where.line, d.severity]),
    [
      ['/etc/smcroute.conf', 2, 'error'],
      ['/etc/smcroute.conf', 3, 'error'],
      ['/etc/smcroute.conf', 5, 'error'],
      ['/etc/smcroute.conf', 6, 'error'],
      ['/etc/smcroute.conf', 8, 'error'],
    ],
  );
});

test('include: spliced in place through the include option', () => {
  const seen: Array<[string, number]> = [];
  const r = parseConfig('phyint a\ninclude x/*.conf # comment\nphyint c', 'main.conf', {
    include: (pattern, where) => {
      seen.push([pattern, where.line]);
      return parseConfig('phyint b', 'x/1.conf');
    },
  });
  assert.deepEqual(seen, [['x/*.conf', 2]]);
  assert.deepEqual(
    r.directives.map((d) => (d as PhyintDirective).ifname),
    ['a', 'b', 'c'],
  );
  assert.deepEqual(r.directives[1]!.where, { file: 'x/1.conf', line: 1 });
  assert.deepEqual(r.diagnostics, []);
});

test('include: problems on the include line itself', () => {
  errorOnly('include', /include: missing file name or pattern/);
  errorOnly('include # nothing', /missing file name/);
  assert.deepEqual(diags('include a.conf'), ['warning: include: a.conf not read, includes are not followed here']);
  const r = parseConfig('include a.conf b.conf', 'm.conf', { include: () => ({ directives: [], diagnostics: [] }) });
  assert.match(r.diagnostics[0]!.message, /takes one pattern, "b\.conf" and after ignored/);
});

test('the example conf/smcroute.conf parses cleanly and covers every form', () => {
  const path = repoPath('conf', 'smcroute.conf');
  const text = readFileSync(path, 'utf8');
  const includes: string[] = [];
  const r = parseConfig(text, path, {
    include: (pattern) => {
      includes.push(pattern);
      return { directives: [], diagnostics: [] };
    },
  });
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(includes, ['/etc/smcroute.d/*.conf']);
  const kinds = new Set(r.directives.map((d) => d.kind));
  assert.deepEqual([...kinds].sort(), ['mgroup', 'mroute', 'phyint']);
  const routes = r.directives.filter((d): d is MRouteDirective => d.kind === 'mroute');
  const groups = r.directives.filter((d): d is MGroupDirective => d.kind === 'mgroup');
  const full = (len: number, fam: string) => len === (fam === 'inet' ? 32 : 128);
  assert.ok(
    routes.some((d) => d.source && full(d.source.len, d.source.addr.family) && full(d.group.len, d.group.addr.family)),
    '(S,G)',
  );
  assert.ok(
    routes.some((d) => !d.source && full(d.group.len, d.group.addr.family)),
    '(*,G)',
  );
  assert.ok(
    routes.some((d) => !d.source && !full(d.group.len, d.group.addr.family)),
    '(*,G/LEN)',
  );
  assert.ok(
    routes.some((d) => d.source && !full(d.source.len, d.source.addr.family)),
    '(S/LEN,G)',
  );
  assert.ok(
    routes.some((d) => d.group.addr.family === 'inet6'),
    'IPv6 route',
  );
  assert.ok(groups.some((d) => d.source) && groups.some((d) => !d.source), 'SSM and ASM joins');
  assert.ok(
    groups.some((d) => d.group.addr.family === 'inet6'),
    'IPv6 join',
  );
  assert.ok(
    groups.some((d) => !full(d.group.len, d.group.addr.family)),
    'join range',
  );
  assert.ok(
    r.directives.some((d) => d.kind === 'phyint' && d.mrdisc),
    'phyint mrdisc',
  );
});

test('a line with a NUL byte is an error naming the line; the other lines still parse', () => {
  const { directives, diagnostics } = parseConfig(
    'mroute from eth0 group 225.1.2.3 to eth1\0junk\nmgroup from eth0 group 225.1.2.4\n',
    'nul.conf',
  );
  assert.equal(directives.length, 1);
  assert.equal(directives[0]!.kind, 'mgroup');
  assert.equal(diagnostics.length, 1);
  assert.equal(diagnostics[0]!.where.line, 1);
  assert.match(diagnostics[0]!.message, /NUL/);
});
