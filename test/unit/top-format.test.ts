// smcroutectl top's pure part (cli/top-format.ts): reading the stats reply, rates from two samples,
// sorting, units, counter resets, height cuts, and the interval option's rules (cli/top.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatTop,
  growth,
  human,
  parseSample,
  rates,
  topJson,
  type RouteSample,
  type Sample,
} from '../../src/cli/top-format.js';
import { parseInterval, runTop, type TopIo } from '../../src/cli/top.js';
import { ok, type Result } from '../../src/result.js';

function route(group: string, packets: bigint, bytes: bigint, over: Partial<RouteSample> = {}): RouteSample {
  return {
    family: 'inet',
    source: '10.0.0.1',
    group,
    iif: 'eth0',
    oifs: ['eth1'],
    kind: 'static',
    packets,
    bytes,
    wrongIf: 0n,
    ...over,
  };
}

function sample(time: number, routes: RouteSample[], packetsIn = 0n, bytesIn = 0n): Sample {
  const eth0: Sample['interfaces'][number] = {
    family: 'inet',
    name: 'eth0',
    vif: 0,
    packetsIn,
    packetsOut: 0n,
    bytesIn,
    bytesOut: 0n,
  };
  return { time, routes, interfaces: [eth0], counts: { static: routes.length, learned: 0, stop: 0 } };
}

test('rates over the daemon clock, fastest first; bits are 8 per byte', () => {
  const a = sample(
    1000,
    [route('225.1.1.1', 100n, 10_000n), route('225.1.1.2', 0n, 0n), route('225.1.1.3', 5n, 500n)],
    10n,
    1000n,
  );
  const b = sample(
    3000,
    [route('225.1.1.1', 120n, 12_000n), route('225.1.1.2', 200n, 20_000n), route('225.1.1.3', 25n, 2500n)],
    50n,
    5000n,
  );
  const v = rates(a, b);
  assert.equal(v.interval, 2);
  assert.deepEqual(
    v.routes.map((r) => [r.group, r.packetsPerSecond, r.bitsPerSecond]),
    [
      ['225.1.1.2', 100, 80_000],
      ['225.1.1.1', 10, 8000],
      ['225.1.1.3', 10, 8000],
    ],
  );
  assert.equal(v.interfaces[0]?.packetsInPerSecond, 20);
  assert.equal(v.interfaces[0]?.bitsInPerSecond, 16_000);
  assert.equal(v.interfaces[0]?.packetsOutPerSecond, 0);
});

test('equal packet rates are ordered by bit rate, then by group and source', () => {
  const a = sample(0, [
    route('225.1.1.9', 0n, 0n),
    route('225.1.1.1', 0n, 0n, { source: '10.0.0.2' }),
    route('225.1.1.1', 0n, 0n),
  ]);
  const b = sample(1000, [
    route('225.1.1.9', 10n, 9000n),
    route('225.1.1.1', 10n, 1000n, { source: '10.0.0.2' }),
    route('225.1.1.1', 10n, 1000n),
  ]);
  assert.deepEqual(
    rates(a, b).routes.map((r) => `${r.source},${r.group}`),
    ['10.0.0.1,225.1.1.9', '10.0.0.1,225.1.1.1', '10.0.0.2,225.1.1.1'],
  );
});

test('a counter that went down (the entry was made anew) or a new entry counts what it holds; never negative', () => {
  assert.equal(growth(100n, 150n), 50n);
  assert.equal(growth(100n, 30n), 30n, 'reset: re-created since the first sample');
  assert.equal(growth(undefined, 7n), 7n, 'new');
  assert.equal(growth(2n ** 64n - 1n, 5n), 5n, 'a 64-bit wrap reads as a reset');
  const a = sample(
    0,
    [route('225.1.1.1', 1000n, 100_000n), route('ff0e::1', 0n, 0n, { family: 'inet6', source: 'fd00::1' })],
    900n,
    90_000n,
  );
  const b = sample(1000, [route('225.1.1.1', 40n, 4000n), route('225.1.1.5', 3n, 300n)], 10n, 1000n);
  const v = rates(a, b);
  assert.deepEqual(
    v.routes.map((r) => [r.group, r.packetsPerSecond, r.bitsPerSecond]),
    [
      ['225.1.1.1', 40, 32_000],
      ['225.1.1.5', 3, 2400],
    ],
  );
  assert.equal(v.interfaces[0]?.packetsInPerSecond, 10);
  assert.ok(v.routes.every((r) => r.packetsPerSecond >= 0));
});

