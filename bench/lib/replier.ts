// Timing a client without the daemon's own work: the daemon's raw reply to a request (taken once, with
// test/lib's ipcRequest), then a stand-in (bench/lib/instant_reply.py) that answers every request with it at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { repoPath } from '../../test/lib/paths.js';

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
