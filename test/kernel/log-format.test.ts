// smcrouted --log-format json on the real kernel: every stderr line is one
// JSON object, and a refused IPC command carries its command and error.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRecord } from '../lib/json.js';
import { rootSkipReason, withLab } from '../lib/netns.js';
import { ctlRun, logLines, startOurs, waitLog } from '../lib/ours.js';

const skip = rootSkipReason();

test('--log-format json: one object per stderr line, with the fields of the record', { timeout: 60_000, skip }, async () => {
  await withLab(async (lab) => {
    const rtr = lab.addNs('rtr', { forwarding: true });
    lab.veth({ ns: rtr, ifname: 'r0' }, { ns: rtr, ifname: 'r1' });
    const ours = await startOurs(lab, rtr, 'mroute from r0 source 10.9.0.1 group 225.9.0.1 to r1\n', ['--log-format', 'json']);
    const refused = ctlRun(lab, rtr, ours.sock, 'add', 'eth9', '10.9.0.2', '225.9.0.2', 'r1');
    assert.equal(refused.status, 1);
    const error = refused.stderr.replace(/^smcroutectl: /, '').trim();
    await waitLog(ours.daemon, /IPC request failed/);
    const records = logLines(ours.daemon).map(parseRecord);
    const start = records[0];
    assert.equal(start?.msg, 'SMCRoute v2.6.0');
    assert.equal(start?.level, 'notice');
    assert.equal(start?.pid, ours.daemon.pid);
    assert.match(String(start?.time), /^\d{4}-\d\d-\d\dT/);
    const failed = records.find((r) => r.msg === 'IPC request failed');
    assert.deepEqual({ level: failed?.level, cmd: failed?.cmd, error: failed?.error }, { level: 'warning', cmd: 'a', error });
  });
});
