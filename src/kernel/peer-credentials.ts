// Who is at the other end of a connected UNIX socket, as the kernel recorded it at connect():
// SO_PEERCRED. Reads only; deciding what to do with it is the IPC server's business.

import * as ffi from './ffi.js';
import { SOL_SOCKET, SO_PEERCRED, UCRED_SIZE, decodeUcred } from './structs.js';

export interface PeerCredentials {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

/** SO_PEERCRED of a connected socket's fd; throws KernelError when the kernel refuses. */
export function peerCredentials(fd: number): PeerCredentials {
  const buf = Buffer.alloc(UCRED_SIZE);
  ffi.getsockopt('SO_PEERCRED', fd, SOL_SOCKET, SO_PEERCRED, buf);
  return decodeUcred(buf);
}
