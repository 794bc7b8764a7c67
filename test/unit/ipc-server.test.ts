// The IPC server on a real Unix socket in a temp dir, with a recording fake Control.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRequest } from '../../src/ipc/codec.js';
import { SocketInUseError, startIpcServer, type IpcServer } from '../../src/ipc/server.js';
import { peerCredentials } from '../../src/kernel/peer-credentials.js';
import { formatGroups, formatInterfaces, formatPending, formatRoutes } from '../../src/show/format.js';
import { FakeControl } from '../lib/fake-control.js';
import { fail } from '../../src/result.js';
import { pollUntil } from '../lib/proc.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'smct-ipc-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

let seq = 0;
async function withServer(
  fn: (path: string, control: FakeControl, server: IpcServer) => Promise<void>,
  opts: Parameters<typeof startIpcServer>[2] = {},
): Promise<void> {
  const path = join(dir, `s${seq++}.sock`);
  const control = new FakeControl();
  const server = await startIpcServer(path, control, opts);
  try {
    await fn(path, control, server);
  } finally {
    await server.close();
  }
}

/** Writes `parts` (each after the previous is flushed and a short pause), reads to EOF. */
function talk(path: string, parts: Buffer[], opts: { halfClose?: boolean } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection({ path, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('end', () => {
      sock.end();
      resolve(Buffer.concat(chunks));
    });
    sock.on('error', reject);
    const writeParts = async () => {
      for (const [i, p] of parts.entries()) {
        if (i > 0) await new Promise((r) => setTimeout(r, 15));
        await new Promise<void>((r) => sock.write(p, () => r()));
      }
      if (opts.halfClose) sock.end();
    };
    sock.on('connect', () => {
      writeParts().catch(reject);
    });
  });
}

const req = (cmd: string, ...args: string[]) => encodeRequest(cmd, args);
const OK = Buffer.from([0]);
const text = (s: string) => Buffer.from(s + '\0', 'utf8');

test('the socket is private to root and replaces a stale socket', async () => {
  const path = join(dir, 'stale.sock');
  // A daemon killed hard leaves its socket file behind.
  const child = spawnSync(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
  ]);
  assert.equal(child.signal, 'SIGKILL');
  assert.equal(statSync(path).isSocket(), true);
  const server = await startIpcServer(path, new FakeControl());
  try {
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(await talk(path, [req('F')]), OK);
  } finally {
    await server.close();
  }
  assert.equal(existsSync(path), false, 'close() removes the socket file');
});

test('refuses to replace a file that is not a socket', async () => {
  const path = join(dir, 'regular');
  writeFileSync(path, 'keep me');
  await assert.rejects(startIpcServer(path, new FakeControl()), /not a socket/);
  assert.equal(statSync(path).isFile(), true);
});

test('add and remove: (*,G) when argument 2 is a group, else source then group; the rest are OIFs', async () => {
  await withServer(async (path, control) => {
    assert.deepEqual(await talk(path, [req('a', 'eth0', '225.1.1.1', 'eth1', 'eth2')]), OK);
    assert.deepEqual(await talk(path, [req('a', 'eth0', '10.0.0.1', '225.1.1.1', 'eth1')]), OK);
    assert.deepEqual(await talk(path, [req('a', 'eth0', '10.0.0.0/24', '225.1.1.0/24', 'eth1')]), OK);
    assert.deepEqual(await talk(path, [req('a', 'eth0', 'ff0e::1', 'eth1')]), OK);
    assert.deepEqual(await talk(path, [req('r', 'eth0', '225.1.1.1')]), OK);
    assert.deepEqual(await talk(path, [req('r', 'eth0', '2001:db8::1', 'ff0e::1')]), OK);
    assert.deepEqual(control.calls, [
      { op: 'addRoute', args: { iif: 'eth0', source: undefined, group: '225.1.1.1', oifs: ['eth1', 'eth2'] } },
      { op: 'addRoute', args: { iif: 'eth0', source: '10.0.0.1', group: '225.1.1.1', oifs: ['eth1'] } },
      { op: 'addRoute', args: { iif: 'eth0', source: '10.0.0.0/24', group: '225.1.1.0/24', oifs: ['eth1'] } },
      { op: 'addRoute', args: { iif: 'eth0', source: undefined, group: 'ff0e::1', oifs: ['eth1'] } },
      { op: 'removeRoute', args: { iif: 'eth0', source: undefined, group: '225.1.1.1', oifs: [] } },
      { op: 'removeRoute', args: { iif: 'eth0', source: '2001:db8::1', group: 'ff0e::1', oifs: [] } },
    ]);
  });
});

