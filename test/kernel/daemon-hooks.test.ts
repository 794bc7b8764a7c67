// Our smcrouted's -e hook script and -d start-up delay on the real kernel: `reload` runs at
// start and after each reload that applied, `install` with $source/$group for flows learned
// from real multicast, the daemon answering while a run hangs; nothing opened during -d.

import assert from 'node:assert/strict';
import { chmodSync, closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { KernelView } from '../lib/kview.js';
import { newToken, send } from '../lib/mcast.js';
import { Daemon, rootSkipReason, withLab, type Lab } from '../lib/netns.js';
import { ctl, ctlRun, eventually, logLines, SMCROUTED, startOurs, waitLog } from '../lib/ours.js';
import { buildStar, starAddrs } from '../lib/topology.js';

const A = starAddrs(58, 'inet', 1);
const OTHER = '10.58.1.3';
const TEMPLATE_GROUP = '225.58.2.5';
const SG_GROUP = '225.58.1.1';
const UNROUTED = '225.58.9.9';
const CONF = [`mroute from r0 source ${A.s0} group ${SG_GROUP} to r1`, 'mroute from r0 group 225.58.2.0/24 to r1', ''].join('\n');

const skip = rootSkipReason();

function topo(lab: Lab) {
  const t = buildStar(lab, { net: 58, receivers: 1 });
  lab.addAddrs(t.snd, 's0', [`${OTHER}/24`]);
  return t;
}

/**
 * Appends "$1 source=$source group=$group" to OUT; a reload run while FIFO exists waits for
 * a line on it; an install run exits 3, so the daemon has a status to report.
 */
function hookScript(lab: Lab): { script: string; out: string; fifo: string } {
  const out = lab.writeFile('hook.out', '');
  const fifo = lab.path('hook.fifo');
  const script = lab.writeFile(
    'hook.sh',
    [
      '#!/bin/sh',
      `echo "$1 source=$source group=$group" >> '${out}'`,
      `if [ "$1" = reload ] && [ -p '${fifo}' ]; then read x < '${fifo}'; rm -f '${fifo}'; echo released >> '${out}'; fi`,
      '[ "$1" = install ] && exit 3',
      'exit 0',
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return { script, out, fifo };
}

const lines = (out: string) => readFileSync(out, 'utf8').split('\n').filter(Boolean);
const count = (d: Daemon, re: RegExp) => logLines(d).filter((l) => re.test(l)).length;

test(
  '-e: reload at start and after each applied reload, install with $source/$group per learned flow, status logged',
  { timeout: 90_000, skip },
  async () => {
    await withLab(async (lab) => {
      const t = topo(lab);
      const hook = hookScript(lab);
      const ours = await startOurs(lab, t.rtr, CONF, ['-e', hook.script]);
      const d = ours.daemon;
      await eventually('the start-up reload run', () => lines(hook.out).includes('reload source= group='));

      // Real traffic: two sources on the template's group are learned; the (S,G) rule's own
      // flow and a group no rule covers (a stop filter) are not "learned from a (*,G) rule".
      const token = newToken();
      const out = { ns: t.snd, iface: 's0', count: 1, token };
      await send(lab, { ...out, groups: [TEMPLATE_GROUP, SG_GROUP, UNROUTED], sources: A.s0 });
      await send(lab, { ...out, groups: TEMPLATE_GROUP, sources: OTHER });
      const kv = new KernelView(lab, t.rtr);
      await eventually(
        'both learned flows and the stop filter in the kernel',
        () => kv.routes('inet').filter((r) => r.iif).length >= 4,
        {
          state: () => JSON.stringify(kv.routes('inet')),
        },
      );
      await eventually('two install runs ended', () => count(d, /Script .* install exited with status 3/) === 2, {
        state: () => d.logs,
      });
      assert.deepEqual(
        lines(hook.out)
          .filter((l) => l.startsWith('install'))
          .sort(),
        [`install source=${A.s0} group=${TEMPLATE_GROUP}`, `install source=${OTHER} group=${TEMPLATE_GROUP}`],
      );
      assert.match(
        d.logs,
        new RegExp(`warning: Script ${hook.script} install exited with status 3: .*source=${A.s0} group=${TEMPLATE_GROUP}`),
      );

      // A reload whose run hangs: the daemon answers and routes meanwhile.
      execFileSync('mkfifo', [hook.fifo]);
      process.kill(ours.daemon.pid, 'SIGHUP');
      await eventually(
        'the SIGHUP reload run waiting on the FIFO',
        () => lines(hook.out).filter((l) => l.startsWith('reload')).length === 2,
      );
      assert.match(ctl(lab, t.rtr, ours.sock, 'show'), /225\.58\.2\.0\/24/);
      ctl(lab, t.rtr, ours.sock, 'add', 'r0', '10.58.1.7', '225.58.3.3', 'r1');
      assert.deepEqual(kv.routes('inet').find((r) => r.group === '225.58.3.3')?.oifs, ['r1']);
      assert.ok(!lines(hook.out).includes('released'));
      // Release it: opening the FIFO for writing succeeds once the script has it open for reading.
      const fd = await eventually('the script reading the FIFO', () => {
        try {
          return openSync(hook.fifo, constants.O_WRONLY | constants.O_NONBLOCK);
        } catch {
          return undefined;
        }
      });
      closeSync(fd); // `read` gets end-of-file and the script goes on
      await eventually('the hung run released', () => lines(hook.out).includes('released'));

      // smcroutectl reload runs it too; a refused reload does not.
      const running = /Running script .* reload/;
      ctl(lab, t.rtr, ours.sock, 'reload');
      lab.writeFile('smcrouted.conf', `${CONF}mroute from nowhere\n`);
      assert.notEqual(ctlRun(lab, t.rtr, ours.sock, 'reload').status, 0);
      lab.writeFile('smcrouted.conf', CONF);
      ctl(lab, t.rtr, ours.sock, 'reload');
      // The refused one would have logged its run before the last one's, in the same stream.
      await waitLog(d, /Reload refused/);
      await eventually('four reload runs', () => count(d, running) >= 4);
      assert.equal(count(d, running), 4, d.logs);
      await eventually('four reload lines', () => lines(hook.out).filter((l) => l.startsWith('reload')).length === 4);

      assert.equal((await d.stop()).code, 0, d.logs);
    });
  },
);

test('-d: nothing is opened, read or written during the delay; then start-up as usual', { timeout: 60_000, skip }, async () => {
  await withLab(async (lab) => {
    const t = topo(lab);
    const cfg = lab.writeFile('smcrouted.conf', CONF);
    const pid = lab.path('smcrouted.pid');
    const sock = lab.path('smcrouted.sock');
    const proc = lab.spawn(t.rtr, SMCROUTED, ['-n', '-l', 'debug', '-d', '3', '-f', cfg, '-P', pid, '-u', sock]);
    const d = new Daemon(proc);
    await waitLog(d, /Startup delay requested, waiting 3 sec/);
    const kv = new KernelView(lab, t.rtr);
    // Checked at once: the delay has seconds to run.
    assert.equal(existsSync(pid), false, 'no PID file during the delay');
    assert.equal(existsSync(sock), false, 'no IPC socket during the delay');
    assert.deepEqual(kv.vifs('inet'), [], 'no VIF during the delay');

    await eventually('the PID file after the delay', () => existsSync(pid) && readFileSync(pid, 'utf8') === `${proc.pid}\n`, {
      timeoutMs: 15_000,
    });
    assert.deepEqual(kv.routes('inet').find((r) => r.group === SG_GROUP)?.oifs, ['r1']);
    const log = logLines(d);
    const at = (re: RegExp) => log.findIndex((l) => re.test(l));
    assert.ok(at(/Startup delay requested/) < at(/Configuration .* applied/), log.join('\n'));
    assert.equal((await d.stop()).code, 0, d.logs);
  });
});

test('-d: SIGTERM during the delay exits 0 at once, having opened nothing', { timeout: 60_000, skip }, async () => {
  await withLab(async (lab) => {
    const t = topo(lab);
    const cfg = lab.writeFile('smcrouted.conf', CONF);
    const pid = lab.path('smcrouted.pid');
    const proc = lab.spawn(t.rtr, SMCROUTED, [
      '-n',
      '-d',
      '600',
      '-l',
      'info',
      '-f',
      cfg,
      '-P',
      pid,
      '-u',
      lab.path('smcrouted.sock'),
    ]);
    const d = new Daemon(proc);
    await waitLog(d, /Startup delay requested, waiting 600 sec/);
    // Long before the delay ends; a daemon that waited it out would be killed after the grace.
    const exit = await d.stop('SIGTERM', 20_000);
    assert.deepEqual(exit, { code: 0, signal: null }, d.logs);
    assert.equal(existsSync(pid), false);
    assert.doesNotMatch(d.logs, /Configuration .* applied/);
    assert.deepEqual(new KernelView(lab, t.rtr).vifs('inet'), []);
  });
});
