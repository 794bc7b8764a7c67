// Upstream's C smcroute (Debian's package) and ours side by side in a lab: start either daemon with all
// its files in the lab dir, run either client, send raw IPC frames. Drives programs only; asserts nothing.
import { existsSync } from 'node:fs';
import net from 'node:net';
import { rootSkipReason, type Daemon, type ExecResult, type Lab } from './netns.js';
import { repoPath } from './paths.js';

export type Impl = 'ours' | 'upstream';

export const PROGRAMS: Readonly<Record<Impl, { daemon: string; ctl: string }>> = {
  ours: { daemon: repoPath('bin', 'smcrouted'), ctl: repoPath('bin', 'smcroutectl') },
  upstream: { daemon: '/usr/sbin/smcrouted', ctl: '/usr/sbin/smcroutectl' },
};

/** Why upstream-vs-ours tests cannot run here, or undefined when they can. */
export function upstreamSkipReason(): string | undefined {
  const missing = Object.values(PROGRAMS.upstream).filter((p) => !existsSync(p));
  if (missing.length > 0) {
    return `upstream SMCRoute missing (${missing.join(', ')}): apt-get install -y smcroute (.ci/run does)`;
  }
  return rootSkipReason();
}

export interface Router {
  impl: Impl;
  daemon: Daemon;
  /** The config file; rewrite it with lab.writeFile(basename, ...) before a reload. */
  conf: string;
  confName: string;
  sock: string;
  pid: string;
}

/**
 * Starts one implementation's smcrouted in the foreground at debug level; ready once its PID file
 * (written after the config is applied) and socket exist. Upstream 2.5.6 makes VIFs/MIFs only for
 * `phyint IF enable` lines when run with -N (2.6 allocates them lazily, see upstream ChangeLog
 * for v2.6.0, and made -N a no-op), so its configs must carry those lines.
 */
export function startRouter(lab: Lab, ns: string, impl: Impl, conf: string, name: string = impl): Promise<Router> {
  const confName = `${name}.conf`;
  const cfg = lab.writeFile(confName, conf);
  const sock = lab.path(`${name}.sock`);
  const pid = lab.path(`${name}.pid`);
  const args = [
    '-n',
    ...(impl === 'upstream' ? ['-N'] : []),
    '-l',
    'debug',
    '-i',
    `smct-${lab.id}`,
    '-f',
    cfg,
    '-u',
    sock,
    '-P',
    pid,
  ];
  return lab
    .startDaemon({ ns, cmd: PROGRAMS[impl].daemon, args, readyFiles: [pid, sock], label: `${impl} smcrouted` })
    .then((daemon) => ({ impl, daemon, conf: cfg, confName, sock, pid }));
}

/** IMPL's smcroutectl -u SOCK ARGS inside the namespace, stdin closed; the caller checks the status. */
export function ctlRun(lab: Lab, ns: string, impl: Impl, sock: string, args: readonly string[]): ExecResult {
  return lab.exec(ns, PROGRAMS[impl].ctl, ['-u', sock, ...args], { check: false, input: '' });
}

/** One request frame as the wire format has it: u64 len, u16 cmd, u16 count, 4 zero bytes, args, NUL. */
export function ipcFrame(cmd: string, args: readonly string[]): Buffer {
  const body = Buffer.concat([...args.map((a) => Buffer.from(`${a}\0`)), Buffer.from([0])]);
  const head = Buffer.alloc(16);
  head.writeBigUInt64LE(BigInt(16 + body.length), 0);
  head.writeUInt16LE(cmd.charCodeAt(0), 8);
  head.writeUInt16LE(args.length, 10);
  return Buffer.concat([head, body]);
}

export interface RawReply {
  /** Everything the daemon sent before closing. */
  bytes: Buffer;
  /** Set when the connection ended with an error (e.g. ECONNRESET) rather than a clean close. */
  error?: string;
}

/**
 * Connects to an IPC socket, writes the chunks as they are, half-closes (unless keepOpen), and
 * collects the reply until the daemon closes. Rejects only when nothing closes within timeoutMs.
 */
export function rawIpc(
  path: string,
  chunks: readonly Buffer[],
  opts: { keepOpen?: boolean; timeoutMs?: number } = {},
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection({ path });
    const got: Buffer[] = [];
    let error: string | undefined;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(
        new Error(
          `IPC connection to ${path} not closed within ${opts.timeoutMs ?? 10_000} ms; got ${Buffer.concat(got).length} bytes`,
        ),
      );
    }, opts.timeoutMs ?? 10_000);
    sock.on('data', (c: Buffer) => got.push(c));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ bytes: Buffer.concat(got), error });
    });
    sock.once('connect', () => {
      for (const c of chunks) sock.write(c);
      if (!opts.keepOpen) sock.end();
    });
  });
}

/** Sends one frame, as upstream's client does (no half-close), and returns every byte sent back before closing. */
export async function ipcRequest(sock: string, cmd: string, args: readonly string[], timeoutMs = 5000): Promise<Buffer> {
  const r = await rawIpc(sock, [ipcFrame(cmd, args)], { keepOpen: true, timeoutMs });
  if (r.error) throw new Error(`IPC '${cmd}' ${args.join(' ')} to ${sock}: ${r.error}`);
  return r.bytes;
}
