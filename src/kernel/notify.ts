// sd_notify(3) without libsystemd: one datagram per state change to the
// socket systemd names in NOTIFY_SOCKET. Owns that socket and the wire text;
// must not decide when the daemon is ready (Daemon does) nor log by itself.

import { errnoName, describeError, strerror } from '../errors.js';
import { fail, ok, type Result } from '../result.js';
import { trySendto, socket } from './ffi.js';
import { AF_UNIX, MSG_DONTWAIT, MSG_NOSIGNAL, SOCK_CLOEXEC, SOCK_DGRAM } from './structs.js';

/** sizeof(sockaddr_un.sun_path) on Linux. */
const SUN_PATH_MAX = 108;

/** Assignments in the order they are sent, e.g. READY=1 first. */
export type NotifyFields = Readonly<Record<string, string | number>>;

/** What the daemon tells the service manager; every method is a no-op outside systemd. */
export interface Notifier {
  /** The NOTIFY_SOCKET in use, or undefined when there is none. */
  readonly socket: string | undefined;
  ready(status: string): void;
  reloading(status: string): void;
  stopping(status: string): void;
}

/**
 * "KEY=VALUE\n" lines. A newline inside a value would start an assignment of
 * its own (a file name could then say READY=1), so it becomes a space.
 */
export function encodeNotify(fields: NotifyFields): Buffer {
  const lines = Object.entries(fields).map(([k, v]) => `${k}=${String(v).replace(/[\r\n]+/g, ' ')}\n`);
  return Buffer.from(lines.join(''), 'utf8');
}

/**
 * The sockaddr_un for NOTIFY_SOCKET: an absolute path, or "@name" for a name
 * in the abstract namespace (a leading NUL byte). An abstract name is all the
 * bytes the length covers, so its length must stop at the name's end.
 */
export function notifyAddress(name: string): Result<Buffer> {
  const abstract = name.startsWith('@');
  if (!abstract && !name.startsWith('/')) {
    return fail(`NOTIFY_SOCKET=${name} is neither an absolute path nor an @abstract name`);
  }
  const path = Buffer.from(abstract ? name.slice(1) : name, 'utf8');
  // A path needs room for its terminating NUL; an abstract name for its leading one.
  if (path.length + 1 > SUN_PATH_MAX) return fail(`NOTIFY_SOCKET=${name} is longer than a Unix socket address`);
  const addr = Buffer.alloc(2 + 1 + path.length);
  addr.writeUInt16LE(AF_UNIX, 0);
  path.copy(addr, abstract ? 3 : 2);
  return ok(addr);
}

/** CLOCK_MONOTONIC in µs, the clock systemd's MONOTONIC_USEC= is read against (libuv's hrtime is that clock). */
export function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n;
}

const NONE: Notifier = { socket: undefined, ready() {}, reloading() {}, stopping() {} };

/**
 * Reads NOTIFY_SOCKET and removes it from `env`, so programs the daemon runs
 * do not inherit it and speak for the daemon. The socket is opened now, while
 * the daemon may still be root: a later send needs no privilege to create it.
 */
export function openNotifier(env: NodeJS.ProcessEnv, warn: (msg: string) => void): Notifier {
  const name = env.NOTIFY_SOCKET;
  delete env.NOTIFY_SOCKET;
  if (name === undefined || name === '') return NONE;
  const addr = notifyAddress(name);
  if (!addr.ok) {
    warn(`Cannot notify the service manager: ${addr.error}`);
    return NONE;
  }
  let fd: number;
  try {
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  } catch (err) {
    warn(`Cannot notify the service manager: ${describeError(err)}`);
    return NONE;
  }
  const send = (fields: NotifyFields): void => {
    // Never wait on a service manager that does not read: the routes matter more than the news.
    const n = trySendto(fd, encodeNotify(fields), MSG_DONTWAIT | MSG_NOSIGNAL, addr.value);
    if (n < 0) warn(`Cannot notify the service manager at ${name}: ${strerror(errnoName(-n))}`);
  };
  return {
    socket: name,
    ready: (status) => send({ READY: 1, STATUS: status, MAINPID: process.pid }),
    reloading: (status) => send({ RELOADING: 1, MONOTONIC_USEC: monotonicUsec().toString(), STATUS: status }),
    stopping: (status) => send({ STOPPING: 1, STATUS: status }),
  };
}
