// Golden bytes and stream splitting for the IPC request codec.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRequest, FrameDecoder, FrameError, MAX_FRAME_LEN, type DecodeResult, type Frame } from '../../src/ipc/codec.js';

/** Hex with spaces and newlines allowed, for readable goldens. */
function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

/** ASCII text with \0 for NUL. */
function ascii(s: string): string {
  return Buffer.from(s, 'latin1').toString('hex');
}

function frames(results: DecodeResult[]): Frame[] {
  return results.map((r) => {
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    return r.value;
  });
}

function header(len: number, cmd: string, count: number): string {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(BigInt(len), 0);
  b.writeUInt16LE(cmd.charCodeAt(0), 8);
  b.writeUInt16LE(count, 10);
  return b.toString('hex');
}

// msg.h's examples count lengths with a 32-bit header (4-byte size_t + two u16 = 8);
// on x86_64 the header is 16 bytes (8-byte size_t, two u16, 4 bytes of padding),
// so each example is 8 bytes longer than the figure printed there.
const ADD_EXAMPLE = hex(`
  3200000000000000 6100 0500 00000000
  ${ascii('eth0\0' + '1.1.1.1\0' + '239.1.1.1\0' + 'eth1\0' + 'eth2\0' + '\0')}
`); // 16 + 5 + 8 + 10 + 5 + 5 + 1 = 50 = 0x32 (msg.h: 42)

const DEL_EXAMPLE = hex(`
  2300000000000000 7200 0200 00000000
  ${ascii('1.1.1.1\0' + '239.1.1.1\0' + '\0')}
`); // 16 + 8 + 10 + 1 = 35 = 0x23 (msg.h: 27)

const JOIN_EXAMPLE = hex(`
  2800000000000000 6a00 0300 00000000
  ${ascii('eth0\0' + '1.1.1.1\0' + '239.1.1.1\0' + '\0')}
`); // 16 + 5 + 8 + 10 + 1 = 40 = 0x28 (msg.h: 32)

test('encodes the msg.h examples byte for byte', () => {
  assert.deepEqual(encodeRequest('a', ['eth0', '1.1.1.1', '239.1.1.1', 'eth1', 'eth2']), ADD_EXAMPLE);
  assert.deepEqual(encodeRequest('r', ['1.1.1.1', '239.1.1.1']), DEL_EXAMPLE);
  assert.deepEqual(encodeRequest('j', ['eth0', '1.1.1.1', '239.1.1.1']), JOIN_EXAMPLE);
});

test('encodes a command without arguments as header plus one NUL', () => {
  assert.deepEqual(encodeRequest('s', []), hex(`1100000000000000 7300 0000 00000000 00`));
  assert.deepEqual(encodeRequest('S', ['groups']), hex(`${header(24, 'S', 1)} ${ascii('groups\0\0')}`));
});

test('encodes empty arguments as bare NULs', () => {
  assert.deepEqual(encodeRequest('s', ['']), hex(`${header(18, 's', 1)} 0000`));
});

test('refuses frames over 1024 bytes, accepts exactly 1024', () => {
  // 16 header + (1006 + 1) + 1 final NUL = 1024
  assert.equal(encodeRequest('a', ['x'.repeat(1006)]).length, MAX_FRAME_LEN);
  assert.throws(
    () => encodeRequest('a', ['x'.repeat(1007)]),
    (e: unknown) => e instanceof FrameError && e.code === 'EMSGSIZE',
  );
  // Many short arguments count their terminators too.
  assert.throws(
    () => encodeRequest('a', new Array<string>(400).fill('ab')),
    (e: unknown) => e instanceof FrameError && e.code === 'EMSGSIZE',
  );
});

test('refuses what cannot be encoded', () => {
  assert.throws(
    () => encodeRequest('ab', []),
    (e: unknown) => e instanceof FrameError && e.code === 'EINVAL',
  );
  assert.throws(
    () => encodeRequest('', []),
    (e: unknown) => e instanceof FrameError && e.code === 'EINVAL',
  );
  assert.throws(
    () => encodeRequest('é', []),
    (e: unknown) => e instanceof FrameError && e.code === 'EINVAL',
  );
  assert.throws(
    () => encodeRequest('a', ['et\0h0']),
    (e: unknown) => e instanceof FrameError && e.code === 'EINVAL',
  );
});

test('decodes the msg.h examples', () => {
  const d = new FrameDecoder();
  assert.deepEqual(frames(d.push(ADD_EXAMPLE)), [
    { cmd: 'a', code: 0x61, args: ['eth0', '1.1.1.1', '239.1.1.1', 'eth1', 'eth2'] },
  ]);
  assert.deepEqual(frames(d.push(DEL_EXAMPLE)), [{ cmd: 'r', code: 0x72, args: ['1.1.1.1', '239.1.1.1'] }]);
  assert.deepEqual(frames(d.push(JOIN_EXAMPLE)), [{ cmd: 'j', code: 0x6a, args: ['eth0', '1.1.1.1', '239.1.1.1'] }]);
  assert.equal(d.buffered, 0);
});

test('decodes a frame split in two at every possible point', () => {
  for (let at = 0; at <= ADD_EXAMPLE.length; at++) {
    const d = new FrameDecoder();
    const first = frames(d.push(ADD_EXAMPLE.subarray(0, at)));
    const second = frames(d.push(ADD_EXAMPLE.subarray(at)));
    const all = [...first, ...second];
    assert.equal(all.length, 1, `split at ${at}`);
    assert.deepEqual(all[0]!.args, ['eth0', '1.1.1.1', '239.1.1.1', 'eth1', 'eth2'], `split at ${at}`);
    // Nothing comes out before the last byte is in.
    if (at < ADD_EXAMPLE.length) assert.equal(first.length, 0, `split at ${at}`);
    assert.equal(d.buffered, 0);
  }
});

