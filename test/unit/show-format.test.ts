// Golden text for every show formatter, written out by hand from upstream's
// printf formats (the comment above each expectation names the format).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGroups, formatInterfaces, formatPending, formatRoutes } from '../../src/show/format.js';
import type { GroupsSnapshot, RoutesSnapshot } from '../../src/show/types.js';
import { P } from '../lib/fixtures.js';

/** n spaces, so the column arithmetic in the expectations stays visible. */
const sp = (n: number) => ' '.repeat(n);

const ROUTES: RoutesSnapshot = {
  templates: [
    { source: null, group: P('225.1.2.3'), iif: 'a0', oifs: ['b0', 'longername1'] },
    { source: P('10.0.0.0/24'), group: P('225.1.2.0/24'), iif: 'a0', oifs: ['b0'] },
  ],
  sgRules: [{ source: P('10.0.0.1'), group: P('225.1.2.4'), iif: 'longername1', oifs: ['b0'], packets: 7n, bytes: 1234n }],
  kernel: [
    { source: P('10.0.0.1'), group: P('225.1.2.4'), iif: 'longername1', oifs: ['b0'], packets: 12n, bytes: 3456n },
    { source: P('10.0.0.9'), group: P('225.1.2.3'), iif: 'a0', oifs: [] },
  ],
  ifnameWidth: 11,
};

test('routes, brief: three sections, IIF column as wide as the longest interface name', () => {
  // mroute_show heading: "%-42s %-*s  %s=\n" with "ROUTE (S,G)" (11 chars), inw = 11, "IIF", "OIFS"
  const heading = `ROUTE (S,G)${sp(31)} IIF${sp(8)}  OIFS=\n`;
  // show_mroute row: "%-42s %-*s " then " %s" per OIF, then "\n"
  const expected =
    '(*,G) Template Rules_\n' +
    heading +
    `(*, 225.1.2.3)${sp(28)} a0${sp(9)}  b0 longername1\n` + // "(*, 225.1.2.3)" is 14 chars
    `(10.0.0.0/24, 225.1.2.0/24)${sp(15)} a0${sp(9)}  b0\n` + // 27 chars
    '(S,G) Rules_\n' +
    heading +
    `(10.0.0.1, 225.1.2.4)${sp(21)} longername1  b0\n` + // 21 chars
    'Kernel MFC Table_\n' +
    heading +
    `(10.0.0.1, 225.1.2.4)${sp(21)} longername1  b0\n` +
    // a stop filter: no OIF, the row ends in the space after the IIF column
    `(10.0.0.9, 225.1.2.3)${sp(21)} a0${sp(9)} \n`;
  assert.equal(formatRoutes(ROUTES, 'brief'), expected);
});

test('routes, detail: packet and byte counters, 10 wide, 0 when unknown', () => {
  // heading: "%-42s %-*s %10s %10s  %s=\n"; row adds "%10lu %10lu " after "%-42s %-*s "
  const heading = `ROUTE (S,G)${sp(31)} IIF${sp(8)} ${sp(3)}PACKETS ${sp(5)}BYTES  OIFS=\n`;
  const snap: RoutesSnapshot = { templates: [], sgRules: ROUTES.sgRules, kernel: ROUTES.kernel, ifnameWidth: 11 };
  const expected =
    '(S,G) Rules_\n' +
    heading +
    `(10.0.0.1, 225.1.2.4)${sp(21)} longername1 ${sp(9)}7 ${sp(6)}1234  b0\n` +
    'Kernel MFC Table_\n' +
    heading +
    `(10.0.0.1, 225.1.2.4)${sp(21)} longername1 ${sp(8)}12 ${sp(6)}3456  b0\n` +
    `(10.0.0.9, 225.1.2.3)${sp(21)} a0${sp(9)} ${sp(9)}0 ${sp(9)}0 \n`;
  assert.equal(formatRoutes(snap, 'detail'), expected);
});

