// The IPC server's monitor streams with a Control that pushes lines on demand: several at once,
// the cap on open monitors, a stalled reader losing events (and told how many), a clean end.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import type { MonitorFeed } from '../../src/ipc/control.js';
import { ipcStream, type IpcStream } from '../../src/ipc/client.js';
import { startIpcServer, type IpcServerOptions } from '../../src/ipc/server.js';
import { FakeControl } from '../lib/fake-control.js';
import { ipcFrame } from '../lib/impls.js';
import { pollUntil } from '../lib/proc.js';

class MonitorControl extends FakeControl {
  readonly pushers = new Set<(line: string) => void>();

  monitor(json: boolean, push: (line: string) => void): Promise<MonitorFeed> {
    push(json ? '{"event":"monitor-started"}\n' : 'monitor started\n');
    this.pushers.add(push);
    return Promise.resolve({ stop: () => this.pushers.delete(push), lostLine: (n: number) => `lost ${n}\n` });
  }

  emit(line: string): void {
    for (const p of this.pushers) p(line);
  }
}

async function withServer(
  opts: IpcServerOptions,
  fn: (path: string, c: MonitorControl, close: () => Promise<void>) => Promise<void>,
) {
  const dir = mkdtempSync(join(tmpdir(), 'smct-mon-'));
  const path = join(dir, 'mon.sock');
  const c = new MonitorControl();
  const server = await startIpcServer(path, c, { idleTimeoutMs: 200, ...opts });
  try {
    await fn(path, c, () => server.close());
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const until = (cond: () => boolean) => pollUntil(cond, { timeoutMs: 5000, intervalMs: 10, what: String(cond) });

function open(path: string, cmd: string): Promise<{ stream: IpcStream; text: () => string }> {
  let text = '';
  return ipcStream({ path, explicitPath: true }, cmd, (d) => (text += d.toString())).then((stream) => ({
    stream,
    text: () => text,
  }));
}

test('two monitors get every line, outlive the idle timeout, and end with the daemon status when the server closes', async () => {
  await withServer({}, async (path, c, close) => {
    const a = await open(path, 'm');
    const b = await open(path, 'M');
    await until(() => c.pushers.size === 2);
    await new Promise((r) => setTimeout(r, 400)); // twice the idle timeout
    c.emit('one\n');
    c.emit('two\n');
    await until(() => a.text().endsWith('two\n') && b.text().endsWith('two\n'));
    assert.equal(a.text(), 'monitor started\none\ntwo\n');
    assert.equal(b.text(), '{"event":"monitor-started"}\none\ntwo\n');
    await close();
    assert.deepEqual(await a.stream.ended, { by: 'daemon', status: '' });
    assert.deepEqual(await b.stream.ended, { by: 'daemon', status: '' });
    assert.equal(c.pushers.size, 0);
  });
});

test('a client that closes its monitor stops its feed', async () => {
  await withServer({}, async (path, c) => {
    const a = await open(path, 'm');
    await until(() => c.pushers.size === 1);
    a.stream.close();
    assert.deepEqual(await a.stream.ended, { by: 'client' });
    await until(() => c.pushers.size === 0);
  });
});

test('monitors over the cap are refused with a message; the others go on', async () => {
  await withServer({ maxMonitors: 1 }, async (path, c) => {
    const a = await open(path, 'm');
    await until(() => c.pushers.size === 1);
    const b = await open(path, 'm');
    assert.deepEqual(await b.stream.ended, { by: 'daemon', status: 'Too many monitors (1) open, try again later' });
    c.emit('still\n');
    await until(() => a.text().endsWith('still\n'));
  });
});

test('a reader that stops reading loses events past the cap, not the daemon memory, and is told how many', async () => {
  const cap = 32 * 1024;
  await withServer({ maxMonitorOutput: cap }, async (path, c) => {
    const sock = net.createConnection({ path });
    await new Promise((r) => sock.once('connect', r));
    sock.write(ipcFrame('m', []));
    await until(() => c.pushers.size === 1);
    sock.pause();
    const line = `${'x'.repeat(99)}\n`;
    const pushed = 20_000; // 2 MB: far more than the socket buffers and the cap together
    for (let i = 0; i < pushed; i++) c.emit(line);
    let got = '';
    sock.on('data', (d: Buffer) => (got += d.toString()));
    sock.resume();
    await until(() => got.includes('lost '));
    c.emit('after\n');
    await until(() => got.endsWith('after\n'));
    const lines = got.split('\n').filter((l) => l !== '');
    const lost = lines.find((l) => l.startsWith('lost '));
    assert.ok(lost, 'a line says events were lost');
    const delivered = lines.filter((l) => l === line.trim()).length;
    assert.equal(delivered + Number(lost.slice(5)), pushed);
    assert.ok(delivered < pushed);
    sock.destroy();
  });
});
