// The kernel error class, with a stable errno-name `code` so callers branch
// on the code, never on the text; and errno names for the kernel contract.

/** A failed system call: which operation, and the errno name the kernel gave. */
export class KernelError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly op: string;

  constructor(op: string, code: string, errno: number, detail?: string) {
    super(`${op}: ${code}${detail ? ` (${detail})` : ''}`);
    this.name = 'KernelError';
    this.op = op;
    this.code = code;
    this.errno = errno;
  }
}

/** Errno numbers on Linux x86_64 for the names the kernel contract uses. */
export const ERRNO: Readonly<Record<string, number>> = {
  EPERM: 1, ENOENT: 2, EINTR: 4, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13,
  EFAULT: 14, EBUSY: 16, EEXIST: 17, ENODEV: 19, EINVAL: 22, ENFILE: 23,
  EMFILE: 24, ENOSPC: 28, ENOPROTOOPT: 92, EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95, EADDRINUSE: 98, EADDRNOTAVAIL: 99, ENOBUFS: 105,
  ECONNREFUSED: 111,
};

export function errnoName(errno: number): string {
  for (const [name, n] of Object.entries(ERRNO)) if (n === errno) return name;
  return `E${errno}`;
}

/** Readable text for anything thrown: a KernelError's own message, an errno code, or the message. */
export function describeError(err: unknown): string {
  if (err instanceof KernelError) return err.message;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.message : String(err);
}
