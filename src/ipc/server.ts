// The daemon's IPC endpoint: a Unix stream socket, root-only or opened to one group,
// that decodes request frames and answers them through Control. Owns sockets only; no daemon state.

import { chmodSync, chownSync, lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { describeError, strerror } from '../errors.js';
import type { PeerCredentials } from '../kernel/peer-credentials.js';
import { FrameDecoder, type Frame, type FrameError } from './codec.js';
import { COMMAND_NAMES, STATE_CHANGES } from './command-names.js';
import type { Control, MonitorFeed } from './control.js';
import { dispatch, errorReply, type Reply } from './dispatch.js';
import { isCommandLetter } from './requests.js';
import { checkSocketPath } from './socket-path.js';

export interface IpcLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
  notice(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  debug(obj: Record<string, unknown>, msg: string): void;
}

export interface IpcServerOptions {
  /**
   * Connections held at once. At the cap a new client takes the slot of the connection idle
   * longest; it is refused only when every one is in the middle of a request. Default 256.
   */
  readonly maxConnections?: number;
  /** A connection idle this long (e.g. stuck mid-frame, or not reading) is dropped. Default 5000. */
  readonly idleTimeoutMs?: number;
  /** Stop processing a connection's requests while this many reply bytes wait to be sent. Default 1 MiB. */
  readonly maxPendingOutput?: number;
  /** Members of this group may connect too (mode 0660); without it only root can (0600). */
  readonly group?: number;
  /** Who is at the other end of an accepted socket's fd (SO_PEERCRED), for the log of each change. */
  readonly peerCredentials?: (fd: number) => PeerCredentials;
  readonly log?: IpcLogger;
  /** Told of every request answered, by command letter, and whether it succeeded (the daemon's counters). */
  readonly onAnswered?: (cmd: string, ok: boolean) => void;
  /** Monitor streams at once; one more is refused. Default 16, well below maxConnections. */
  readonly maxMonitors?: number;
  /**
   * Bytes a monitor's reader may leave unread; past that its events are dropped and counted,
   * and one line says how many once it reads again. Default 256 KiB.
   */
  readonly maxMonitorOutput?: number;
}

/** The path is a live daemon's socket: a connection to it was accepted. */
export class SocketInUseError extends Error {
  constructor(readonly path: string) {
    super(`${path} is in use by a running daemon`);
    this.name = 'SocketInUseError';
  }
}

export interface IpcServer {
  readonly path: string;
  /** Connections held now, and how many of them are idle (nothing half-received, queued or unsent). */
  connections(): { readonly open: number; readonly idle: number };
  /** Stops accepting, ends monitor streams, lets open connections finish their replies, removes the socket file. */
  close(): Promise<void>;
}

const silent: IpcLogger = { warn() {}, notice() {}, info() {}, debug() {} };

/** Whether a connection to `path` is accepted: resolves with the connect error's code, or undefined. */
function probe(path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sock = net.createConnection({ path });
    sock.once('connect', () => {
      sock.destroy();
      resolve(undefined);
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      sock.destroy();
      resolve(err.code ?? 'EIO');
    });
  });
}

/**
 * Makes the path free for our socket: nothing there, or a socket nobody listens on (left by a
 * daemon killed hard), which is removed. A socket that accepts a connection belongs to a live
 * daemon and is never taken over; anything that is not a socket is never deleted.
 */
export async function claimPath(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!isSocket) throw new Error(`refusing to replace ${path}: not a socket`);
  const code = await probe(path);
  if (code === undefined) throw new SocketInUseError(path);
  // ECONNREFUSED is the only proof nobody listens; a full backlog (EAGAIN) is a busy daemon.
  if (code === 'EAGAIN') throw new SocketInUseError(path);
  if (code !== 'ECONNREFUSED') throw new Error(`cannot tell whether a daemon uses it: ${strerror(code)}`);
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
  const checked = checkSocketPath(path);
  if (!checked.ok) throw new Error(checked.error);
  const conn: ConnOptions = {
    idleTimeoutMs: opts.idleTimeoutMs ?? 5000,
    maxPendingOutput: opts.maxPendingOutput ?? 1 << 20,
    peerCredentials: opts.peerCredentials,
    log,
    onAnswered: opts.onAnswered,
    maxMonitors: opts.maxMonitors ?? 16,
    maxMonitorOutput: opts.maxMonitorOutput ?? 256 * 1024,
    monitors: new Set(),
  };
  const maxConnections = opts.maxConnections ?? 256;
  /** Open connections, least recently heard from first (each is moved to the end on data). */
  const open = new Map<net.Socket, Connection>();

  await claimPath(path);
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    if (open.size >= maxConnections) {
      const victim = [...open.values()].find((c) => c.idle());
      if (!victim) {
        log.warn({ path, connections: open.size }, 'IPC connection refused: every client is mid-request');
        return sendAndClose(socket, 'Too many IPC clients, try again', conn.idleTimeoutMs);
      }
      log.debug({ path, connections: open.size }, 'Closing the IPC connection idle longest to make room');
      open.delete(victim.socket);
      victim.evict();
    }
    const c = serveConnection(socket, control, conn, () => {
      open.delete(socket);
      open.set(socket, c);
    });
    open.set(socket, c);
    socket.once('close', () => open.delete(socket));
  });
  await listenPrivately(server, path, opts.group);
  server.on('error', (err) => log.warn({ err, path }, 'IPC server error'));

  return {
    path,
    connections: () => ({ open: open.size, idle: [...open.values()].filter((c) => c.idle()).length }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const end of [...conn.monitors]) end(true);
      }),
  };
}

