// Property tests (fast-check, fixed seeds) of the IPC request path: the frame decoder under any
// chunking and any bytes, and the command handler with a fake Control and with the real Daemon
// on the fake kernel. Properties: nothing throws, errors name the argument, the daemon's account
// of the kernel is the kernel's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeRequest, FrameDecoder, HEADER_LEN, MAX_ARGS, MAX_FRAME_LEN, type DecodeResult } from '../../src/ipc/codec.js';
import { dispatch, malformedMessage } from '../../src/ipc/dispatch.js';
import type { Frame } from '../../src/ipc/codec.js';
import { FakeControl } from '../lib/fake-control.js';
import { fakeKernelMfc, fakeMemberships, shownKernel, shownMemberships, startFakeDaemon, CONF_FILE } from '../lib/fake-daemon.js';
import { fuzz, fuzzAsync } from '../lib/fuzz.js';
import { fakeLinks } from '../lib/fixtures.js';
import { fail, ok, type Result } from '../../src/result.js';

// ---- the frame decoder ----

/** A string that survives UTF-8 and has no NUL, as an argument must. */
const argText = fc
  .string({ unit: 'binary', maxLength: 40 })
  .filter((s) => !s.includes('\0') && Buffer.from(s, 'utf8').toString('utf8') === s);
const validFrame = fc
  .record({
    cmd: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    args: fc.array(argText, { maxLength: MAX_ARGS }),
  })
  .filter(({ args }) => HEADER_LEN + args.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0) + 1 <= MAX_FRAME_LEN);

/** Splits `bytes` at the given cut points (taken modulo its length). */
function chunk(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of at) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  out.push(bytes.subarray(from));
  return out;
}

const plain = (r: DecodeResult) =>
  r.ok ? { cmd: r.value.cmd, code: r.value.code, args: r.value.args } : { error: r.error.code, message: r.error.message };

/** Decodes the chunks in turn, checking the decoder's own bounds after each. */
function decodeAll(chunks: readonly Buffer[]): ReturnType<typeof plain>[] {
  const dec = new FrameDecoder();
  const out: DecodeResult[] = [];
  for (const c of chunks) {
    out.push(...dec.push(c));
    // Never more than one incomplete frame is held, and a frame is at most MAX_FRAME_LEN.
    assert.ok(dec.buffered < MAX_FRAME_LEN, `${dec.buffered} bytes buffered`);
  }
  out.push(...dec.end());
  const firstError = out.findIndex((r) => !r.ok);
  assert.ok(firstError < 0 || firstError === out.length - 1, 'nothing after the first error');
  return out.map(plain);
}

test('fuzz: frames split at any points decode to what was encoded', () => {
  fuzz(
    fc.property(fc.array(validFrame, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), (frames, cuts) => {
      const bytes = Buffer.concat(frames.map((f) => encodeRequest(f.cmd, f.args)));
      const got = decodeAll(chunk(bytes, cuts));
      assert.deepEqual(
        got,
        frames.map((f) => ({ cmd: f.cmd, code: f.cmd.charCodeAt(0), args: f.args })),
      );
    }),
    { seed: 0x1c0de1, runs: 1000 },
  );
});

/** A header with any length, code and count: most are malformed in some way. */
const anyHeader = fc
  .record({
    len: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 1100n })),
    code: fc.nat(0xffff),
    count: fc.oneof(fc.nat(0xffff), fc.nat(40)),
  })
  .map(({ len, code, count }) => {
    const b = Buffer.alloc(HEADER_LEN);
    b.writeBigUInt64LE(len, 0);
    b.writeUInt16LE(code, 8);
    b.writeUInt16LE(count, 10);
    return b;
  });
const piece = fc.oneof(
  validFrame.map((f) => encodeRequest(f.cmd, f.args)),
  fc.tuple(anyHeader, fc.uint8Array({ maxLength: 200 })).map(([h, body]) => Buffer.concat([h, body])),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  // A valid frame with one byte changed.
  fc.tuple(validFrame, fc.nat(), fc.nat(255)).map(([f, at, v]) => {
    const b = Buffer.from(encodeRequest(f.cmd, f.args));
    b[at % b.length] = v;
    return b;
  }),
);

test('fuzz: any bytes, any chunking: the decoder never throws, bounds its buffer and answers the same however the bytes arrive', () => {
  fuzz(
    fc.property(fc.array(piece, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 30 }), (pieces, cuts) => {
      const bytes = Buffer.concat(pieces);
      const whole = decodeAll([bytes]);
      assert.deepEqual(decodeAll(chunk(bytes, cuts)), whole);
      assert.deepEqual(decodeAll([...bytes].map((b) => Buffer.from([b]))), whole);
    }),
    { seed: 0x1c0de2, runs: 1000 },
  );
});

// ---- the command handler ----