test("add and remove: bad arguments get upstream's messages and never reach Control", async () => {
  await withServer(async (path, control) => {
    const cases: [Buffer, string][] = [
      [req('a', 'eth0'), "Unknown or malformed IPC message 'a' from client."],
      [req('r'), "Unknown or malformed IPC message 'r' from client."],
      // a unicast first address needs a group after it
      [req('a', 'eth0', '10.0.0.1'), "Unknown or malformed IPC message 'a' from client."],
      [req('a', 'eth0', 'bogus/24', '225.1.1.1'), 'mroute: invalid source/group address: bogus'],
      [req('a', 'eth0', '10.0.0.1', '10.0.0.2/8', 'eth1'), 'mroute: invalid multicast group: 10.0.0.2'],
      [req('a', 'eth0', '10.0.0.1', 'nonsense'), 'mroute: invalid multicast group: nonsense'],
      // 33 outbound interfaces is one more than there are VIFs
      [
        req('a', 'eth0', '225.1.1.1', ...Array.from({ length: 33 }, (_, i) => `e${i}`)),
        "Unknown or malformed IPC message 'a' from client.",
      ],
    ];
    for (const [frame, message] of cases) assert.deepEqual(await talk(path, [frame]), text(message));
    assert.deepEqual(control.calls, []);
    // 32 are fine
    assert.deepEqual(await talk(path, [req('a', 'eth0', '225.1.1.1', ...Array.from({ length: 32 }, (_, i) => `e${i}`))]), OK);
    assert.equal(control.calls.length, 1);
  });
});

test('join and leave: IIF [SOURCE] GROUP, a source only with exactly three arguments', async () => {
  await withServer(async (path, control) => {
    assert.deepEqual(await talk(path, [req('j', 'eth0', '225.1.1.1')]), OK);
    assert.deepEqual(await talk(path, [req('j', 'eth0', '10.0.0.1', '232.1.1.1')]), OK);
    assert.deepEqual(await talk(path, [req('l', 'eth0', '225.1.1.0/30')]), OK);
    // upstream takes argument 2 as the group whenever there are not exactly three; the validator then refuses it
    assert.deepEqual(
      await talk(path, [req('l', 'eth0', '10.0.0.1', '232.1.1.1', 'junk')]),
      text('group 10.0.0.1 is not a multicast address'),
    );
    assert.deepEqual(await talk(path, [req('j', 'eth0')]), text("Unknown or malformed IPC message 'j' from client."));
    assert.deepEqual(control.calls, [
      { op: 'join', args: { iif: 'eth0', group: '225.1.1.1' } },
      { op: 'join', args: { iif: 'eth0', source: '10.0.0.1', group: '232.1.1.1' } },
      { op: 'leave', args: { iif: 'eth0', group: '225.1.1.0/30' } },
    ]);
  });
});

test('flush, reload and kill; a failing command replies with its message', async () => {
  await withServer(async (path, control) => {
    assert.deepEqual(await talk(path, [req('F')]), OK);
    assert.deepEqual(await talk(path, [req('H')]), OK);
    assert.deepEqual(await talk(path, [req('k')]), OK);
    assert.deepEqual(
      control.calls.map((c) => c.op),
      ['flush', 'reload', 'kill'],
    );
    control.result = { ok: false, error: 'Failed reading /etc/smcroute.conf' };
    assert.deepEqual(await talk(path, [req('H')]), text('Failed reading /etc/smcroute.conf'));
    control.result = { ok: false, error: 'line one\0hidden' };
    assert.deepEqual(await talk(path, [req('a', 'e0', '225.1.1.1', 'e1')]), text('line one'));
  });
});