test('decodes a frame fed one byte at a time', () => {
  const d = new FrameDecoder();
  const out: Frame[] = [];
  for (const byte of JOIN_EXAMPLE) out.push(...frames(d.push(Buffer.from([byte]))));
  assert.deepEqual(out, [{ cmd: 'j', code: 0x6a, args: ['eth0', '1.1.1.1', '239.1.1.1'] }]);
});

test('decodes several frames in one chunk, and split at every point', () => {
  const stream = Buffer.concat([ADD_EXAMPLE, encodeRequest('s', []), DEL_EXAMPLE, encodeRequest('J', ['interfaces'])]);
  const want = ['a', 's', 'r', 'J'];
  assert.deepEqual(
    frames(new FrameDecoder().push(stream)).map((f) => f.cmd),
    want,
  );
  for (let at = 0; at <= stream.length; at++) {
    const d = new FrameDecoder();
    const got = [...frames(d.push(stream.subarray(0, at))), ...frames(d.push(stream.subarray(at)))];
    assert.deepEqual(
      got.map((f) => f.cmd),
      want,
      `split at ${at}`,
    );
    assert.deepEqual(got[3]!.args, ['interfaces']);
  }
});

test('round-trips UTF-8 arguments and the maximum argument count', () => {
  const args = ['wlän0', ...Array.from({ length: 34 }, (_, i) => `e${i}`)];
  const [r] = new FrameDecoder().push(encodeRequest('a', args));
  assert.ok(r?.ok);
  assert.deepEqual(r.value.args, args);
});

test('keeps a command code above 0xff distinct from its low byte', () => {
  const buf = encodeRequest('a', ['x']);
  buf.writeUInt16LE(0x161, 8);
  const [r] = new FrameDecoder().push(buf);
  assert.ok(r?.ok);
  assert.equal(r.value.code, 0x161);
  assert.notEqual(r.value.cmd, 'a');
});

test('ignores bytes between the last argument and the declared end, as upstream does', () => {
  const buf = Buffer.concat([hex(header(24, 'j', 2)), Buffer.from('e0\0g\0\0\0\0', 'latin1')]);
  const d = new FrameDecoder();
  assert.deepEqual(
    frames(d.push(Buffer.concat([buf, encodeRequest('k', [])]))).map((f) => [f.cmd, f.args]),
    [
      ['j', ['e0', 'g']],
      ['k', []],
    ],
  );
});

function expectError(chunks: Buffer[], code: string): FrameDecoder {
  const d = new FrameDecoder();
  const results = chunks.flatMap((c) => d.push(c));
  const errors = results.filter((r) => !r.ok);
  assert.equal(errors.length, 1, `one error expected, got ${JSON.stringify(results)}`);
  const e = errors[0]!;
  assert.ok(!e.ok);
  assert.equal(e.error.code, code);
  assert.ok(e.error.message.length > 0);
  assert.ok(d.broken);
  return d;
}

test('refuses a declared length below the header size', () => {
  for (const len of [0, 1, 15]) expectError([hex(header(len, 's', 0))], 'SHORT_FRAME');
});

test('refuses a declared length above 1024 as soon as the header is in', () => {
  // Only the header arrives: waiting for 1025 bytes would stall the client.
  expectError([hex(header(1025, 'a', 1))], 'LONG_FRAME');
  const huge = Buffer.alloc(16);
  huge.writeBigUInt64LE(0xffffffffffffffffn, 0);
  expectError([huge], 'LONG_FRAME');
});

test('refuses more than 35 arguments', () => {
  const ok = encodeRequest(
    'a',
    Array.from({ length: 35 }, () => 'x'),
  );
  assert.ok(new FrameDecoder().push(ok)[0]?.ok);
  const bad = encodeRequest(
    'a',
    Array.from({ length: 36 }, () => 'x'),
  );
  expectError([bad.subarray(0, 16)], 'TOO_MANY_ARGS');
});

test('refuses arguments that run past the declared length', () => {
  // count says 4; "e0", "g" and the closing NUL (read as an empty third string) fill the frame
  expectError([hex(`${header(22, 'a', 4)} ${ascii('e0\0g\0\0')}`)], 'ARG_OVERRUN');
  // last string not terminated inside the frame, although a NUL follows in the next frame
  const unterminated = hex(`${header(19, 'j', 1)} ${ascii('abc')}`);
  expectError([Buffer.concat([unterminated, encodeRequest('s', [])])], 'ARG_OVERRUN');
});

test('a malformed frame ends decoding; frames before it are still delivered', () => {
  const d = new FrameDecoder();
  const results = d.push(Buffer.concat([encodeRequest('F', []), hex(header(3, 's', 0)), encodeRequest('k', [])]));
  assert.equal(results.length, 2);
  assert.ok(results[0]!.ok && results[0]!.value.cmd === 'F');
  assert.ok(!results[1]!.ok);
  assert.deepEqual(d.push(encodeRequest('k', [])), []);
  assert.equal(d.buffered, 0);
});

test('end() reports an incomplete frame, and nothing when the stream ended cleanly', () => {
  const d = new FrameDecoder();
  d.push(ADD_EXAMPLE.subarray(0, 20));
  assert.equal(d.buffered, 20);
  const [r] = d.end();
  assert.ok(r && !r.ok && r.error.code === 'TRUNCATED');

  const clean = new FrameDecoder();
  clean.push(ADD_EXAMPLE);
  assert.deepEqual(clean.end(), []);
});
