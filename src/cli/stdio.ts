// Synchronous stdio for the short-lived client: stdin read and stdout/stderr
// written straight through their file descriptors. Knows nothing of what it moves.

import { readSync, writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

const errnoCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

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
        const code = errnoCode(err);
        if (code === 'EAGAIN') mode = 'stream';
        else if (code === 'EPIPE') mode = 'closed';
        else throw err;
      }
    }
    if (mode === 'stream' && off < data.length) stream().write(data.subarray(off));
  };
  return { write, queued: () => mode === 'stream' };
}

/**
 * The lines of stdin, without their newline, in the groups that each read
 * brought. Read straight from fd 0: the client waits for each command anyway,
 * and setting up Node's stdin stream cost it more than a batch of commands.
 * A descriptor someone handed us non-blocking goes on through process.stdin
 * from the first EAGAIN. Decoded as UTF-8 across reads, as the stream does.
 */
export async function* stdinGroups(): AsyncIterable<readonly string[]> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  const split = (chunk: Buffer): string[] => {
    const lines = (rest + decoder.write(chunk)).split('\n');
    rest = lines.pop() ?? '';
    return lines;
  };
  const buf = Buffer.allocUnsafe(1 << 16);
  let viaStream = false;
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buf, 0, buf.length, null);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'EINTR') continue;
      if (code !== 'EAGAIN') throw err;
      viaStream = true;
      break;
    }
    if (n === 0) break;
    const lines = split(buf.subarray(0, n));
    if (lines.length > 0) yield lines;
  }
  if (viaStream) {
    for await (const chunk of process.stdin) {
      const lines = split(chunk as Buffer);
      if (lines.length > 0) yield lines;
    }
  }
  rest += decoder.end();
  if (rest !== '') yield [rest];
}
