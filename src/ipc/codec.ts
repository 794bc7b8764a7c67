// The smcroute IPC request frame, byte-exact with upstream (x86_64 layout):
// encoding for the client, a streaming decoder for the server. Pure; no I/O.

import { fail, ok, type Result } from '../result.js';

/** u64 len, u16 cmd, u16 count, 4 bytes of padding (the C struct's alignment). */
export const HEADER_LEN = 16;
/** Upstream's client refuses anything larger; its server buffer is this size. */
export const MAX_FRAME_LEN = 1024;
/** 32 outbound interfaces plus inbound interface, source and group. */
export const MAX_ARGS = 35;

export type FrameErrorCode =
  | 'EMSGSIZE' // request too large to encode
  | 'EINVAL' // not encodable: bad command letter or NUL inside an argument
  | 'SHORT_FRAME' // declared length below the header size
  | 'LONG_FRAME' // declared length above MAX_FRAME_LEN
  | 'TOO_MANY_ARGS'
  | 'ARG_OVERRUN' // an argument runs past the declared length
  | 'TRUNCATED'; // the peer stopped in the middle of a frame

export class FrameError extends Error {
  readonly code: FrameErrorCode;

  constructor(code: FrameErrorCode, message: string) {
    super(message);
    this.name = 'FrameError';
    this.code = code;
  }
}

export interface Frame {
  /** The command letter ('a', 's', ...); for a non-ASCII code, its UTF-16 character. */
  readonly cmd: string;
  /** The raw u16 command code from the wire. */
  readonly code: number;
  readonly args: readonly string[];
}

export type DecodeResult = Result<Frame, FrameError>;

/** Builds one request frame; throws FrameError when it cannot be sent. */
export function encodeRequest(cmd: string, args: readonly string[]): Buffer {
  if (cmd.length !== 1 || cmd.charCodeAt(0) > 0x7f) {
    throw new FrameError('EINVAL', `IPC command must be one ASCII letter, got ${JSON.stringify(cmd)}`);
  }
  const encoded = args.map((a) => Buffer.from(a, 'utf8'));
  for (const e of encoded) {
    if (e.includes(0)) throw new FrameError('EINVAL', 'IPC argument contains a NUL byte');
  }
  const len = HEADER_LEN + encoded.reduce((n, e) => n + e.length + 1, 0) + 1;
  if (len > MAX_FRAME_LEN) throw new FrameError('EMSGSIZE', 'Message too long');
  if (args.length > 0xffff) throw new FrameError('EMSGSIZE', 'Message too long');

  const buf = Buffer.alloc(len); // zero-filled: padding, terminators and the final NUL
  buf.writeBigUInt64LE(BigInt(len), 0);
  buf.writeUInt16LE(cmd.charCodeAt(0), 8);
  buf.writeUInt16LE(args.length, 10);
  let pos = HEADER_LEN;
  for (const e of encoded) {
    e.copy(buf, pos);
    pos += e.length + 1;
  }
  return buf;
}

/**
 * Splits a byte stream into frames. Accepts chunks of any size and any number
 * of frames per chunk. After the first malformed frame the stream cannot be
 * resynchronised, so the decoder stops and reports that error once.
 */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private failed = false;

  /** Bytes received but not yet part of a complete frame. */
  get buffered(): number {
    return this.buf.length;
  }

  /** True once a malformed frame was seen; further input is ignored. */
  get broken(): boolean {
    return this.failed;
  }

  push(chunk: Uint8Array): DecodeResult[] {
    if (this.failed) return [];
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const out: DecodeResult[] = [];
    let pos = 0;
    while (this.buf.length - pos >= HEADER_LEN) {
      const header = checkHeader(this.buf, pos);
      if (header instanceof FrameError) return this.fail(out, header);
      if (this.buf.length - pos < header.len) break; // wait for the rest
      const frame = parseFrame(this.buf.subarray(pos, pos + header.len), header);
      if (frame instanceof FrameError) return this.fail(out, frame);
      out.push(ok(frame));
      pos += header.len;
    }
    this.buf = pos === 0 ? this.buf : Buffer.from(this.buf.subarray(pos));
    return out;
  }

  /** Call at end of stream: reports a frame left incomplete, if any. */
  end(): DecodeResult[] {
    if (this.failed || this.buf.length === 0) return [];
    const error = new FrameError('TRUNCATED', `Incomplete IPC message, ${this.buf.length} bytes`);
    return this.fail([], error);
  }

  private fail(out: DecodeResult[], error: FrameError): DecodeResult[] {
    this.failed = true;
    this.buf = Buffer.alloc(0);
    out.push(fail(error));
    return out;
  }
}

interface Header {
  readonly len: number;
  readonly code: number;
  readonly count: number;
}

// Checked as soon as 16 bytes are in, so a bogus length is refused at once
// instead of waiting for bytes that will never come.
function checkHeader(buf: Buffer, pos: number): Header | FrameError {
  const len64 = buf.readBigUInt64LE(pos);
  const code = buf.readUInt16LE(pos + 8);
  const count = buf.readUInt16LE(pos + 10);
  if (len64 < BigInt(HEADER_LEN)) {
    return new FrameError('SHORT_FRAME', `Malformed IPC message: length ${len64} below ${HEADER_LEN}`);
  }
  if (len64 > BigInt(MAX_FRAME_LEN)) {
    return new FrameError('LONG_FRAME', `Too large IPC message: length ${len64} above ${MAX_FRAME_LEN}`);
  }
  if (count > MAX_ARGS) {
    return new FrameError('TOO_MANY_ARGS', `Malformed IPC message: ${count} arguments, at most ${MAX_ARGS}`);
  }
  return { len: Number(len64), code, count };
}

function parseFrame(frame: Buffer, h: Header): Frame | FrameError {
  const args: string[] = [];
  let pos = HEADER_LEN;
  for (let i = 0; i < h.count; i++) {
    const nul = pos < frame.length ? frame.indexOf(0, pos) : -1;
    if (nul < 0) {
      return new FrameError('ARG_OVERRUN', `Malformed IPC message: argument ${i + 1} of ${h.count} runs past length ${h.len}`);
    }
    args.push(frame.toString('utf8', pos, nul));
    pos = nul + 1;
  }
  // Bytes after the last argument (normally the one closing NUL) are ignored, as upstream does.
  return { cmd: String.fromCharCode(h.code), code: h.code, args };
}
