// Timed runs of short-lived programs (clients, a bare node): spawn to exit, stdout to /dev/null unless
// captured. Runs them only; judging the output is the caller's.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { now } from './timing.js';

/** A bare Node start-up and exit, the yardstick for our client's own cost. */
export const NODE0: readonly string[] = [process.execPath, '-e', '0'];

/**
 * The least any Node client does for a `show`: load node:net, connect to the socket, send a byte,
 * write what comes back to stdout until EOF. Timed against the stand-in, it is the floor under our
 * client's own cost that no Node program goes below (our client adds option parsing, the request
 * frame, reply checks and error handling on top).
 */
export const bareNodeClient = (sock: string): readonly string[] => [
  process.execPath,
  '-e',
  "const s = require('node:net').createConnection(process.argv[1]); s.on('data', (d) => require('node:fs').writeSync(1, d)); s.write('s');",
  sock,
];

export interface CmdRun {
  ms: number;
  ok: boolean;
  out?: string;
  err: string;
}

/** One client run with stdout to /dev/null, or captured; `input` is its stdin. */
export function runCmd(
  argv: readonly string[],
  opts: { capture?: boolean; input?: string; capMs?: number; env?: NodeJS.ProcessEnv } = {},
): CmdRun {
  const devnull = opts.capture ? undefined : openSync('/dev/null', 'w');
  try {
    const t0 = now();
    const r = spawnSync(argv[0]!, argv.slice(1), {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', devnull ?? 'pipe', 'pipe'],
      input: opts.input,
      encoding: 'utf8',
      maxBuffer: 256 << 20,
      timeout: opts.capMs,
      env: opts.env,
    });
    const ms = now() - t0;
    const err = `${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`;
    return { ms, ok: r.status === 0, out: opts.capture ? r.stdout : undefined, err };
  } finally {
    if (devnull !== undefined) closeSync(devnull);
  }
}