/**
 * Answers with one error message and ends, for clients turned away. What they send is read and
 * dropped: closing with unread data would reset the connection before they read the message.
 * The socket goes once the client closes its side, or after `timeoutMs`.
 */
function sendAndClose(socket: net.Socket, message: string, timeoutMs: number): void {
  socket.on('error', () => socket.destroy());
  socket.once('end', () => socket.destroy());
  socket.setTimeout(timeoutMs, () => socket.destroy());
  socket.resume();
  socket.end(errorReply(message));
}

/** A served connection as the server's slot keeping sees it. */
interface Connection {
  readonly socket: net.Socket;
  /** Nothing half-received, nothing waiting to be answered or sent: closing it loses nothing. */
  idle(): boolean;
  /** Closes it for a newer client, with a message its client prints. */
  evict(): void;
}

/** The file descriptor behind a Node socket; Node keeps it on the handle on Unix, not in its API. */
function socketFd(socket: net.Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

interface ConnOptions {
  readonly idleTimeoutMs: number;
  readonly maxPendingOutput: number;
  readonly peerCredentials?: (fd: number) => PeerCredentials;
  readonly log: IpcLogger;
  readonly onAnswered?: (cmd: string, ok: boolean) => void;
  readonly maxMonitors: number;
  readonly maxMonitorOutput: number;
  /** How to end each open monitor stream; `farewell` sends the NUL that says the daemon ended it. */
  readonly monitors: Set<(farewell: boolean) => void>;
}

/**
 * Like upstream, one connection carries one or more requests sent back to back;
 * once everything received has been answered the server closes, which is the
 * end-of-reply signal the client waits for.
 */
function serveConnection(socket: net.Socket, control: Control, opts: ConnOptions, heard: () => void): Connection {
  const decoder = new FrameDecoder();
  const queue: Frame[] = [];
  let finished = false;
  let peerEnded = false;
  let waitingDrain = false;
  /** A reply is being made asynchronously; nothing else is answered until it is sent. */
  let answering = false;
  /** A malformed frame, answered once the requests before it are. */
  let badFrame: FrameError | undefined;
  let closeCheck: NodeJS.Immediate | undefined;
  /** Set once the connection became a monitor stream: how to end it. */
  let monitoring: ((farewell: boolean) => void) | undefined;

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
    if (finished || monitoring || queue.length > 0 || closeCheck || answering) return;
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
      if (answering || queue.length > 0 || decoder.buffered > 0 || peerEnded) maybeClose();
      else finish();
    });
  };

  const send = (frame: Frame, reply: Reply, who: { uid?: number; pid?: number }) => {
    if (finished) return;
    opts.onAnswered?.(frame.cmd, reply.result.ok);
    // At warning, as upstream logs a refused command, so the default log level shows it.
    if (!reply.result.ok) opts.log.warn({ cmd: frame.cmd, error: reply.result.error, ...who }, 'IPC request failed');
    socket.write(reply.bytes);
  };

  // Answers queued requests in order, pausing while the peer is slow to read replies.
  const drainQueue = () => {
    if (answering) return;
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
      if ((frame.cmd === 'm' || frame.cmd === 'M') && control.monitor) return startMonitor(frame.cmd);
      const who = logChange(frame);
      const reply = dispatch(frame, control);
      if (reply instanceof Promise) {
        // Later requests wait for this one: replies go out in order, and nothing more is read
        // meanwhile, so a client piping requests cannot grow the queue while a reply is made.
        answering = true;
        socket.pause();
        void reply.then((r) => {
          answering = false;
          send(frame, r, who);
          drainQueue();
        });
        return;
      }
      send(frame, reply, who);
    }
    if (finished) return;
    if (badFrame) return refuse(badFrame.message, { code: badFrame.code });
    socket.resume();
    maybeClose();
  };

  /**
   * The connection turns into a stream of event lines, with no idle timeout, until the client
   * closes or the daemon stops. Requests after the monitor's are not read. A reader that falls
   * behind by maxMonitorOutput loses events rather than growing the daemon's memory; it is told
   * how many in one line once it reads again.
   */
  const startMonitor = (cmd: string) => {
    queue.length = 0;
    if (opts.monitors.size >= opts.maxMonitors) {
      opts.onAnswered?.(cmd, false);
      opts.log.warn({ monitors: opts.monitors.size }, 'IPC monitor refused: too many open');
      socket.write(errorReply(`Too many monitors (${opts.maxMonitors}) open, try again later`));
      return finish();
    }
    opts.onAnswered?.(cmd, true);
    // No smaller than the stream's high-water mark: a 'drain' (when the lost line goes out) comes
    // only after a write the stream refused.
    const cap = Math.max(opts.maxMonitorOutput, socket.writableHighWaterMark);
    let feed: MonitorFeed | undefined;
    let lost = 0;
    let ended = false;
    const flushLost = () => {
      if (lost === 0 || !feed || ended || socket.writableLength > cap) return;
      socket.write(feed.lostLine(lost));
      lost = 0;
    };
    const push = (line: string) => {
      if (ended) return;
      if (socket.writableLength > cap) {
        lost++;
        return;
      }
      flushLost();
      socket.write(line);
    };
    const end = (farewell: boolean) => {
      if (ended) return;
      ended = true;
      finished = true;
      feed?.stop();
      opts.monitors.delete(end);
      if (!farewell || socket.destroyed) return;
      // A client that stopped reading must not hold the daemon's exit: bounded as any connection.
      socket.setTimeout(opts.idleTimeoutMs);
      socket.end(Buffer.alloc(1));
    };
    monitoring = end;
    opts.monitors.add(end);
    socket.setTimeout(0);
    socket.resume(); // to hear the client close
    socket.on('drain', flushLost);
    socket.once('close', () => end(false));
    opts.log.debug({ cmd }, 'IPC monitor started');
    control.monitor?.(cmd === 'M', push).then(
      (f) => {
        if (ended) f.stop();
        else feed = f;
      },
      (err: unknown) => {
        if (ended) return;
        socket.write(errorReply(`Cannot start monitor: ${describeError(err)}`));
        end(false);
        socket.end();
      },
    );
  };

  let peer: Partial<PeerCredentials> | undefined;
  /** Asked once, at the first change: the kernel keeps what the peer was when it connected. */
  const peerOf = (): Partial<PeerCredentials> => {
    if (peer) return peer;
    const fd = socketFd(socket);
    peer = {};
    if (opts.peerCredentials === undefined || fd === undefined) return peer;
    try {
      peer = opts.peerCredentials(fd);
    } catch (err) {
      opts.log.debug({ err: describeError(err) }, 'Cannot read the IPC peer credentials');
    }
    return peer;
  };

  /**
   * Changes are logged with who asked: many routes at once come as many adds, so those are
   * at info; a flush, reload or kill touches everything and is logged at notice.
   */
  const logChange = (frame: Frame): { uid?: number; pid?: number } => {
    const name = COMMAND_NAMES[frame.cmd];
    if (name === undefined || !STATE_CHANGES.has(frame.cmd)) return {};
    const { uid, pid } = peerOf();
    const who = uid === undefined ? {} : { uid, pid };
    const fields = { cmd: [name, ...frame.args].join(' '), ...who };
    if (isCommandLetter(frame.cmd)) opts.log.info(fields, 'IPC command');
    else opts.log.notice(fields, 'IPC command');
    return who;
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
    heard();
    if (finished || monitoring) return;
    if (closeCheck) clearImmediate(closeCheck);
    closeCheck = undefined;
    for (const item of decoder.push(chunk)) {
      // Requests before a bad one are still answered, in order; the decoder yields nothing after it.
      if (item.ok) queue.push(item.value);
      else badFrame = item.error;
    }
    if (!waitingDrain && !answering) drainQueue();
  });
  socket.on('end', () => {
    peerEnded = true;
    if (monitoring) {
      monitoring(false);
      return void socket.end();
    }
    maybeClose();
  });

  return {
    socket,
    // A monitor is never idle: it is the client's to close, and maxMonitors bounds how many there are.
    idle: () =>
      !monitoring && queue.length === 0 && decoder.buffered === 0 && !waitingDrain && !answering && socket.writableLength === 0,
    evict: () => {
      // Already answered and ended: its client has everything it asked for.
      if (finished) return void socket.destroy();
      stop();
      sendAndClose(socket, 'Too many IPC clients: this idle connection was closed to make room', opts.idleTimeoutMs);
    },
  };
}
