// The client side of the IPC protocol: connect (retrying while the daemon
// starts), send one request, read the reply to EOF. Prints nothing itself;
// failures carry upstream's exact warning lines for the CLI to print.

import net from 'node:net';
import { strerror } from '../errors.js';
import { encodeRequest, FrameError } from './codec.js';

export interface IpcTarget {
  readonly path: string;
  /** True when the path was given with -u: upstream then gives different advice on ENOENT. */
  readonly explicitPath: boolean;
  /**
   * Connection attempts while the socket is missing or refuses: the daemon
   * may still be starting (just after `systemctl start`). Default 30, with
   * retryDelayMs (default 100) between them: about 3 s before giving up.
   */
  readonly attempts?: number;
  readonly retryDelayMs?: number;
  /**
   * Give up on a daemon that sends nothing for this long once connected (default 10 s). Silence,
   * not the whole reply, is timed: a large `show` keeps arriving and is never cut off.
   */
  readonly replyTimeoutMs?: number;
}

const REPLY_TIMEOUT_MS = 10_000;

/** A request that never got an answer; `lines` are the messages to print, in order. */
export class IpcClientError extends Error {
  readonly code: string;
  readonly lines: readonly string[];

  constructor(code: string, lines: readonly string[]) {
    super(lines.join('; '));
    this.name = 'IpcClientError';
    this.code = code;
    this.lines = lines;
  }
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Where a reply is read to: the socket reads straight into one growing buffer, so the reply is
 * never copied chunk by chunk into a whole (a 10,000-route `show` is about a megabyte).
 */
class ReplyBuffer {
  private buf = Buffer.allocUnsafe(1 << 20);
  private length = 0;

  /**
   * The free space the next read lands in, grown by doubling once under a page: a reply that
   * nearly fills the buffer is not copied into a bigger one just for the read that finds its end.
   */
  space(): Buffer {
    if (this.buf.length - this.length < 4096) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.length);
      this.buf = bigger;
    }
    return this.buf.subarray(this.length);
  }

  received(n: number): void {
    this.length += n;
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/**
 * Connects and sends `frame`; with `reply`, the socket reads into it and emits no 'data' events.
 * The frame is queued as the socket is made, so it goes out the moment the connection is up, in
 * the same turn of the event loop: the daemon starts on it about a millisecond sooner than if it
 * were written once 'connect' had been seen. Resolves once it is sent.
 */
function connectOnce(path: string, frame: Buffer, reply?: ReplyBuffer): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const onread = reply && {
      buffer: () => reply.space(),
      callback: (n: number) => {
        reply.received(n);
        return true;
      },
    };
    const sock = net.createConnection(onread ? { path, onread } : { path });
    let connected = false;
    sock.once('connect', () => {
      connected = true;
    });
    const onError = (err: Error) => {
      sock.destroy();
      // Once connected, the daemon is there: a failure to send is not retried.
      reject(connected ? sendFailure(err) : err);
    };
    sock.once('error', onError);
    sock.write(frame, (err) => {
      if (err) return; // reported by 'error'
      sock.off('error', onError);
      resolve(sock);
    });
  });
}

async function connect(target: IpcTarget, frame: Buffer, reply?: ReplyBuffer): Promise<net.Socket> {
  let attempts = target.attempts ?? 30;
  for (;;) {
    try {
      return await connectOnce(target.path, frame, reply);
    } catch (err) {
      if (err instanceof IpcClientError) throw err;
      const code = errCode(err);
      // Upstream retries only a refusal; a socket not there yet is the same
      // daemon a moment earlier in its start-up, so it gets the same wait.
      if ((code === 'ECONNREFUSED' || code === 'ENOENT') && --attempts > 0) {
        await new Promise((r) => setTimeout(r, target.retryDelayMs ?? 100));
        continue;
      }
      throw connectFailure(target, code);
    }
  }
}

function connectFailure(target: IpcTarget, code: string | undefined): IpcClientError {
  const failed = `Failed connecting to daemon: ${strerror(code)}`;
  switch (code) {
    case 'EACCES':
      return new IpcClientError(code, ['Need root privileges to connect to daemon']);
    case 'ECONNREFUSED':
      return new IpcClientError(code, ['Daemon not running']);
    case 'ENOENT': {
      const advice = target.explicitPath ? failed : 'Daemon may be running with another -i NAME';
      return new IpcClientError(code, [`Cannot find IPC socket ${target.path}`, advice]);
    }
    default:
      return new IpcClientError(code ?? 'EIO', [failed]);
  }
}

function sendFailure(err: unknown): IpcClientError {
  return new IpcClientError(errCode(err) ?? 'EIO', [`Communication with daemon failed: ${strerror(errCode(err))}`]);
}

/** What the client says of a daemon silent for `ms`. */
function noReply(ms: number): string {
  const duration = ms % 1000 === 0 ? `${ms / 1000} seconds` : `${ms} ms`;
  return `No reply from daemon for ${duration}, giving up`;
}