test('routes: the IIF column is never narrower than "IIF"; huge counters widen their column', () => {
  const snap: RoutesSnapshot = {
    templates: [],
    sgRules: [{ source: P('10.0.0.1'), group: P('225.1.2.4'), iif: 'e0', oifs: ['e1', 'e2'], packets: 12345678901n, bytes: 0n }],
    kernel: [],
    ifnameWidth: 2,
  };
  // "%-*s" with inw = max(2, strlen("IIF")) = 3
  assert.equal(
    formatRoutes(snap, 'brief'),
    `(S,G) Rules_\nROUTE (S,G)${sp(31)} IIF  OIFS=\n(10.0.0.1, 225.1.2.4)${sp(21)} e0   e1 e2\n`,
  );
  // "%10lu" never truncates
  assert.match(formatRoutes(snap, 'detail'), /\n\(10\.0\.0\.1, 225\.1\.2\.4\) {21} e0 {2}12345678901 {10}0 {2}e1 e2\n$/);
});

test('routes: nothing at all when every table is empty', () => {
  assert.equal(formatRoutes({ templates: [], sgRules: [], kernel: [], ifnameWidth: 5 }, 'brief'), '');
  assert.equal(formatRoutes({ templates: [], sgRules: [], kernel: [], ifnameWidth: 5 }, 'detail'), '');
});

test('routes: a wildcard source prints as "*" without length; IPv6 as inet_ntop writes it', () => {
  const snap: RoutesSnapshot = {
    templates: [
      { source: P('0.0.0.0/8'), group: P('239.0.0.0/8'), iif: 'e0', oifs: ['e1'] },
      { source: P('2001:db8::/32'), group: P('ff0e::1:0/112'), iif: 'e0', oifs: ['e1'] },
    ],
    sgRules: [],
    kernel: [],
    ifnameWidth: 2,
  };
  // snprintf "(%s%s, %s%s)": source "*" and no length for the any-address
  assert.equal(
    formatRoutes(snap, 'brief'),
    `(*,G) Template Rules_\nROUTE (S,G)${sp(31)} IIF  OIFS=\n` +
      `(*, 239.0.0.0/8)${sp(26)} e0   e1\n` +
      `(2001:db8::/32, ff0e::1:0/112)${sp(12)} e0   e1\n`,
  );
});

test('routes, JSON: asm, ssm and kernel arrays, null source, lengths only when shorter', () => {
  // mroute_show JSON: "{\"routes\":{\"asm\":[" items "],\"ssm\":[" ... "],\"kernel\":[" ... "]}}\n";
  // item "%s{\"source\":%s,\"group\":%s,\"iif\":\"%s\",\"oifs\":[" + "%s\"%s\"" per OIF + "]}"
  const expected =
    '{"routes":{"asm":[' +
    '{"source":null,"group":"225.1.2.3","iif":"a0","oifs":["b0","longername1"]},' +
    '{"source":"10.0.0.0/24","group":"225.1.2.0/24","iif":"a0","oifs":["b0"]}' +
    '],"ssm":[' +
    '{"source":"10.0.0.1","group":"225.1.2.4","iif":"longername1","oifs":["b0"]}' +
    '],"kernel":[' +
    '{"source":"10.0.0.1","group":"225.1.2.4","iif":"longername1","oifs":["b0"]},' +
    '{"source":"10.0.0.9","group":"225.1.2.3","iif":"a0","oifs":[]}' +
    ']}}\n';
  assert.equal(formatRoutes(ROUTES, 'json'), expected);
  assert.doesNotThrow(() => JSON.parse(expected));
  assert.equal(
    formatRoutes({ templates: [], sgRules: [], kernel: [], ifnameWidth: 0 }, 'json'),
    '{"routes":{"asm":[],"ssm":[],"kernel":[]}}\n',
  );
});

test('JSON stays valid for interface names with quotes or backslashes', () => {
  const snap: RoutesSnapshot = {
    templates: [],
    sgRules: [],
    kernel: [{ source: null, group: P('225.1.1.1'), iif: 'a"b', oifs: ['c\\d'] }],
    ifnameWidth: 3,
  };
  const parsed = JSON.parse(formatRoutes(snap, 'json')) as { routes: { kernel: { iif: string; oifs: string[] }[] } };
  assert.equal(parsed.routes.kernel[0]!.iif, 'a"b');
  assert.deepEqual(parsed.routes.kernel[0]!.oifs, ['c\\d']);
});

