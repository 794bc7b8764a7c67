// `smcrouted --metrics` on the real kernel: scraped over HTTP from the router's namespace while
// multicast flows, every counter family rises as the router works, both formats parse by the
// rules; a unix socket endpoint; no TCP listener without a TCP address; start-up refusals.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { parseExposition, sampleOf, type Family } from '../lib/exposition.js';
import { send } from '../lib/mcast.js';
import { rootSkipReason, withLab } from '../lib/netns.js';
import { ctl, ctlRun, eventually, SMCROUTED, startOurs } from '../lib/ours.js';
import { scrapeIn, scrapeUnix, tcpListeners } from '../lib/scrape.js';
import { buildStar, starAddrs } from '../lib/topology.js';

const skip = rootSkipReason();
const A = starAddrs(91, 'inet');
const STATIC = '225.91.1.1'; // the (S,G) rule, to r1
const LEARNED = '225.91.2.2'; // from the (*,225.91.2.0/24) rule, to r2
const CONF = [`mroute from r0 source ${A.s0} group ${STATIC} to r1`, 'mroute from r0 group 225.91.2.0/24 to r2', ''].join('\n');
const PORT = 9544;
const URL = `http://127.0.0.1:${PORT}/metrics`;

type Metrics = Map<string, Family>;
const v = (m: Metrics, family: string, labels: Record<string, string> = {}) => sampleOf(m, family, labels).value;