/** Collects everything the daemon sends, on a connection its request went out on, until it closes. */
function collect(sock: net.Socket, reply: ReplyBuffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      resolve(reply.bytes());
    };
    sock.on('end', done);
    sock.on('close', done);
    // A reset while reading ends the reply, as read() failing does for upstream's client.
    sock.on('error', () => {
      sock.destroy();
      done();
    });
    // A stuck daemon (or one stopped with SIGSTOP) would otherwise hold the client forever.
    sock.setTimeout(timeoutMs, () => {
      sock.destroy();
      if (settled) return;
      settled = true;
      reject(new IpcClientError('ETIMEDOUT', [noReply(timeoutMs)]));
    });
  });
}

/** Whether the request encodes into one frame (upstream's limit). */
export function fitsOneFrame(cmd: string, args: readonly string[]): boolean {
  try {
    encodeRequest(cmd, args);
    return true;
  } catch (err) {
    if (err instanceof FrameError) return false;
    throw err;
  }
}

/**
 * One request/reply round trip. The reply is raw bytes: show text (if any),
 * then NUL on success or an error message and NUL on failure. `onSent` runs
 * once the request is on its way: work done there overlaps the daemon's.
 */
export async function ipcRequest(target: IpcTarget, cmd: string, args: readonly string[], onSent?: () => void): Promise<Buffer> {
  let frame: Buffer;
  try {
    frame = encodeRequest(cmd, args);
  } catch (err) {
    if (!(err instanceof FrameError)) throw err;
    const reason = err.code === 'EMSGSIZE' ? strerror('EMSGSIZE') : err.message;
    throw new IpcClientError(err.code, [`Failed constructing IPC command: ${reason}`]);
  }
  const reply = new ReplyBuffer();
  const sock = await connect(target, frame, reply);
  onSent?.();
  return collect(sock, reply, target.replyTimeoutMs ?? REPLY_TIMEOUT_MS);
}

/**
 * Several requests over one connection, back to back: upstream's server, and
 * ours, read them in turn and answer each, every reply ending in its NUL.
 * Returns the replies in order, fewer than asked when the daemon closed first
 * (it answers what it has read, then closes) or the connection failed; the
 * caller sends the rest again. One connection attempt, no waiting: a caller
 * that gets nothing falls back to one request at a time, with its retries.
 */
export async function ipcPipeline(
  target: IpcTarget,
  reqs: readonly { cmd: string; args: readonly string[] }[],
): Promise<Buffer[]> {
  const frames = reqs.map((r) => encodeRequest(r.cmd, r.args));
  const reply = new ReplyBuffer();
  const sock = await connect({ ...target, attempts: 1 }, Buffer.concat(frames), reply);
  const all = await collect(sock, reply, target.replyTimeoutMs ?? REPLY_TIMEOUT_MS);
  const replies: Buffer[] = [];
  let pos = 0;
  for (let nul = all.indexOf(0); nul >= 0 && replies.length < reqs.length; nul = all.indexOf(0, pos)) {
    replies.push(all.subarray(pos, nul + 1));
    pos = nul + 1;
  }
  // A reply cut short still answers its request, as it would on a connection of its own.
  if (pos < all.length && replies.length < reqs.length) replies.push(all.subarray(pos));
  return replies;
}

/** How a stream of lines ended. */
export type StreamEnd =
  /** The client closed it (Ctrl-C). */
  | { readonly by: 'client' }
  /** The daemon ended it with its status: '' when it is exiting, else an error message. */
  | { readonly by: 'daemon'; readonly status: string }
  /** The connection went without the daemon's status: it died or was killed. */
  | { readonly by: 'lost' };

export interface IpcStream {
  readonly ended: Promise<StreamEnd>;
  close(): void;
}

/**
 * A request whose reply is a stream of lines (`monitor`): `onLines` gets whole lines as they
 * come, for as long as the daemon sends them. A NUL ends the stream, as it ends every reply;
 * the text before it on its line is the daemon's status, which is how a daemon that does not
 * know the command answers. Only the first reply is timed: a quiet router is no stuck daemon.
 */
export async function ipcStream(target: IpcTarget, cmd: string, onLines: (data: Buffer) => void): Promise<IpcStream> {
  const frame = encodeRequest(cmd, []);
  const sock = await connect(target, frame);
  let finish!: (end: StreamEnd) => void;
  let settled = false;
  const ended = new Promise<StreamEnd>((resolve) => {
    finish = (end) => {
      if (settled) return;
      settled = true;
      sock.destroy();
      resolve(end);
    };
  });
  let tail = Buffer.alloc(0);
  const timeoutMs = target.replyTimeoutMs ?? REPLY_TIMEOUT_MS;
  sock.setTimeout(timeoutMs, () => finish({ by: 'daemon', status: noReply(timeoutMs) }));
  sock.on('data', (chunk: Buffer) => {
    sock.setTimeout(0);
    const data = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
    const nul = data.indexOf(0);
    const upTo = nul < 0 ? data.length : nul;
    const lastNl = data.lastIndexOf(0x0a, upTo - 1);
    if (lastNl >= 0) onLines(data.subarray(0, lastNl + 1));
    if (nul >= 0) return finish({ by: 'daemon', status: data.subarray(lastNl + 1, nul).toString('utf8') });
    tail = Buffer.from(data.subarray(lastNl + 1));
  });
  sock.on('end', () => finish({ by: 'lost' }));
  sock.on('close', () => finish({ by: 'lost' }));
  sock.on('error', () => finish({ by: 'lost' }));
  return { ended, close: () => finish({ by: 'client' }) };
}