const IFACES = ['eth0', 'eth1', 'eth2', 'eth3', 'eth9', 'eth+', 'lo', ''];
const ADDRS = [
  '225.1.2.3',
  '225.1.2.0/24',
  '225.0.0.0/8',
  '232.1.1.1',
  '10.0.0.1',
  '10.0.0.0/24',
  '0.0.0.0',
  'ff3e::1',
  'fd00::1',
  '::',
  '1.2.3',
  '300.1.1.1',
  '225.1.2.3/40',
  '',
];
const wordArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...IFACES) },
  { weight: 3, arbitrary: fc.constantFrom(...ADDRS) },
  { weight: 1, arbitrary: fc.constantFrom('routes', 'groups', 'interfaces', 'pending', 'x') },
  { weight: 1, arbitrary: argText },
);
const COMMANDS = ['a', 'r', 'j', 'l', 's', 'S', 'J', 'F', 'H', 'k'];
const requestArb = fc.record({
  code: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...COMMANDS).map((c) => c.charCodeAt(0)) },
    { weight: 1, arbitrary: fc.nat(0xffff) },
  ),
  args: fc.array(wordArb, { maxLength: 8 }),
});
const frameOf = (r: { code: number; args: string[] }): Frame => ({
  cmd: String.fromCharCode(r.code),
  code: r.code,
  args: r.args,
});

/** The address part of "ADDR[/LEN]". */
const addrPart = (w: string) => w.split('/')[0] ?? w;

/**
 * Reply bytes are text then NUL, or the error then NUL; an error about an argument names it.
 */
function checkReply(frame: Frame, bytes: Buffer, result: Result): void {
  assert.equal(bytes.at(-1), 0, 'ends with NUL');
  if (result.ok) return;
  const message = bytes.subarray(0, -1).toString('utf8');
  assert.ok(!bytes.subarray(0, -1).includes(0), 'one NUL, at the end');
  assert.ok(message.length > 0);
  assert.doesNotMatch(message, /^Internal error/);
  if (!'arjl'.includes(frame.cmd) || message === malformedMessage(frame.code)) return;
  const named = frame.args.some((a) => a !== '' && message.includes(addrPart(a)));
  // An empty word cannot be quoted: the message says which one, or quotes it as nothing.
  const empty = frame.args.includes('') && (/empty interface name|""/.test(message) || message.endsWith(': '));
  assert.ok(named || empty, `${JSON.stringify(frame.args)}: ${message}`);
}

test('fuzz: the command handler with a fake Control: never throws, replies end in NUL, refusals name the argument', async () => {
  await fuzzAsync(
    fc.asyncProperty(requestArb, fc.constantFrom('ok', 'fails', 'throws'), async (req, mode) => {
      const control = new FakeControl();
      if (mode === 'fails') control.result = fail('refused by the fake');
      if (mode === 'throws') control.throws = new Error('boom');
      const frame = frameOf(req);
      const reply = await dispatch(frame, control);
      assert.equal(reply.bytes.at(-1), 0);
      if (mode === 'throws' && control.calls.length > 0) {
        assert.equal(reply.result.ok, false);
        assert.match(reply.bytes.toString(), /^Internal error: boom\0$/);
      } else if (mode !== 'fails' || control.calls.length === 0) checkReply(frame, reply.bytes, reply.result);
    }),
    { seed: 0x1c0de3, runs: 2000 },
  );
});

const CONFIGS = [
  '',
  'mroute from eth0 group 225.1.2.0/24 to eth1 eth2\nmgroup from eth1 group 225.7.7.7\n',
  'phyint eth3 disable\nmroute from eth0 source 10.0.0.1 group 225.1.2.3 to eth1 eth3\n',
  'mroute from eth0 group 225.1.2.3 to eth1\nbogus line\n',
  'include /etc/missing/*.conf\nmgroup from eth9 group 225.9.9.9\n',
];

test('fuzz: the command handler on the real Daemon and the fake kernel: no internal errors, and show tells the truth about the kernel', async () => {
  await fuzzAsync(
    fc.asyncProperty(
      fc.nat(CONFIGS.length - 1),
      fc.array(
        fc.oneof(
          { weight: 8, arbitrary: requestArb.filter((r) => r.code !== 0x6b) },
          { weight: 1, arbitrary: fc.nat(CONFIGS.length - 1) },
        ),
        { maxLength: 30, size: 'medium' },
      ),
      async (first, steps) => {
        const d = await startFakeDaemon(CONFIGS[first] ?? '', fakeLinks(4));
        try {
          for (const step of steps) {
            if (typeof step === 'number') {
              d.files.set(CONF_FILE, CONFIGS[step] ?? '');
              continue;
            }
            const frame = frameOf(step);
            const reply = await dispatch(frame, d.daemon);
            checkReply(frame, reply.bytes, reply.result);
            assert.deepEqual(shownKernel(d.daemon), fakeKernelMfc(d.fake));
            assert.deepEqual(shownMemberships(d.daemon), fakeMemberships(d.ns));
          }
          // Still serving: a plain add works and shows.
          assert.deepEqual(d.send('a', ['eth0', '10.9.9.9', '239.255.9.9', 'eth1']).result, ok());
          // A template added on the way may cover it too and add its own outbound interfaces.
          assert.ok(shownKernel(d.daemon).some((l) => /^10\.9\.9\.9,239\.255\.9\.9 eth0 > .*\beth1\b/.test(l)));
          assert.ok(!d.log.lines.some((l) => / failed: /.test(l)), 'no event hit the error guard');
        } finally {
          await d.stop();
        }
      },
    ),
    { seed: 0x1c0de4, runs: 300 },
  );
});
