// Timing a client without the daemon's own work: the daemon's raw reply to a request, taken once,
// then a stand-in (bench/lib/instant_reply.py) that answers every request with it at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { repoPath } from '../../test/lib/paths.js';
import { encodeRequest } from '../../src/ipc/codec.js';

/** The bytes a daemon sends back to one request, up to its closing the connection. */
export function rawReply(sock: string, cmd: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const c = net.createConnection({ path: sock }, () => c.write(encodeRequest(cmd, [])));
    c.on('data', (d: Buffer) => chunks.push(d));
    c.on('end', () => resolve(Buffer.concat(chunks)));
    c.on('error', reject);
  });
}

export interface Replier {
  readonly sock: string;
  stop(): void;
}

/** Starts the stand-in on `sock`, answering with `reply`; resolves once it listens. */
export function startReplier(sock: string, reply: Buffer): Promise<Replier> {
  const file = `${sock}.reply`;
  writeFileSync(file, reply);
  const child: ChildProcess = spawn('python3', [repoPath('bench', 'lib', 'instant_reply.py'), sock, file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`instant_reply.py exited (${code ?? 'signal'})`)));
    child.stdout?.once('data', () => resolve({ sock, stop: () => void child.kill('SIGKILL') }));
  });
}