test('show: the first letter of argument 1 picks the table, the command picks the mode', async () => {
  await withServer(async (path, control) => {
    assert.deepEqual(await talk(path, [req('s')]), text(formatRoutes(control.routes, 'brief')));
    assert.deepEqual(await talk(path, [req('S', 'routes')]), text(formatRoutes(control.routes, 'detail')));
    assert.deepEqual(await talk(path, [req('s', 'groups')]), text(formatGroups(control.groups, 'brief')));
    assert.deepEqual(await talk(path, [req('S', 'g')]), text(formatGroups(control.groups, 'detail')));
    assert.deepEqual(await talk(path, [req('J', 'interfaces')]), text(formatInterfaces(control.interfaces, 'json')));
    assert.deepEqual(await talk(path, [req('s', 'pending')]), text(formatPending(control.pending, 'brief')));
    assert.deepEqual(await talk(path, [req('J', 'xyz')]), text(formatRoutes(control.routes, 'json')));
    assert.deepEqual(await talk(path, [req('s', '')]), text(formatRoutes(control.routes, 'brief')));
    assert.deepEqual(control.calls, [
      { op: 'showRoutes', mode: 'brief' },
      { op: 'showRoutes', mode: 'detail' },
      { op: 'showGroups', mode: 'brief' },
      { op: 'showGroups', mode: 'detail' },
      { op: 'showInterfaces', mode: 'json' },
      { op: 'showPending', mode: 'brief' },
      { op: 'showRoutes', mode: 'json' },
      { op: 'showRoutes', mode: 'brief' },
    ]);
    // The text really is the show table, with its markers.
    assert.match((await talk(path, [req('s')])).toString(), /^\(\*,G\) Template Rules_\nROUTE \(S,G\) +IIF +OIFS=\n/);
  });
});

test('an unknown command letter gets an error', async () => {
  await withServer(async (path, control) => {
    assert.deepEqual(await talk(path, [req('q', 'a')]), text("Unknown or malformed IPC message 'q' from client."));
    assert.deepEqual(control.calls, []);
  });
});

test('several frames in one write are answered in order, then the server closes', async () => {
  await withServer(async (path, control) => {
    const reply = await talk(path, [Buffer.concat([req('F'), req('s', 'i'), req('q'), req('H')])]);
    assert.deepEqual(
      reply,
      Buffer.concat([
        OK,
        text(formatInterfaces(control.interfaces, 'brief')),
        text("Unknown or malformed IPC message 'q' from client."),
        OK,
      ]),
    );
    assert.deepEqual(
      control.calls.map((c) => c.op),
      ['flush', 'showInterfaces', 'reload'],
    );
  });
});

test('explain is answered when its reply is ready, in order with the requests around it, before the server closes', async () => {
  await withServer(async (path, control) => {
    control.explainDelayMs = 50;
    const reply = await talk(path, [Buffer.concat([req('F'), req('X', 'eth0', '10.0.0.1', '225.1.1.1'), req('H')])]);
    assert.deepEqual(reply, Buffer.concat([OK, text(control.explainReply), OK]));
    assert.deepEqual(
      control.calls.map((c) => c.op),
      ['flush', 'explain', 'reload'],
    );
    assert.deepEqual(control.calls[1], { op: 'explain', args: ['eth0', '10.0.0.1', '225.1.1.1'], json: true });
  });
});