test('two samples at the same instant give zero rates, not infinities', () => {
  const v = rates(sample(5, [route('225.1.1.1', 0n, 0n)]), sample(5, [route('225.1.1.1', 9n, 9n)]));
  assert.equal(v.routes[0]?.packetsPerSecond, 0);
});

test('human units: SI steps, three significant digits', () => {
  assert.deepEqual([0, 7, 0.5, 12.34, 999, 999.6, 1000, 1500, 12_345, 123_456, 2_500_000, 1e13].map(human), [
    '0',
    '7',
    '0.5',
    '12.3',
    '999',
    '1.00k',
    '1.00k',
    '1.50k',
    '12.3k',
    '123k',
    '2.50M',
    '10.0T',
  ]);
});

test('the text: summary, interfaces, routes with rates and OIFs; cut to a height with a count of what is left', () => {
  const routes = Array.from({ length: 10 }, (_, i) => route(`225.1.1.${i}`, 0n, 0n));
  const later = routes.map((r, i) => ({ ...r, packets: BigInt(100 - i), bytes: BigInt((100 - i) * 125) }));
  const v = rates(sample(0, routes), sample(1000, later));
  const all = formatTop(v);
  assert.equal(all[0], '10 routes (10 static, 0 learned, 0 stop), interval 1.0 s');
  assert.match(all[2] ?? '', /^INTERFACE +VIF +IN PKT\/S +IN BIT\/S +OUT PKT\/S +OUT BIT\/S$/);
  assert.match(all[3] ?? '', /^eth0 +vif0 +0 +0 +0 +0$/);
  assert.match(all[5] ?? '', /^SOURCE +GROUP +IIF +KIND +PKT\/S +BIT\/S +OIFS$/);
  assert.match(all[6] ?? '', /^10\.0\.0\.1 +225\.1\.1\.0 +eth0 +static +100 +100k +eth1$/);
  assert.equal(all.length, 16);
  assert.ok(!all.join('\n').includes('\x1b'), 'no terminal codes');
  const cut = formatTop(v, { rows: 10 });
  assert.equal(cut.length, 10);
  assert.equal(cut[9], '... 7 more routes');
  assert.match(cut[8] ?? '', /225\.1\.1\.2 /);
  assert.equal(formatTop(v, { rows: 3 }).length, 3, 'a tiny terminal still gets no more lines than it has');
  const stop = rates(sample(0, []), sample(1000, [route('239.1.1.1', 0n, 0n, { oifs: [], kind: 'stop' })]));
  assert.match(formatTop(stop).at(-1) ?? '', / stop +0 +0 +-$/);
});

test('the stats reply is read back exactly: counters past 2^53 as strings; anything malformed is an error', () => {
  const text =
    '{"time":12,"routes":[{"family":"inet","source":"10.0.0.1","group":"225.1.1.1","iif":"eth0","oifs":["eth1"],"kind":"static","packets":"18446744073709551615","bytes":5,"wrongIf":0}],' +
    '"interfaces":[{"family":"inet6","name":"eth1","vif":0,"packetsIn":1,"packetsOut":2,"bytesIn":3,"bytesOut":4}],"counts":{"static":1,"learned":0,"stop":0}}';
  const s = parseSample(text);
  assert.ok(s.ok);
  assert.equal(s.value.routes[0]?.packets, 2n ** 64n - 1n);
  assert.equal(s.value.interfaces[0]?.bytesOut, 4n);
  const back = JSON.parse(topJson(rates(s.value, s.value))) as { routes: { packets: unknown }[] };
  assert.equal(back.routes[0]?.packets, '18446744073709551615');
  for (const bad of [
    '',
    'Unknown',
    '{}',
    text.replace('"bytes":5', '"bytes":-5'),
    text.replace('"oifs":["eth1"]', '"oifs":"eth1"'),
  ]) {
    const r = parseSample(bad);
    assert.equal(r.ok, false, bad);
    assert.match(r.ok ? '' : r.error, /^bad stats reply from the daemon: /);
  }
});

