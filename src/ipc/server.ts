// The daemon's IPC endpoint: a Unix stream socket, root-only or opened to one group,
// that decodes request frames and answers them through Control. Owns sockets only; no daemon state.

import { chmodSync, chownSync, lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { FrameDecoder, type Frame, type FrameError } from './codec.js';
import type { Control } from './control.js';
import { dispatch, errorReply } from './dispatch.js';

export interface IpcLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
  debug(obj: Record<string, unknown>, msg: string): void;
}

export interface IpcServerOptions {
  /** Connections served at once; further ones are refused. Default 256. */
  readonly maxConnections?: number;
  /** A connection idle this long (e.g. stuck mid-frame, or not reading) is dropped. Default 5000. */
  readonly idleTimeoutMs?: number;
  /** Stop processing a connection's requests while this many reply bytes wait to be sent. Default 1 MiB. */
  readonly maxPendingOutput?: number;
  /** Members of this group may connect too (mode 0660); without it only root can (0600). */
  readonly group?: number;
  readonly log?: IpcLogger;
}

export interface IpcServer {
  readonly path: string;
  /** Stops accepting, lets open connections finish their replies, removes the socket file. */
  close(): Promise<void>;
}

const silent: IpcLogger = { warn() {}, debug() {} };

/** Removes a socket left by an earlier run; refuses to delete anything that is not a socket. */
function removeStaleSocket(path: string): void {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!isSocket) throw new Error(`Refusing to replace ${path}: not a socket`);
  unlinkSync(path);
}

/**
 * Binds with a umask that leaves no window where others could connect; the group is set
 * before its members get access, so no other group ever has it either.
 */
function listenPrivately(server: net.Server, path: string, group: number | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      try {
        if (group === undefined) {
          chmodSync(path, 0o600);
        } else {
          chownSync(path, -1, group);
          chmodSync(path, 0o660);
        }
      } catch (err) {
        server.close();
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    const saved = process.umask(0o077);
    try {
      server.listen(path);
    } finally {
      process.umask(saved);
    }
  });
}

export async function startIpcServer(path: string, control: Control, opts: IpcServerOptions = {}): Promise<IpcServer> {
  const log = opts.log ?? silent;
  const idleTimeoutMs = opts.idleTimeoutMs ?? 5000;
  const maxPendingOutput = opts.maxPendingOutput ?? 1 << 20;

  removeStaleSocket(path);
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    serveConnection(socket, control, { idleTimeoutMs, maxPendingOutput, log });
  });
  server.maxConnections = opts.maxConnections ?? 256;
  server.on('drop', () => log.warn({ path }, 'IPC connection refused: too many clients'));
  await listenPrivately(server, path, opts.group);
  server.on('error', (err) => log.warn({ err, path }, 'IPC server error'));

  return {
    path,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface ConnOptions {
  readonly idleTimeoutMs: number;
  readonly maxPendingOutput: number;
  readonly log: IpcLogger;
}

/**
 * Like upstream, one connection carries one or more requests sent back to back;
 * once everything received has been answered the server closes, which is the
 * end-of-reply signal the client waits for.
 */
function serveConnection(socket: net.Socket, control: Control, opts: ConnOptions): void {
  const decoder = new FrameDecoder();
  const queue: Frame[] = [];
  let finished = false;
  let peerEnded = false;
  let waitingDrain = false;
  /** A malformed frame, answered once the requests before it are. */
  let badFrame: FrameError | undefined;
  let closeCheck: NodeJS.Immediate | undefined;

  const stop = () => {
    finished = true;
    queue.length = 0;
    if (closeCheck) clearImmediate(closeCheck);
    closeCheck = undefined;
  };

  const finish = () => {
    if (finished) return;
    stop();
    socket.end();
  };

  const refuse = (message: string, detail: Record<string, unknown>) => {
    if (finished) return;
    opts.log.warn(detail, `Bad IPC message from client: ${message}`);
    socket.write(errorReply(message));
    finish();
  };

  // With nothing buffered the client has had its answers; a partial frame keeps
  // the connection open for the rest (bounded by the idle timeout).
  const maybeClose = () => {
    if (finished || queue.length > 0 || closeCheck) return;
    if (decoder.buffered > 0) {
      if (!peerEnded) return;
      const [item] = decoder.end();
      if (item && !item.ok) refuse(item.error.message, { code: item.error.code });
      return;
    }
    if (peerEnded) return finish();
    // One turn of the event loop for requests already on their way; then,
    // as upstream, the connection ends: clients read the reply until EOF.
    closeCheck = setImmediate(() => {
      closeCheck = undefined;
      if (queue.length > 0 || decoder.buffered > 0 || peerEnded) maybeClose();
      else finish();
    });
  };

  // Answers queued requests in order, pausing while the peer is slow to read replies.
  const drainQueue = () => {
    while (!finished) {
      const frame = queue[0];
      if (frame === undefined) break;
      if (socket.writableLength > opts.maxPendingOutput) {
        waitingDrain = true;
        socket.pause();
        socket.once('drain', () => {
          waitingDrain = false;
          drainQueue();
        });
        return;
      }
      queue.shift();
      const reply = dispatch(frame, control);
      // At warning, as upstream logs a refused command, so the default log level shows it.
      if (!reply.result.ok) opts.log.warn({ cmd: frame.cmd, error: reply.result.error }, 'IPC request failed');
      socket.write(reply.bytes);
    }
    if (finished) return;
    if (badFrame) return refuse(badFrame.message, { code: badFrame.code });
    socket.resume();
    maybeClose();
  };

  socket.setTimeout(opts.idleTimeoutMs);
  socket.on('timeout', () => {
    if (!finished && decoder.buffered > 0) return refuse('Incomplete IPC message, timed out', { buffered: decoder.buffered });
    stop();
    socket.destroy();
  });
  socket.on('error', (err) => {
    opts.log.debug({ err }, 'IPC client connection error');
    stop();
    socket.destroy();
  });
  socket.on('data', (chunk: Buffer) => {
    if (finished) return;
    if (closeCheck) clearImmediate(closeCheck);
    closeCheck = undefined;
    for (const item of decoder.push(chunk)) {
      // Requests before a bad one are still answered, in order; the decoder yields nothing after it.
      if (item.ok) queue.push(item.value);
      else badFrame = item.error;
    }
    if (!waitingDrain) drainQueue();
  });
  socket.on('end', () => {
    peerEnded = true;
    maybeClose();
  });
}