test('while an answer is being made nothing more is read: requests piped behind it wait in the socket, not in memory', async () => {
  await withServer(async (path, control) => {
    control.explainDelayMs = 200;
    const behind = Buffer.concat(Array.from({ length: 100_000 }, () => req('F')));
    const sock = net.createConnection({ path, allowHalfOpen: true });
    let received = 0;
    let receivedWhenWritten = -1;
    sock.on('data', (c: Buffer) => (received += c.length));
    const ended = new Promise((r) => sock.on('end', r));
    await new Promise((r) => sock.once('connect', r));
    sock.write(req('X', 'eth0', '10.0.0.1', '225.1.1.1'));
    await new Promise<void>((r) =>
      sock.write(behind, () => {
        receivedWhenWritten = received;
        r();
      }),
    );
    sock.end();
    await ended;
    // The last of the piped requests could only leave this side once the server read again,
    // which it does after answering explain.
    assert.ok(receivedWhenWritten >= text(control.explainReply).length, `received ${receivedWhenWritten} bytes first`);
    assert.equal(received, text(control.explainReply).length + 100_000);
    assert.equal(control.calls.filter((c) => c.op === 'flush').length, 100_000);
  });
});

test('a refused explain is an error reply', async () => {
  await withServer(async (path, control) => {
    control.result = fail('explain: usage: explain [IIF] SOURCE GROUP');
    assert.deepEqual(await talk(path, [req('x', 'a')]), text('explain: usage: explain [IIF] SOURCE GROUP'));
  });
});

test("'T' is answered when the stats are ready, in order with the requests around it; with arguments it is malformed", async () => {
  await withServer(async (path, control) => {
    const reply = await talk(path, [Buffer.concat([req('F'), req('T'), req('H'), req('T', 'x')])]);
    assert.deepEqual(
      reply,
      Buffer.concat([OK, text(control.statsText), OK, text("Unknown or malformed IPC message 'T' from client.")]),
    );
    assert.deepEqual(
      control.calls.map((c) => c.op),
      ['flush', 'stats', 'reload'],
    );
    // A client that leaves before the answer is ready does not disturb the server.
    const sock = net.createConnection({ path });
    await new Promise((r) => sock.once('connect', r));
    sock.end(req('T'));
    sock.destroy();
    assert.deepEqual(await talk(path, [req('T')]), text(control.statsText));
  });
});

test('a Control whose stats fail gets an error reply', async () => {
  await withServer(async (path, control) => {
    control.stats = () => Promise.reject(new Error('boom'));
    assert.deepEqual(await talk(path, [req('T')]), text('Internal error: boom'));
  });
});

test('a frame arriving in pieces is answered once complete', async () => {
  await withServer(async (path, control) => {
    const frame = req('a', 'eth0', '10.0.0.1', '225.1.1.1', 'eth1');
    for (const at of [1, 8, 15, 16, 17, frame.length - 1]) {
      assert.deepEqual(await talk(path, [frame.subarray(0, at), frame.subarray(at)]), OK, `split at ${at}`);
    }
    // three pieces, the last one also carrying a second frame
    assert.deepEqual(
      await talk(path, [frame.subarray(0, 5), frame.subarray(5, 20), Buffer.concat([frame.subarray(20), req('F')])]),
      Buffer.concat([OK, OK]),
    );
    assert.equal(control.calls.length, 8);
  });
});

test('malformed frames get an error reply and a close; the server keeps serving', async () => {
  await withServer(async (path, control) => {
    const header = (len: bigint, count: number) => {
      const b = Buffer.alloc(16);
      b.writeBigUInt64LE(len, 0);
      b.writeUInt16LE(0x61, 8);
      b.writeUInt16LE(count, 10);
      return b;
    };
    const bad = [
      header(5n, 0), // shorter than the header
      header(2000n, 1), // declares more than 1024 bytes; only the header is sent
      header(1n << 40n, 1),
      Buffer.concat([header(40n, 36), Buffer.alloc(24)]), // too many arguments
      Buffer.concat([header(20n, 2), Buffer.from('ab\0c')]), // second argument overruns
    ];
    for (const frame of bad) {
      const reply = await talk(path, [frame]);
      assert.equal(reply.at(-1), 0, 'reply ends with NUL');
      assert.ok(reply.length > 1, 'reply carries a message');
      assert.match(reply.subarray(0, -1).toString(), /IPC message/);
    }
    // frames before the bad one are still answered
    const mixed = await talk(path, [Buffer.concat([req('F'), header(3n, 0), req('H')])]);
    assert.deepEqual(mixed.subarray(0, 1), OK);
    assert.match(mixed.subarray(1).toString(), /^Malformed IPC message.*\0$/);
    assert.deepEqual(
      control.calls.map((c) => c.op),
      ['flush'],
    );
    assert.deepEqual(await talk(path, [req('k')]), OK);
  });
});