test('--interval: seconds, decimals allowed, within bounds', () => {
  assert.deepEqual(parseInterval('2'), ok(2));
  assert.deepEqual(parseInterval('0.5'), ok(0.5));
  for (const bad of ['0', '0.05', '-1', '1e3', 'x', '', '3601']) assert.equal(parseInterval(bad).ok, false, bad);
});

function fakeIo(replies: Result<string, readonly string[]>[]) {
  const out: string[] = [];
  const slept: number[] = [];
  const io: TopIo = {
    fetch: () => Promise.resolve(replies.shift() ?? ok('')),
    out: (t) => out.push(t),
    size: () => undefined,
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
    onSignal: () => () => undefined,
  };
  return { io, out, slept };
}

const REPLY = (time: number, packets: number) =>
  ok(
    `{"time":${time},"routes":[{"family":"inet","source":"10.0.0.1","group":"225.1.1.1","iif":"eth0","oifs":["eth1"],"kind":"static","packets":${packets},"bytes":${packets * 100},"wrongIf":0}],"interfaces":[],"counts":{"static":1,"learned":0,"stop":0}}`,
  );

test('--once: two samples one interval apart, one plain table or JSON', async () => {
  const t = fakeIo([REPLY(0, 0), REPLY(2000, 50)]);
  assert.deepEqual(await runTop(t.io, { interval: 2, once: true, json: false }), ok(0));
  assert.deepEqual(t.slept, [2000]);
  assert.equal(t.out.length, 1);
  assert.match(t.out[0] ?? '', /225\.1\.1\.1 +eth0 +static +25 +20\.0k +eth1\n$/);
  const j = fakeIo([REPLY(0, 0), REPLY(1000, 50)]);
  await runTop(j.io, { interval: 1, once: true, json: true });
  const parsed = JSON.parse(j.out[0] ?? '') as {
    interval: number;
    routes: { packetsPerSecond: number; bitsPerSecond: number }[];
  };
  assert.equal(parsed.interval, 1);
  assert.equal(parsed.routes[0]?.packetsPerSecond, 50);
  assert.equal(parsed.routes[0]?.bitsPerSecond, 40_000);
});

test("an old daemon's refusal of 'T', and a failed request, are clear errors", async () => {
  const old = fakeIo([ok("Unknown or malformed IPC message 'T' from client.")]);
  const r = await runTop(old.io, { interval: 1, once: true, json: false });
  assert.deepEqual(r.ok ? [] : r.error, [
    "the daemon does not support top (an older version?): Unknown or malformed IPC message 'T' from client.",
  ]);
  const down = fakeIo([{ ok: false, error: ['Daemon not running: No such file or directory'] }]);
  const d = await runTop(down.io, { interval: 1, once: true, json: false });
  assert.deepEqual(d.ok ? [] : d.error, ['Daemon not running: No such file or directory']);
});

test('live: the alternate screen, frames cut to the terminal, the terminal given back on a signal', async () => {
  const out: string[] = [];
  let handler: ((s: NodeJS.Signals) => void) | undefined;
  let listening = false;
  let frames = 0;
  const replies = [REPLY(0, 0), REPLY(1000, 10), REPLY(2000, 20)];
  const io: TopIo = {
    fetch: () => Promise.resolve(replies.shift() ?? REPLY(3000, 30)),
    out: (t) => {
      out.push(t);
      if (t.startsWith('\x1b[H\x1b[2J') && ++frames === 2) handler?.('SIGINT');
    },
    size: () => ({ rows: 6, columns: 20 }),
    sleep: () => new Promise((r) => setImmediate(r)),
    onSignal: (_s, h) => {
      handler = h;
      listening = true;
      return () => {
        listening = false;
      };
    },
  };
  assert.deepEqual(await runTop(io, { interval: 1, once: false, json: false }), ok(0));
  assert.equal(listening, false);
  assert.ok(out[0]?.startsWith('\x1b[?1049h'));
  assert.equal(out.at(-1), '\x1b[?25h\x1b[?1049l');
  const frame = out[1] ?? '';
  assert.ok(frame.startsWith('\x1b[H\x1b[2J'));
  const lines = frame.slice('\x1b[H\x1b[2J'.length).split('\n').slice(0, -1);
  assert.ok(lines.length <= 5, 'one row left for the cursor');
  assert.ok(lines.every((l) => l.length <= 20));
});