const GROUPS: GroupsSnapshot = {
  conf: [
    { source: null, group: P('225.1.1.1'), iif: 'a0' },
    { source: P('10.0.0.1'), group: P('232.1.1.1'), iif: 'longername1' },
    { source: null, group: P('225.2.2.0/30'), iif: 'b0' },
  ],
  kernel: [
    { source: null, group: P('225.1.1.1'), iif: 'a0' },
    { source: null, group: P('225.2.2.1'), iif: 'b0' },
  ],
};

// mcgroup_show heading: "%-42s %-16s=\n" with "GROUP (S,G)" and "IIF" (fixed width, not the longest name)
const GROUP_HEADING = `GROUP (S,G)${sp(31)} IIF${sp(13)}=\n`;

test('groups, brief: configured joins only', () => {
  // show_mcgroup row: "%-42s %s\n", the (S,G) built as "(%s" + ", " or "/%u, " + "%s)" or "%s/%u)"
  assert.equal(
    formatGroups(GROUPS, 'brief'),
    'Group Memberships Table_\n' +
      GROUP_HEADING +
      `(*, 225.1.1.1)${sp(28)} a0\n` +
      `(10.0.0.1, 232.1.1.1)${sp(21)} longername1\n` +
      `(*, 225.2.2.0/30)${sp(25)} b0\n`,
  );
});

test('groups, detail: kernel table titled but, like upstream, without its column heading', () => {
  assert.equal(
    formatGroups(GROUPS, 'detail'),
    formatGroups(GROUPS, 'brief') +
      'Kernel Group Membership Table_\n' +
      `(*, 225.1.1.1)${sp(28)} a0\n` +
      `(*, 225.2.2.1)${sp(28)} b0\n`,
  );
  // The title comes even when the kernel list is empty.
  assert.equal(
    formatGroups({ conf: GROUPS.conf.slice(0, 1), kernel: [] }, 'detail'),
    `Group Memberships Table_\n${GROUP_HEADING}(*, 225.1.1.1)${sp(28)} a0\nKernel Group Membership Table_\n`,
  );
});

test('groups: nothing without configured joins, even in detail mode', () => {
  assert.equal(formatGroups({ conf: [], kernel: GROUPS.kernel }, 'brief'), '');
  assert.equal(formatGroups({ conf: [], kernel: GROUPS.kernel }, 'detail'), '');
});

test('groups: a source range keeps its length, also on a wildcard address', () => {
  const snap: GroupsSnapshot = {
    conf: [
      { source: P('10.0.0.0/24'), group: P('232.1.1.1'), iif: 'e0' },
      { source: P('0.0.0.0/8'), group: P('232.1.1.2'), iif: 'e0' },
      { source: P('2001:db8::1'), group: P('ff3e::8000:1'), iif: 'e0' },
    ],
    kernel: [],
  };
  assert.equal(
    formatGroups(snap, 'brief'),
    'Group Memberships Table_\n' +
      GROUP_HEADING +
      `(10.0.0.0/24, 232.1.1.1)${sp(18)} e0\n` +
      `(*/8, 232.1.1.2)${sp(26)} e0\n` +
      `(2001:db8::1, ff3e::8000:1)${sp(15)} e0\n`,
  );
});

test('groups, JSON: conf and kernel arrays', () => {
  // "{\"groups\":{\"conf\":" "[" items "]" ",\"kernel\":" "[" items "]" "}}\n";
  // item "%s{\"source\":%s,\"group\":%s,\"iif\":\"%s\"}"
  assert.equal(
    formatGroups(GROUPS, 'json'),
    '{"groups":{"conf":[' +
      '{"source":null,"group":"225.1.1.1","iif":"a0"},' +
      '{"source":"10.0.0.1","group":"232.1.1.1","iif":"longername1"},' +
      '{"source":null,"group":"225.2.2.0/30","iif":"b0"}' +
      '],"kernel":[' +
      '{"source":null,"group":"225.1.1.1","iif":"a0"},' +
      '{"source":null,"group":"225.2.2.1","iif":"b0"}' +
      ']}}\n',
  );
  assert.equal(formatGroups({ conf: [], kernel: [] }, 'json'), '{"groups":{"conf":[],"kernel":[]}}\n');
});

const IFACES = {
  interfaces: [
    { index: 1, name: 'lo' },
    { index: 2, name: 'b0', vif: 0, mif: 0 },
    { index: 5, name: 'longername1', vif: 3 },
    { index: 123456, name: 'x', mif: 31 },
  ],
  ifnameWidth: 11,
};