test("a frame cut short by the client's EOF, or by the idle timeout, gets an error", async () => {
  await withServer(
    async (path) => {
      const frame = req('a', 'eth0', '225.1.1.1', 'eth1');
      const eof = await talk(path, [frame.subarray(0, 20)], { halfClose: true });
      assert.match(eof.toString(), /^Incomplete IPC message.*\0$/);
      const stalled = await talk(path, [frame.subarray(0, 10)]);
      assert.match(stalled.toString(), /^Incomplete IPC message, timed out\0$/);
    },
    { idleTimeoutMs: 200 },
  );
});

test('a Control that throws becomes an error reply, not a crash', async () => {
  await withServer(async (path, control) => {
    control.throws = new Error('boom');
    assert.deepEqual(await talk(path, [req('F')]), text('Internal error: boom'));
    assert.deepEqual(await talk(path, [req('s', 'groups')]), text('Internal error: boom'));
    control.throws = undefined;
    assert.deepEqual(await talk(path, [req('F')]), OK);
  });
});

test('many clients at once each get their own answer', async () => {
  await withServer(async (path, control) => {
    const n = 60;
    const replies = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        i % 2 ? talk(path, [req('a', `e${i}`, '225.1.1.1', 'x')]) : talk(path, [req('J', 'pending')]),
      ),
    );
    const json = text(formatPending(control.pending, 'json'));
    replies.forEach((r, i) => assert.deepEqual(r, i % 2 ? OK : json, `client ${i}`));
    const iifs = control.calls.flatMap((c) => (c.op === 'addRoute' ? [c.args.iif] : []));
    assert.deepEqual(iifs.sort(), Array.from({ length: n / 2 }, (_, i) => `e${2 * i + 1}`).sort());
  });
});

test('a client that reads slowly gets every reply, in order, with bounded buffering', async () => {
  await withServer(
    async (path, control) => {
      // about 40 kB per show reply, 100 of them, 4 kB allowed in flight
      control.routes = {
        ...control.routes,
        kernel: Array.from({ length: 500 }, (_, i) => ({ ...control.routes.kernel[0]!, iif: `e${i}` })),
        ifnameWidth: 4,
      };
      const one = text(formatRoutes(control.routes, 'detail'));
      const frames = Buffer.concat(Array.from({ length: 100 }, () => req('S')));
      const reply = await talk(path, [frames]);
      assert.equal(reply.length, one.length * 100);
      for (let i = 0; i < 100; i++) assert.ok(reply.subarray(i * one.length, (i + 1) * one.length).equals(one), `reply ${i}`);

      // A bad frame behind them is refused only after all of them were answered.
      const bad = Buffer.alloc(16); // declared length 0
      const withBad = await talk(path, [Buffer.concat([frames, bad])]);
      assert.equal(withBad.length > one.length * 100, true);
      assert.ok(withBad.subarray(0, one.length * 100).equals(reply));
      assert.match(withBad.subarray(one.length * 100).toString(), /^Malformed IPC message: length 0 below 16\0$/);
    },
    { maxPendingOutput: 4096 },
  );
});