test(
  'scraped twice while multicast flows: route, interface, upcall and learned counters rise; a reload and IPC commands are counted; both formats parse',
  { timeout: 120_000, skip },
  async (tc) => {
    await withLab(async (lab) => {
      const t = buildStar(lab, { net: 91 });
      const ours = await startOurs(lab, t.rtr, CONF, ['--metrics', `127.0.0.1:${PORT}`]);
      const scrape = (): Metrics => {
        const s = scrapeIn(lab, t.rtr, URL, true);
        assert.equal(s.status, 200);
        assert.equal(s.type, 'application/openmetrics-text; version=1.0.0; charset=utf-8');
        return parseExposition(s.body, 'openmetrics');
      };
      const before = scrape();
      // The (S,G) route is in the kernel from the start; the learned one waits for its flow.
      assert.equal(v(before, 'smcroute_routes', { family: 'inet', kind: 'static' }), 1);
      assert.equal(v(before, 'smcroute_routes', { family: 'inet', kind: 'learned' }), 0);
      assert.equal(v(before, 'smcroute_upcalls', { kind: 'nocache' }), 0);
      assert.equal(v(before, 'smcroute_routes_learned'), 0);

      // About 100 packets a second to each group for some 6 s, while the scrapes run.
      const flow = send(lab, { ns: t.snd, iface: 's0', sources: A.s0, groups: [STATIC, LEARNED], count: 600, intervalMs: 10 });
      flow.catch(() => undefined);
      const st = { family: 'inet', iif: 'r0', source: A.s0, group: STATIC };
      const le = { family: 'inet', iif: 'r0', source: A.s0, group: LEARNED };
      const first = await eventually('both routes with packets in a scrape', () => {
        const m = scrape();
        const listed = m.get('smcroute_route_packets')?.samples ?? [];
        return listed.some((s) => s.labels.group === LEARNED && s.value > 0) &&
          listed.some((s) => s.labels.group === STATIC && s.value > 0)
          ? m
          : undefined;
      });
      const second = await eventually('the counters rising between two scrapes', () => {
        const m = scrape();
        return v(m, 'smcroute_route_packets', st) > v(first, 'smcroute_route_packets', st) &&
          v(m, 'smcroute_route_packets', le) > v(first, 'smcroute_route_packets', le)
          ? m
          : undefined;
      });
      tc.diagnostic(
        `static ${v(first, 'smcroute_route_packets', st)} -> ${v(second, 'smcroute_route_packets', st)} packets, ` +
          `learned ${v(first, 'smcroute_route_packets', le)} -> ${v(second, 'smcroute_route_packets', le)}`,
      );
      for (const [name, labels] of [
        ['smcroute_route_bytes', st],
        ['smcroute_route_bytes', le],
        ['smcroute_interface_packets', { family: 'inet', interface: 'r0', direction: 'in' }],
        ['smcroute_interface_bytes', { family: 'inet', interface: 'r0', direction: 'in' }],
        ['smcroute_interface_packets', { family: 'inet', interface: 'r1', direction: 'out' }],
        ['smcroute_interface_packets', { family: 'inet', interface: 'r2', direction: 'out' }],
      ] as const) {
        assert.ok(v(second, name, labels) > v(first, name, labels), `${name} ${JSON.stringify(labels)} rises`);
      }
      assert.ok(v(first, 'smcroute_route_bytes', st) >= v(first, 'smcroute_route_packets', st) * 20, 'bytes are bytes');
      assert.equal(v(second, 'smcroute_route_wrong_interface_packets', st), 0);
      assert.equal(v(second, 'smcroute_routes', { family: 'inet', kind: 'static' }), 1);
      assert.equal(v(second, 'smcroute_routes', { family: 'inet', kind: 'learned' }), 1);
      assert.equal(v(second, 'smcroute_routes_summed', { family: 'inet' }), 0);
      assert.ok(v(second, 'smcroute_upcalls', { kind: 'nocache' }) >= 1);
      assert.ok(v(second, 'smcroute_upcalls_resolved') >= 1);
      assert.equal(v(second, 'smcroute_routes_learned'), 1);
      const vifs = second
        .get('smcroute_interface_packets')
        ?.samples.filter((s) => s.labels.family === 'inet')
        .map((s) => `${s.labels.interface}:${s.labels.vif}`);
      assert.deepEqual(new Set(vifs), new Set(['r0:0', 'r1:1', 'r2:2']), 'each VIF with its number');

      // A reload applied, one refused, and IPC commands by result.
      const reloadsOk = v(second, 'smcroute_reloads', { result: 'applied' });
      const showOk = v(second, 'smcroute_ipc_commands', { command: 'show', result: 'ok' });
      ctl(lab, t.rtr, ours.sock, 'reload');
      ctl(lab, t.rtr, ours.sock, 'show');
      lab.writeFile('smcrouted.conf', `${CONF}mroute from r0 group 300.1.1.1 to r1\n`);
      assert.notEqual(ctlRun(lab, t.rtr, ours.sock, 'reload').status, 0, 'a broken file is refused');
      lab.writeFile('smcrouted.conf', CONF);
      const third = scrape();
      assert.equal(v(third, 'smcroute_reloads', { result: 'applied' }), reloadsOk + 1);
      assert.equal(v(third, 'smcroute_reloads', { result: 'refused' }), 1);
      assert.equal(v(third, 'smcroute_ipc_commands', { command: 'reload', result: 'ok' }), 1);
      assert.equal(v(third, 'smcroute_ipc_commands', { command: 'reload', result: 'failed' }), 1);
      assert.equal(v(third, 'smcroute_ipc_commands', { command: 'show', result: 'ok' }), showOk + 1);

      // Without an OpenMetrics Accept header: Prometheus text, parsed by its own rules.
      const prom = scrapeIn(lab, t.rtr, URL, false);
      assert.equal(prom.type, 'text/plain; version=0.0.4; charset=utf-8');
      const pm = parseExposition(prom.body, 'prometheus');
      assert.ok(v(pm, 'smcroute_route_packets_total', st) >= v(third, 'smcroute_route_packets', st));
      assert.equal(scrapeIn(lab, t.rtr, `http://127.0.0.1:${PORT}/`, false).status, 404);
      // Loopback only: nothing listens on the router's other addresses.
      assert.deepEqual(tcpListeners(lab, t.rtr), [`0100007F:${PORT.toString(16).toUpperCase().padStart(4, '0')}`]);
      await flow;
    });
  },
);

