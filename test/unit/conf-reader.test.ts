// The daemon's configuration reader across reloads: unchanged route lines
// keep their intents (so nothing is parsed or resolved again), moved lines
// get their new origin only once the read is accepted, and streaming the
// directives gives the intents a collected parse gives.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/conf/load.js';
import { ConfReader, toIntents } from '../../src/daemon/config.js';
import type { RouteIntent } from '../../src/model/intents.js';
import { MemConfFs } from '../lib/mem-conf-fs.js';

const route = (i: number) => `mroute from eth0 source 10.0.0.${i} group 225.1.1.${i} to eth1`;

/** What a route says and where it was said, for comparing intents made different ways. */
const said = (r: RouteIntent) => ({
  iif: r.iif,
  source: r.source ?? null,
  group: r.group,
  oifs: [...r.oifs],
  text: r.text,
  origin: r.origin,
});

test('a re-read keeps the intent of every unchanged route line, even moved; changed and repeated lines are read anew', () => {
  const files = new Map([['/c.conf', [1, 2, 3, 4].map(route).join('\n') + '\n']]);
  const reader = new ConfReader(new MemConfFs(files));
  const first = reader.read('/c.conf');
  first.accept();
  const [r1, r2, r3, r4] = first.intents.routes;
  assert.ok(r1 && r2 && r3 && r4);
  assert.equal(r3.origin, '/c.conf:3');

  // A comment on top moves every line down; line 2 changes; line 4 is there twice.
  files.set('/c.conf', ['# moved', route(1), route(2).replace('eth1', 'eth2'), route(3), route(4), route(4)].join('\n'));
  const second = reader.read('/c.conf');
  const routes = second.intents.routes;
  assert.equal(routes.length, 5);
  assert.equal(routes[0], r1);
  assert.notEqual(routes[1], r2);
  assert.deepEqual(routes[1]?.oifs, ['eth2']);
  assert.equal(routes[2], r3);
  assert.equal(routes[3], r4);
  assert.notEqual(routes[4], r4, 'the repeated line is a route of its own');
  assert.notEqual(routes[4], routes[3]);
  assert.equal(routes[4]?.origin, '/c.conf:6');
  assert.equal(r3.origin, '/c.conf:3', 'not accepted yet: the running configuration keeps its origins');
  second.accept();
  assert.equal(r3.origin, '/c.conf:4');
  assert.equal(r1.origin, '/c.conf:2');
});

test('a read that is not accepted changes nothing: the next read compares with the last accepted one', () => {
  const files = new Map([['/c.conf', `${route(1)}\n${route(2)}\n`]]);
  const reader = new ConfReader(new MemConfFs(files));
  const first = reader.read('/c.conf');
  first.accept();
  const [r1, r2] = first.intents.routes;
  files.set('/c.conf', `${route(2)}\n${route(1)}\nbroken line\n`);
  const refused = reader.read('/c.conf');
  assert.ok(refused.diagnostics.some((d) => d.severity === 'error'));
  assert.deepEqual([r1?.origin, r2?.origin], ['/c.conf:1', '/c.conf:2']);
  files.set('/c.conf', `${route(1)}\n${route(2)}\n`);
  const again = reader.read('/c.conf');
  assert.equal(again.intents.routes[0], r1);
  assert.equal(again.intents.routes[1], r2);
});

test('a line with a warning is parsed at every read, so its warning is told every time', () => {
  const files = new Map([['/c.conf', 'mroute from eth0 group 225.1.2.3\n']]);
  const reader = new ConfReader(new MemConfFs(files));
  for (let i = 0; i < 2; i++) {
    const r = reader.read('/c.conf');
    assert.equal(r.diagnostics.length, 1, `read ${i + 1}`);
    assert.match(r.diagnostics[0]?.message ?? '', /stop filter/);
    r.accept();
  }
});

test('streamed intents equal those of a collected parse, includes spliced in place', () => {
  const files = new Map([
    ['/m.conf', `phyint eth1 ttl-threshold 3\n${route(1)}\ninclude /d/*\n${route(9)}\nmgroup from eth0 group 225.9.9.9\n`],
    ['/d/a', `${route(2)}\nmroute from eth0 group 225.2.0.0/16 to eth1 eth2\n`],
    ['/d/b', 'mroute from eth+ source 2001:db8::1 group ff0e::0:1 to eth1\n'],
  ]);
  const streamed = new ConfReader(new MemConfFs(files)).read('/m.conf');
  const collected = loadConfig('/m.conf', new MemConfFs(files));
  const expected = toIntents(collected.directives);
  assert.deepEqual(streamed.intents.routes.map(said), expected.routes.map(said));
  assert.deepEqual(
    streamed.intents.routes.map((r) => r.origin),
    ['/m.conf:2', '/d/a:1', '/d/a:2', '/d/b:1', '/m.conf:4'],
  );
  assert.deepEqual(streamed.intents.routes[3]?.text, { source: '2001:db8::1', group: 'ff0e::0:1' }, 'kept as written');
  assert.deepEqual(streamed.intents.routes[2]?.text, { group: '225.2.0.0/16' });
  assert.deepEqual(
    streamed.intents.joins.map((j) => [j.origin, j.text]),
    [['/m.conf:5', { group: '225.9.9.9' }]],
  );
  assert.deepEqual(streamed.intents.phyints, expected.phyints);
  assert.deepEqual(streamed.files, ['/m.conf', '/d/a', '/d/b']);
});

test('lines are reused after a block of removed lines, and when moved', () => {
  const all = Array.from({ length: 30 }, (_, i) => route(i + 1));
  const files = new Map([['/c.conf', all.join('\n')]]);
  const reader = new ConfReader(new MemConfFs(files));
  const first = reader.read('/c.conf');
  first.accept();
  const before = first.intents.routes;
  // Lines 6-15 go; line 30 moves to the top.
  files.set('/c.conf', [all[29], ...all.slice(0, 5), ...all.slice(15, 29)].join('\n'));
  const second = reader.read('/c.conf');
  const after = second.intents.routes;
  assert.equal(after.length, 20);
  assert.equal(after[0], before[29], 'moved to the top');
  for (let i = 1; i < 6; i++) assert.equal(after[i], before[i - 1], `line ${i + 1}`);
  for (let i = 6; i < 20; i++) assert.equal(after[i], before[i + 9], `line ${i + 1}`);
  second.accept();
  assert.equal(after[6]?.origin, '/c.conf:7');
  assert.equal(before[29]?.origin, '/c.conf:1');
});
