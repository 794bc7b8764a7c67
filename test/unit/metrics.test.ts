// The metrics endpoint without a kernel: the --metrics address rule, the exposition (read back by a
// strict parser of both formats), the cap on learned-route series, and the HTTP server's answers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOptions } from '../../src/cli/smcrouted-options.js';
import { parseMetricsAddr } from '../../src/daemon/metrics-addr.js';
import { escapeLabelValue, formatMetrics, type MetricsInput } from '../../src/daemon/metrics-format.js';
import { startMetricsServer, wantsOpenMetrics } from '../../src/daemon/metrics-server.js';
import type { CountersSnapshot } from '../../src/daemon/counters.js';
import { COMMAND_NAMES } from '../../src/ipc/command-names.js';
import type { RouteStats, StatsSnapshot } from '../../src/daemon/stats.js';
import { SocketInUseError, claimPath } from '../../src/ipc/server.js';
import { parseExposition, sampleOf, type ExpositionFormat } from '../lib/exposition.js';
import { requestUnix } from '../lib/scrape.js';

test('--metrics takes a loopback HOST:PORT, [::1]:PORT or unix:/PATH, and names the argument when it refuses', () => {
  assert.deepEqual(parseMetricsAddr('127.0.0.1:9544'), { ok: true, value: { kind: 'tcp', host: '127.0.0.1', port: 9544 } });
  assert.deepEqual(parseMetricsAddr('127.1.2.3:1'), { ok: true, value: { kind: 'tcp', host: '127.1.2.3', port: 1 } });
  assert.deepEqual(parseMetricsAddr('[::1]:65535'), { ok: true, value: { kind: 'tcp', host: '::1', port: 65535 } });
  assert.deepEqual(parseMetricsAddr('unix:/run/m.sock'), { ok: true, value: { kind: 'unix', path: '/run/m.sock' } });
  for (const bad of [
    '0.0.0.0:9544',
    '10.0.0.1:80',
    'localhost:9544',
    '[::]:9544',
    '[fe80::1]:80',
    '127.0.0.1',
    '127.0.0.1:0',
    '127.0.0.1:65536',
    '127.0.0.256:80',
    '127.0.0.01:80',
    '::1:80',
    ':9544',
    'unix:',
    'unix:rel.sock',
    `unix:/${'x'.repeat(120)}`,
  ]) {
    const r = parseMetricsAddr(bad);
    assert.ok(!r.ok, bad);
    assert.ok(r.error.startsWith(`Invalid --metrics address: ${bad} (`), r.error);
  }
  assert.deepEqual(parseOptions(['--metrics', '[::1]:9544']).opts.metrics, { kind: 'tcp', host: '::1', port: 9544 });
  assert.equal(parseOptions([]).opts.metrics, undefined);
  assert.match(
    parseOptions(['--metrics=0.0.0.0:1']).error ?? '',
    /^Invalid --metrics address: 0\.0\.0\.0:1 \(a loopback address only/,
  );
});

test('content negotiation: OpenMetrics only when Accept names it', () => {
  assert.equal(wantsOpenMetrics(undefined), false);
  assert.equal(wantsOpenMetrics('*/*'), false);
  assert.equal(wantsOpenMetrics('text/plain;version=0.0.4'), false);
  assert.equal(wantsOpenMetrics('application/openmetrics-text; version=1.0.0; charset=utf-8'), true);
  // Prometheus 2.x's default scrape Accept header.
  assert.equal(
    wantsOpenMetrics(
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
    ),
    true,
  );
  assert.equal(wantsOpenMetrics('application/openmetrics-textual'), false);
});

function route(over: Partial<RouteStats>): RouteStats {
  return {
    family: 'inet',
    source: '10.0.0.1',
    group: '225.1.1.1',
    iif: 'eth0',
    oifs: ['eth1'],
    kind: 'static',
    packets: 0n,
    bytes: 0n,
    wrongIf: 0n,
    ...over,
  };
}

const COUNTERS: CountersSnapshot = {
  upcalls: { nocache: 7, wrongvif: 2, wholepkt: 0, other: 1 },
  upcallsResolved: 8,
  routesLearned: 5,
  stopFilters: 2,
  routesExpired: 3,
  reloads: { applied: 4, refused: 1 },
  ipc: { show: { ok: 6, failed: 0 }, add: { ok: 1, failed: 2 } },
};

const STATS: StatsSnapshot = {
  time: 0,
  routes: [
    route({ packets: 3n, bytes: 300n, wrongIf: 1n }),
    route({ family: 'inet6', source: 'fd00::1', group: 'ff0e::1', packets: 2n ** 60n + 1n, bytes: 2n ** 63n }),
    route({ source: '10.0.0.9', group: '225.2.2.2', kind: 'learned', packets: 5n, bytes: 500n }),
    route({ source: '10.0.0.9', group: '239.9.9.9', kind: 'stop', oifs: [], packets: 1n, bytes: 50n }),
  ],
  interfaces: [
    { family: 'inet', name: 'eth0', vif: 0, packetsIn: 9n, packetsOut: 0n, bytesIn: 900n, bytesOut: 0n },
    { family: 'inet6', name: 'odd"if\\', vif: 1, packetsIn: 0n, packetsOut: 4n, bytesIn: 0n, bytesOut: 400n },
  ],
  counts: { static: 2, learned: 1, stop: 1 },
};

const INPUT: MetricsInput = { stats: STATS, counters: COUNTERS, version: '2.6.0', ipcCommands: Object.values(COMMAND_NAMES) };

test('OpenMetrics: parses by the rules, ends with # EOF, counters as _total with UNIT on bytes, every value in place', () => {
  const text = formatMetrics(INPUT, true);
  assert.ok(text.endsWith('\n# EOF\n'));
  const m = parseExposition(text, 'openmetrics');
  for (const f of m.values()) assert.match(f.name, /^smcroute_[a-z_]+$/);
  assert.equal(m.get('smcroute_route_bytes')?.unit, 'bytes');
  assert.equal(m.get('smcroute_interface_bytes')?.unit, 'bytes');
  assert.equal(m.get('smcroute_route_packets')?.type, 'counter');
  assert.equal(m.get('smcroute_build')?.type, 'info');
  assert.deepEqual(sampleOf(m, 'smcroute_build').labels, { version: '2.6.0', implementation: 'typescript' });

  const r1 = { family: 'inet', iif: 'eth0', source: '10.0.0.1', group: '225.1.1.1' };
  assert.equal(sampleOf(m, 'smcroute_route_packets', r1).value, 3);
  assert.equal(sampleOf(m, 'smcroute_route_packets', r1).name, 'smcroute_route_packets_total');
  assert.equal(sampleOf(m, 'smcroute_route_bytes', r1).value, 300);
  assert.equal(sampleOf(m, 'smcroute_route_wrong_interface_packets', r1).value, 1);
  // 64-bit counters written exactly, not rounded through a double.
  assert.equal(sampleOf(m, 'smcroute_route_packets', { source: 'fd00::1' }).text, String(2n ** 60n + 1n));
  assert.equal(sampleOf(m, 'smcroute_route_bytes', { source: 'fd00::1' }).text, String(2n ** 63n));
  assert.equal(sampleOf(m, 'smcroute_route_packets', { group: '239.9.9.9' }).value, 1);

  assert.equal(sampleOf(m, 'smcroute_routes', { family: 'inet', kind: 'static' }).value, 1);
  assert.equal(sampleOf(m, 'smcroute_routes', { family: 'inet6', kind: 'static' }).value, 1);
  assert.equal(sampleOf(m, 'smcroute_routes', { family: 'inet', kind: 'learned' }).value, 1);
  assert.equal(sampleOf(m, 'smcroute_routes', { family: 'inet', kind: 'stop' }).value, 1);
  assert.equal(sampleOf(m, 'smcroute_routes', { family: 'inet6', kind: 'stop' }).value, 0);

  assert.equal(sampleOf(m, 'smcroute_interface_packets', { interface: 'eth0', vif: '0', direction: 'in' }).value, 9);
  assert.equal(sampleOf(m, 'smcroute_interface_bytes', { interface: 'eth0', direction: 'out' }).value, 0);
  // The escaped name reads back as it was.
  assert.equal(sampleOf(m, 'smcroute_interface_bytes', { interface: 'odd"if\\', family: 'inet6', direction: 'out' }).value, 400);

  assert.equal(sampleOf(m, 'smcroute_upcalls', { kind: 'nocache' }).value, 7);
  assert.equal(sampleOf(m, 'smcroute_upcalls', { kind: 'wrongvif' }).value, 2);
  assert.equal(sampleOf(m, 'smcroute_upcalls_resolved').value, 8);
  assert.equal(sampleOf(m, 'smcroute_routes_learned').value, 5);
  assert.equal(sampleOf(m, 'smcroute_stop_filters').value, 2);
  assert.equal(sampleOf(m, 'smcroute_routes_expired').value, 3);
  assert.equal(sampleOf(m, 'smcroute_reloads', { result: 'applied' }).value, 4);
  assert.equal(sampleOf(m, 'smcroute_reloads', { result: 'refused' }).value, 1);
  assert.equal(sampleOf(m, 'smcroute_ipc_commands', { command: 'add', result: 'failed' }).value, 2);
  assert.equal(sampleOf(m, 'smcroute_ipc_commands', { command: 'show', result: 'ok' }).value, 6);
  // Commands never asked for are there at zero, so a rate has a start.
  assert.equal(sampleOf(m, 'smcroute_ipc_commands', { command: 'reload', result: 'ok' }).value, 0);
});

test('Prometheus 0.0.4: the same numbers under their sample names, no UNIT, no # EOF, the info as a gauge', () => {
  const text = formatMetrics(INPUT, false);
  assert.ok(!text.includes('# EOF') && !text.includes('# UNIT'));
  const m = parseExposition(text, 'prometheus');
  assert.equal(m.get('smcroute_route_packets_total')?.type, 'counter');
  assert.equal(m.get('smcroute_build_info')?.type, 'gauge');
  assert.equal(sampleOf(m, 'smcroute_route_bytes_total', { source: '10.0.0.1' }).value, 300);
  assert.equal(sampleOf(m, 'smcroute_upcalls_total', { kind: 'nocache' }).value, 7);
  assert.equal(sampleOf(m, 'smcroute_routes', { family: 'inet', kind: 'static' }).value, 1);
  // Both formats carry the same samples.
  const values = (t: string) =>
    t
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .sort();
  assert.deepEqual(values(text), values(formatMetrics(INPUT, true)));
});

test('label values: backslash, double quote and newline escaped, nothing else', () => {
  assert.equal(escapeLabelValue('a\\b"c\nd e{}='), 'a\\\\b\\"c\\nd e{}=');
  const text = formatMetrics({ ...INPUT, stats: { ...STATS, routes: [route({ iif: 'x\ny"\\' })] } }, true);
  assert.equal(sampleOf(parseExposition(text, 'openmetrics'), 'smcroute_route_packets').labels.iif, 'x\ny"\\');
});

test('learned and stop routes past the cap are summed per inbound interface; static routes are always listed', () => {
  const learned = Array.from({ length: 5 }, (_, i) =>
    route({
      source: `10.0.1.${i}`,
      group: '225.3.3.3',
      kind: i === 4 ? 'stop' : 'learned',
      iif: i < 3 ? 'eth0' : 'eth2',
      packets: 10n,
      bytes: 100n,
    }),
  );
  const statics = Array.from({ length: 3 }, (_, i) => route({ source: `10.0.2.${i}`, packets: 1n }));
  const stats: StatsSnapshot = { ...STATS, routes: [...learned.slice(0, 3), ...statics, ...learned.slice(3)] };
  const m = parseExposition(formatMetrics({ ...INPUT, stats, maxRouteSeries: 2 }, true), 'openmetrics');
  const listed = m.get('smcroute_route_packets')?.samples.map((s) => `${s.labels.iif} ${s.labels.source}`);
  // The oldest two learned, every static, then one sum for eth0's remaining one and one for eth2's two.
  assert.deepEqual(listed, [
    'eth0 10.0.1.0',
    'eth0 10.0.1.1',
    'eth0 10.0.2.0',
    'eth0 10.0.2.1',
    'eth0 10.0.2.2',
    'eth0 other',
    'eth2 other',
  ]);
  assert.equal(sampleOf(m, 'smcroute_route_packets', { iif: 'eth2', source: 'other', group: 'other' }).value, 20);
  assert.equal(sampleOf(m, 'smcroute_route_bytes', { iif: 'eth0', source: 'other' }).value, 100);
  assert.equal(sampleOf(m, 'smcroute_routes_summed', { family: 'inet' }).value, 3);
  // The route counts still count every route.
  assert.equal(sampleOf(m, 'smcroute_routes', { family: 'inet', kind: 'learned' }).value, 4);
  assert.equal(sampleOf(m, 'smcroute_routes', { family: 'inet', kind: 'stop' }).value, 1);
});

test('the strict parser refuses what the formats do not allow', () => {
  const good = formatMetrics(INPUT, true);
  const broken: [string, string, ExpositionFormat][] = [
    ['no EOF', good.replace('# EOF\n', ''), 'openmetrics'],
    ['text after EOF', `${good}x 1\n`, 'openmetrics'],
    ['bad escape', '# TYPE a gauge\na{l="\\t"} 1\n# EOF\n', 'openmetrics'],
    ['series twice', '# TYPE a gauge\na{l="1"} 1\na{l="1"} 2\n# EOF\n', 'openmetrics'],
    ['split family', '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x="1"} 1\n# EOF\n', 'openmetrics'],
    ['counter without _total', '# TYPE a counter\na 1\n# EOF\n', 'openmetrics'],
    ['unit not a suffix', '# TYPE a_seconds gauge\n# UNIT a_seconds bytes\na_seconds 1\n# EOF\n', 'openmetrics'],
    ['UNIT in 0.0.4', '# TYPE a_bytes gauge\n# UNIT a_bytes bytes\na_bytes 1\n', 'prometheus'],
    ['TYPE after samples', '# TYPE a gauge\na 1\n# HELP a x\n', 'prometheus'],
    ['trailing comma', '# TYPE a gauge\na{l="1",} 1\n', 'prometheus'],
    ['bad value', '# TYPE a gauge\na 1x\n', 'prometheus'],
    ['timestamp', '# TYPE a gauge\na 1 1700000000\n', 'prometheus'],
    ['untyped sample', 'a 1\n', 'prometheus'],
    ['no final newline', '# TYPE a gauge\na 1', 'prometheus'],
  ];
  for (const [what, text, format] of broken) assert.throws(() => parseExposition(text, format), Error, what);
  assert.doesNotThrow(() => parseExposition(good, 'openmetrics'));
});

/** A server that renders nothing and warns no one: for the tests of what it refuses. */
const SILENT = { render: () => Promise.resolve(''), warn: () => {}, claimPath };

test('the server: GET and HEAD /metrics in the negotiated format, 404 elsewhere, 405 for other methods, 500 when rendering fails', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smct-metrics-'));
  const path = join(dir, 'metrics.sock');
  const warnings: string[] = [];
  let failNext = false;
  const server = await startMetricsServer(
    { kind: 'unix', path },
    {
      render: (om) => (failNext ? Promise.reject(new Error('boom')) : Promise.resolve(om ? 'om\n# EOF\n' : 'prom\n')),
      warn: (m) => warnings.push(m),
      claimPath,
    },
  );
  try {
    assert.equal(statSync(path).mode & 0o777, 0o666);
    const prom = await requestUnix(path, 'GET', '/metrics');
    assert.deepEqual([prom.status, prom.type, prom.body], [200, 'text/plain; version=0.0.4; charset=utf-8', 'prom\n']);
    const om = await requestUnix(path, 'GET', '/metrics?x=1', { Accept: 'application/openmetrics-text; version=1.0.0' });
    assert.deepEqual(
      [om.status, om.type, om.body],
      [200, 'application/openmetrics-text; version=1.0.0; charset=utf-8', 'om\n# EOF\n'],
    );
    const head = await requestUnix(path, 'HEAD', '/metrics');
    assert.deepEqual([head.status, head.body], [200, '']);
    assert.equal((await requestUnix(path, 'GET', '/')).status, 404);
    assert.equal((await requestUnix(path, 'GET', '/metricsx')).status, 404);
    const post = await requestUnix(path, 'POST', '/metrics');
    assert.deepEqual([post.status, post.allow], [405, 'GET, HEAD']);
    failNext = true;
    assert.equal((await requestUnix(path, 'GET', '/metrics')).status, 500);
    assert.deepEqual(warnings, ['Metrics scrape failed: boom']);

    // The same path again is a live server's: refused, never taken over.
    await assert.rejects(startMetricsServer({ kind: 'unix', path }, SILENT), SocketInUseError);
    // A file that is not a socket is never replaced.
    writeFileSync(join(dir, 'plain'), 'x');
    await assert.rejects(startMetricsServer({ kind: 'unix', path: join(dir, 'plain') }, SILENT), /not a socket/);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => statSync(path), /ENOENT/);
});

test('the server: a TCP port in use is an EADDRINUSE error at start', async () => {
  const other = net.createServer();
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  const port = (other.address() as net.AddressInfo).port;
  try {
    await assert.rejects(startMetricsServer({ kind: 'tcp', host: '127.0.0.1', port }, SILENT), { code: 'EADDRINUSE' });
  } finally {
    other.close();
  }
});