test('interfaces: one table for brief and detail, N/A without a VIF/MIF', () => {
  // heading " INDEX %-*s  VIF  MIF=\n" with "PHYINT"; row "%6d %-*s %4s %4s\n"
  const expected =
    ` INDEX PHYINT${sp(5)}  VIF  MIF=\n` +
    `${sp(5)}1 lo${sp(9)}  N/A  N/A\n` +
    `${sp(5)}2 b0${sp(9)}    0    0\n` +
    `${sp(5)}5 longername1    3  N/A\n` +
    `123456 x${sp(10)}  N/A   31\n`;
  assert.equal(formatInterfaces(IFACES, 'brief'), expected);
  assert.equal(formatInterfaces(IFACES, 'detail'), expected);
});

test('interfaces: the name column is never narrower than "PHYINT"', () => {
  assert.equal(
    formatInterfaces({ interfaces: [{ index: 3, name: 'e0', vif: 1, mif: 1 }], ifnameWidth: 2 }, 'brief'),
    ` INDEX PHYINT  VIF  MIF=\n${sp(5)}3 e0${sp(4)}    1    1\n`,
  );
  // Even with no interfaces at all the heading is sent.
  assert.equal(formatInterfaces({ interfaces: [], ifnameWidth: 0 }, 'brief'), ` INDEX PHYINT  VIF  MIF=\n`);
});

test('interfaces, JSON: null for a missing VIF/MIF', () => {
  // "{\"interfaces\":[" + "%s{\"index\":%d,\"name\":\"%s\",\"vif\":%s,\"mif\":%s}" + "]}\n"
  assert.equal(
    formatInterfaces(IFACES, 'json'),
    '{"interfaces":[' +
      '{"index":1,"name":"lo","vif":null,"mif":null},' +
      '{"index":2,"name":"b0","vif":0,"mif":0},' +
      '{"index":5,"name":"longername1","vif":3,"mif":null},' +
      '{"index":123456,"name":"x","vif":null,"mif":31}' +
      ']}\n',
  );
});

const PENDING = [
  { kind: 'mroute' as const, iif: 'eth9', group: '225.1.2.3', oifs: ['eth1', 'eth+'] },
  { kind: 'mgroup' as const, iif: 'eth9', source: '10.0.0.1', group: '232.1.1.1/24', oifs: [] },
  { kind: 'mroute' as const, iif: 'eth9', source: '10.0.0.0/8', group: '225.1.2.3', oifs: [] },
];

test('pending: a plain title line (no marker) and one line per directive', () => {
  // header "PENDING ROUTES AND GROUPS\n"; row "%-7s from %s" [" source %s"] " group %s" [" to" " %s"...] "\n"
  assert.equal(
    formatPending(PENDING, 'brief'),
    'PENDING ROUTES AND GROUPS\n' +
      'mroute  from eth9 group 225.1.2.3 to eth1 eth+\n' +
      'mgroup  from eth9 source 10.0.0.1 group 232.1.1.1/24\n' +
      'mroute  from eth9 source 10.0.0.0/8 group 225.1.2.3\n',
  );
  assert.equal(formatPending(PENDING, 'detail'), formatPending(PENDING, 'brief'));
  assert.equal(formatPending([], 'brief'), 'No pending routes or groups\n');
});

test('pending, JSON', () => {
  // "{\"pending\":[" + "%s{\"kind\":\"%s\",\"iif\":\"%s\",\"source\":" ("\"%s\"" | "null")
  // + ",\"group\":\"%s\",\"oifs\":[" + "%s\"%s\"" per OIF + "]}" ... + "]}\n"
  assert.equal(
    formatPending(PENDING, 'json'),
    '{"pending":[' +
      '{"kind":"mroute","iif":"eth9","source":null,"group":"225.1.2.3","oifs":["eth1","eth+"]},' +
      '{"kind":"mgroup","iif":"eth9","source":"10.0.0.1","group":"232.1.1.1/24","oifs":[]},' +
      '{"kind":"mroute","iif":"eth9","source":"10.0.0.0/8","group":"225.1.2.3","oifs":[]}' +
      ']}\n',
  );
  assert.equal(formatPending([], 'json'), '{"pending":[]}\n');
});
