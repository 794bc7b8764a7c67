// The one rule on an IPC socket path, checked by smcrouted, smcroutectl and the server alike.
// Pure: it looks at the string only, never at the file system.

import { fail, ok, type Result } from '../result.js';

/**
 * sockaddr_un's sun_path holds 108 bytes with the terminating NUL. Longer paths are not
 * refused by the kernel or by Node: they are cut short, so the daemon would bind one name
 * and remove another, and clients would look for a third.
 */
export const MAX_SOCKET_PATH = 107;

/** The path, if it can name a UNIX socket; else why not, `what` naming it (the IPC socket's, by default). */
export function checkSocketPath(path: string, what = 'IPC socket path'): Result<string> {
  if (path === '') return fail(`${what} is empty`);
  const bytes = Buffer.byteLength(path, 'utf8');
  if (bytes > MAX_SOCKET_PATH) {
    return fail(`${what} ${path} is too long: ${bytes} bytes, a UNIX socket path takes at most ${MAX_SOCKET_PATH}`);
  }
  if (path.includes('\0')) return fail(`${what} contains a NUL byte`);
  return ok(path);
}
