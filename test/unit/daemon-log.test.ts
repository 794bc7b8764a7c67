// What the daemon logs when a client's request fails: the command and the
// error reach the record, not only the words "IPC request failed".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../src/daemon/daemon.js';
import { ipcRequest } from '../../src/ipc/client.js';
import { FakeKernel, FakeNetns } from '../../src/kernel/fake.js';
import { memoryLogger } from '../../src/log.js';

test('a failed IPC request is logged with its command and error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smct-dlog-'));
  const log = memoryLogger();
  const fake = new FakeKernel(new FakeNetns([{ name: 'eth0', index: 2, up: true, multicast: true }]));
  const sockFile = join(dir, 'd.sock');
  const d = new Daemon(
    fake,
    log,
    { confFile: join(dir, 'none.conf'), pidFile: join(dir, 'd.pid'), sockFile, table: 0, cacheTimeout: 0 },
    {
      readFile: () => '',
      glob: () => [],
    },
  );
  try {
    assert.equal(await d.start(), undefined);
    const reply = await ipcRequest({ path: sockFile, explicitPath: true }, 'j', ['eth0', '10.1.2.3']);
    const error = reply.subarray(0, reply.indexOf(0)).toString();
    assert.notEqual(error, '', 'the daemon refused the join');
    const rec = log.records.find((r) => r.msg === 'IPC request failed');
    assert.deepEqual(rec?.fields, { cmd: 'j', error });
    assert.ok(log.lines.includes(`warning: IPC request failed: cmd=j error=${JSON.stringify(error)}`), log.lines.join('\n'));
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