test(
  'unix:PATH serves the same text on a socket, removed at exit; no TCP listener, nor without --metrics',
  { timeout: 60_000, skip },
  async () => {
    await withLab(async (lab) => {
      const t = buildStar(lab, { net: 91, receivers: 1 });
      const bare = lab.addNs('bare');
      const plain = await startOurs(lab, bare, '', [], 'plain');
      assert.deepEqual(tcpListeners(lab, bare), [], 'a daemon without --metrics listens on no TCP port');
      ctl(lab, bare, plain.sock, 'show');

      const path = lab.path('metrics.sock');
      const ours = await startOurs(lab, t.rtr, `mroute from r0 source ${A.s0} group ${STATIC} to r1\n`, [
        '--metrics',
        `unix:${path}`,
      ]);
      await send(lab, { ns: t.snd, iface: 's0', sources: A.s0, groups: STATIC, count: 5, intervalMs: 10 });
      let m: Metrics | undefined;
      for (const deadline = Date.now() + 10_000; !m; await new Promise((r) => setTimeout(r, 100))) {
        const s = await scrapeUnix(path, true);
        assert.equal(s.status, 200);
        const p = parseExposition(s.body, 'openmetrics');
        if (v(p, 'smcroute_route_packets', { source: A.s0, group: STATIC }) > 0) m = p;
        else if (Date.now() > deadline) assert.fail(`the route never counted over the unix socket:\n${s.body}`);
      }
      assert.equal(v(m, 'smcroute_routes', { family: 'inet', kind: 'static' }), 1);
      const prom = await scrapeUnix(path, false);
      parseExposition(prom.body, 'prometheus');
      assert.equal((await scrapeUnix(path, false, '/other')).status, 404);
      assert.deepEqual(tcpListeners(lab, t.rtr), [], 'unix:PATH opens no TCP port');
      await ours.daemon.stop();
      assert.equal(existsSync(path), false, 'the socket is removed at exit');
    });
  },
);

test(
  'a metrics port in use or a path that cannot be made ends the start with 69, before any route',
  { timeout: 60_000, skip },
  async () => {
    await withLab(async (lab) => {
      const t = buildStar(lab, { net: 91, receivers: 1 });
      const holder = lab.spawn(t.rtr, 'python3', [
        '-c',
        `import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',${PORT}))\ns.listen()\nprint('ready',flush=True)\ntime.sleep(120)`,
      ]);
      await holder.waitForLine((l) => l === 'ready', 10_000);
      const conf = lab.writeFile('busy.conf', `mroute from r0 source ${A.s0} group ${STATIC} to r1\n`);
      const start = (metrics: string) =>
        lab.exec(
          t.rtr,
          SMCROUTED,
          [
            '-n',
            '-i',
            `busy-${lab.id}`,
            '-f',
            conf,
            '-u',
            lab.path('busy.sock'),
            '-P',
            lab.path('busy.pid'),
            '--metrics',
            metrics,
          ],
          {
            check: false,
          },
        );
      const busy = start(`127.0.0.1:${PORT}`);
      assert.equal(busy.status, 69, busy.stderr);
      assert.match(
        busy.stderr,
        new RegExp(`Cannot serve metrics on 127\\.0\\.0\\.1:${PORT}: Address already in use \\(EADDRINUSE\\)`),
      );
      assert.equal(lab.ip(t.rtr, 'mroute', 'show').trim(), '', 'no route installed');
      assert.equal(existsSync(lab.path('busy.pid')) || existsSync(lab.path('busy.sock')), false, 'no files left');

      const noDir = start(`unix:${lab.dir}/missing/metrics.sock`);
      assert.equal(noDir.status, 69, noDir.stderr);
      assert.match(noDir.stderr, /Cannot serve metrics on unix:\S+missing\/metrics\.sock: No such file or directory \(ENOENT\)/);

      const remote = start('10.91.1.1:9544');
      assert.equal(remote.status, 64);
      assert.match(remote.stderr, /Invalid --metrics address: 10\.91\.1\.1:9544 \(a loopback address only/);
      await holder.stop();
    });
  },
);
