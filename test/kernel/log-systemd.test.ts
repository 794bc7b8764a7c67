// smcrouted's log as systemd runs it, on the real kernel: `-n -s` logs to syslog only (nothing on
// stderr), and a stderr that is the journal stream (JOURNAL_STREAM = its device:inode) gets each
// line's syslog priority as a `<N>` prefix, while any other stderr does not.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rootSkipReason, withLab, type Lab } from '../lib/netns.js';
import { ctlRun, logLines, SMCROUTED, startOurs, waitLog } from '../lib/ours.js';

const skip = rootSkipReason();

// Line 2 is broken: an error at start-up, logged at err.
const CONF = 'mroute from r0 source 10.72.0.1 group 225.72.0.1 to r1\nmroute from r0 group 10.72.0.2 to r1\n';

function router(lab: Lab): string {
  const rtr = lab.addNs('rtr', { forwarding: true });
  lab.veth({ ns: rtr, ifname: 'r0' }, { ns: rtr, ifname: 'r1' });
  return rtr;
}

test('-n -s: every line goes to syslog, none to stderr', { timeout: 60_000, skip }, async () => {
  await withLab(async (lab) => {
    const rtr = router(lab);
    const ours = await startOurs(lab, rtr, CONF, ['-s']);
    assert.equal(ctlRun(lab, rtr, ours.sock, 'reload').status, 1, 'a refused reload, logged at err');
    assert.equal(ctlRun(lab, rtr, ours.sock, 'show').status, 0, 'the daemon serves');
    assert.deepEqual(await ours.daemon.stop('SIGTERM'), { code: 0, signal: null });
    assert.equal(ours.daemon.logs, '', 'nothing on stdout or stderr');
  });
});

/**
 * Starts smcrouted with stderr on the harness's pipe and JOURNAL_STREAM set by a shell that execs
 * it: to that pipe's own device:inode (as systemd sets it for the journal's stream), or to `other`.
 */
async function startWithJournalStream(lab: Lab, ns: string, other?: string) {
  const conf = lab.writeFile('smcrouted.conf', CONF);
  const sock = lab.path('smcrouted.sock');
  const pid = lab.path('smcrouted.pid');
  const stream = other === undefined ? '"$(stat -L -c %d:%i /proc/self/fd/2)"' : other;
  const script = `JOURNAL_STREAM=${stream} exec "$@"`;
  const args = ['-n', '-l', 'debug', '-i', 'smct-journal', '-f', conf, '-u', sock, '-P', pid];
  return lab.startDaemon({ ns, cmd: 'sh', args: ['-c', script, 'sh', SMCROUTED, ...args], readyFiles: [pid, sock] });
}

test('stderr that is the journal stream: each line opens with its <N> priority', { timeout: 60_000, skip }, async () => {
  await withLab(async (lab) => {
    const rtr = router(lab);
    const d = await startWithJournalStream(lab, rtr);
    await waitLog(d, /applied/);
    const lines = logLines(d);
    assert.ok(lines.length >= 3, d.logs);
    const priority = { err: 3, warning: 4, notice: 5, info: 6, debug: 7 } as const;
    for (const line of lines) {
      const m = /^<(\d)>smct-journal\[\d+\]: (err|warning|notice|info|debug): /.exec(line);
      assert.ok(m, `no <N> prefix: ${line}`);
      assert.equal(Number(m[1]), priority[m[2] as keyof typeof priority], line);
    }
    assert.ok(
      lines.some((l) => l.startsWith('<3>') && /smcrouted\.conf:2: error:/.test(l)),
      `the broken line is an error journalctl -p err finds:\n${d.logs}`,
    );
    assert.ok(lines.some((l) => l.startsWith('<5>') && l.endsWith('notice: SMCRoute v2.6.0')));
  });
});

test('JOURNAL_STREAM naming another stream: stderr lines stay plain', { timeout: 60_000, skip }, async () => {
  await withLab(async (lab) => {
    const rtr = router(lab);
    const d = await startWithJournalStream(lab, rtr, '1:1');
    await waitLog(d, /applied/);
    const lines = logLines(d);
    assert.ok(lines.length >= 3, d.logs);
    for (const line of lines) assert.match(line, /^smct-journal\[\d+\]: /);
  });
});
