// Synchronous writes to stdout and stderr for the short-lived client: whole
// buffers straight to the file descriptor. Knows nothing of what it writes.

import { writeSync } from 'node:fs';

/**
 * A writer for fd 1 or 2. Writing through the fd, not process.stdout, spares
 * the client Node's stream machinery (a noticeable share of a `-v`) and leaves
 * nothing queued at exit. A descriptor someone handed us non-blocking falls
 * back to the stream from the first EAGAIN on, so the order stays; a reader
 * that went away (EPIPE) ends the output quietly, as the C client's SIGPIPE does.
 */
export function fdWriter(fd: 1 | 2): { write: (data: Buffer) => void; readonly queued: () => boolean } {
  let mode: 'sync' | 'stream' | 'closed' = 'sync';
  const stream = (): NodeJS.WriteStream => (fd === 1 ? process.stdout : process.stderr);
  const write = (data: Buffer): void => {
    let off = 0;
    while (mode === 'sync' && off < data.length) {
      try {
        off += writeSync(fd, data, off);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') mode = 'stream';
        else if (code === 'EPIPE') mode = 'closed';
        else throw err;
      }
    }
    if (mode === 'stream' && off < data.length) stream().write(data.subarray(off));
  };
  return { write, queued: () => mode === 'stream' };
}