test('a client that vanishes mid-reply does not disturb the server', async () => {
  await withServer(async (path, control) => {
    control.routes = {
      ...control.routes,
      kernel: Array.from({ length: 2000 }, (_, i) => ({ ...control.routes.kernel[0]!, iif: `e${i}` })),
    };
    await new Promise<void>((resolve) => {
      const sock = net.createConnection({ path }, () => {
        sock.write(Buffer.concat(Array.from({ length: 20 }, () => req('S'))), () => {
          sock.destroy();
          resolve();
        });
      });
    });
    assert.deepEqual(await talk(path, [req('F')]), OK);
  });
});

test("a live daemon's socket is never taken over: the second server is refused, the first serves on", async () => {
  const path = join(dir, 'live.sock');
  const first = new FakeControl();
  const server = await startIpcServer(path, first);
  try {
    const inode = statSync(path).ino;
    await assert.rejects(startIpcServer(path, new FakeControl()), (err: unknown) => {
      assert.ok(err instanceof SocketInUseError);
      assert.equal(err.message, `${path} is in use by a running daemon`);
      return true;
    });
    assert.equal(statSync(path).ino, inode, 'the socket file is still the first one');
    assert.deepEqual(await talk(path, [req('F')]), OK);
    assert.deepEqual(
      first.calls.map((c) => c.op),
      ['flush'],
    );
  } finally {
    await server.close();
  }
});

test('a socket path over 107 bytes is refused, not cut short', async () => {
  const path = join(dir, 'x'.repeat(120 - dir.length));
  assert.ok(Buffer.byteLength(path) > 107);
  await assert.rejects(startIpcServer(path, new FakeControl()), /too long: \d+ bytes, a UNIX socket path takes at most 107/);
  assert.equal(existsSync(path.slice(0, 107)), false, 'no truncated socket left behind');
});

/** A connected client socket that has sent `first` (maybe nothing); the caller destroys it. */
function connectRaw(path: string, first?: Buffer): Promise<{ sock: net.Socket; got: () => Buffer; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection({ path, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    const ended = new Promise<void>((r) => sock.once('end', () => r()));
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.once('error', reject);
    sock.once('connect', () => {
      if (first) sock.write(first);
      resolve({ sock, got: () => Buffer.concat(chunks), ended });
    });
  });
}

async function until(what: string, cond: () => boolean): Promise<void> {
  await pollUntil(cond, { timeoutMs: 10_000, what, intervalMs: 5 });
}

/**
 * Cap 3: two idle clients and one mid-request; a newcomer takes the older idle one's slot, then
 * the newer one's; with every slot mid-request the next newcomer is refused; the busy ones finish.
 */
async function fillTheCap(path: string, control: FakeControl, server: IpcServer, clients: net.Socket[]): Promise<void> {
  const frame = req('a', 'eth0', '225.1.1.1', 'eth1');
  const half = frame.subarray(0, 10);
  const open = async (first?: Buffer) => {
    const c = await connectRaw(path, first);
    clients.push(c.sock);
    return c;
  };
  const state = () => server.connections();
  const older = await open();
  await until('one idle connection', () => state().open === 1);
  const newer = await open();
  await until('two idle connections', () => state().open === 2);
  const busy = await open(half);
  await until('three connections, one busy', () => state().open === 3 && state().idle === 2);

  // A fourth client is served; the older idle one gave it its slot, with a message.
  assert.deepEqual(await talk(path, [req('F')]), OK);
  await older.ended;
  assert.deepEqual(older.got(), text('Too many IPC clients: this idle connection was closed to make room'));
  assert.equal(newer.got().length, 0, 'the newer idle client was left alone');
  assert.deepEqual(
    control.calls.map((c) => c.op),
    ['flush'],
  );

  // The newer idle one is next; then every slot is mid-request and a newcomer is refused.
  await until('the served client gone', () => state().open === 2);
  const busy2 = await open(half);
  await until('three connections, two busy', () => state().open === 3 && state().idle === 1);
  const busy3 = await open(half);
  await newer.ended;
  assert.deepEqual(newer.got(), text('Too many IPC clients: this idle connection was closed to make room'));
  await until('three busy connections', () => state().open === 3 && state().idle === 0);
  assert.deepEqual(await talk(path, [req('H')]), text('Too many IPC clients, try again'));
  assert.equal(
    control.calls.some((c) => c.op === 'reload'),
    false,
    'the refused request was not read',
  );

  // The busy ones were never disturbed: each finishes its request and gets its answer.
  for (const c of [busy, busy2, busy3]) {
    c.sock.write(frame.subarray(10));
    await c.ended;
    assert.deepEqual(c.got(), OK);
  }
  assert.equal(control.calls.filter((c) => c.op === 'addRoute').length, 3);
}

test(
  'at the cap, the connection idle longest makes room; busy ones are kept; a newcomer is refused only when all are busy',
  { timeout: 20_000 },
  async () => {
    const clients: net.Socket[] = [];
    // The clients go before the server closes, which waits for every connection to end.
    await withServer(
      (path, control, server) => fillTheCap(path, control, server, clients).finally(() => clients.forEach((c) => c.destroy())),
      {
        maxConnections: 3,
        idleTimeoutMs: 60_000,
      },
    );
  },
);

test('state-changing commands are logged with the peer uid and pid (SO_PEERCRED); show is not', async () => {
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const rec = (level: string) => (fields: Record<string, unknown>, msg: string) => lines.push({ level, fields, msg });
  const log = { warn: rec('warning'), notice: rec('notice'), info: rec('info'), debug: rec('debug') };
  await withServer(
    async (path, control) => {
      assert.deepEqual(await talk(path, [req('a', 'eth0', '10.0.0.1', '225.1.1.1', 'eth1')]), OK);
      assert.deepEqual(
        await talk(path, [Buffer.concat([req('s'), req('F'), req('j', 'eth0', '225.1.1.2')])]).then((r) => r.at(-1)),
        0,
      );
      control.result = { ok: false, error: 'Unknown inbound interface eth9' };
      await talk(path, [req('r', 'eth9', '225.1.1.1')]);
      await talk(path, [req('k')]);
    },
    { log, peerCredentials },
  );
  // The client is this process: the kernel reports our own ids.
  const me = { uid: process.getuid?.(), pid: process.pid };
  assert.deepEqual(
    lines.filter((l) => l.msg === 'IPC command'),
    [
      { level: 'info', fields: { cmd: 'add eth0 10.0.0.1 225.1.1.1 eth1', ...me }, msg: 'IPC command' },
      { level: 'notice', fields: { cmd: 'flush', ...me }, msg: 'IPC command' },
      { level: 'info', fields: { cmd: 'join eth0 225.1.1.2', ...me }, msg: 'IPC command' },
      { level: 'info', fields: { cmd: 'remove eth9 225.1.1.1', ...me }, msg: 'IPC command' },
      { level: 'notice', fields: { cmd: 'kill', ...me }, msg: 'IPC command' },
    ],
  );
  const failed = lines.find((l) => l.msg === 'IPC request failed');
  assert.deepEqual(failed?.fields, { cmd: 'r', error: 'Unknown inbound interface eth9', ...me });
});

test('peer credentials that cannot be read leave the command logged without them, and served', async () => {
  const lines: { fields: Record<string, unknown>; msg: string }[] = [];
  const rec = (fields: Record<string, unknown>, msg: string) => lines.push({ fields, msg });
  await withServer(
    async (path) => {
      assert.deepEqual(await talk(path, [req('F')]), OK);
    },
    {
      log: { warn: rec, notice: rec, info: rec, debug: rec },
      peerCredentials: () => {
        throw new Error('EBADF');
      },
    },
  );
  assert.deepEqual(
    lines.map((l) => [l.msg, l.fields]),
    [
      ['Cannot read the IPC peer credentials', { err: 'EBADF' }],
      ['IPC command', { cmd: 'flush' }],
    ],
  );
});
