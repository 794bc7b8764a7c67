// Runs the system's man(1) with groff's warnings on, for the tests that hold man/ and the installed
// pages to "renders cleanly". Only runs man; knows nothing of which pages exist or what they say.
import { spawnSync } from 'node:child_process';

export interface ManResult {
  readonly status: number | null;
  /** The rendered page. */
  readonly text: string;
  /** Whatever man and groff wrote on stderr: warnings such as "troff: <standard input>:N: warning: ...". */
  readonly stderr: string;
}

/** Why pages cannot be rendered here, or undefined when they can. */
export function manSkipReason(): string | undefined {
  const r = spawnSync('man', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'man(1) is missing: apt-get install -y man-db groff-base (.ci/run does)';
  return undefined;
}

/**
 * `man --warnings ARGS` at a given width, without a pager. The locale is fixed so that a host
 * without the caller's locale does not add "can't set the locale" to stderr; the seccomp sandbox
 * is off because some containers refuse it, and the pages rendered are our own.
 */
export function runMan(args: readonly string[], width = 80): ManResult {
  const r = spawnSync('man', ['--warnings', ...args], {
    encoding: 'utf8',
    env: { ...process.env, MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: String(width), LC_ALL: 'C.UTF-8', MAN_DISABLE_SECCOMP: '1' },
  });
  if (r.error) throw r.error;
  return { status: r.status, text: r.stdout, stderr: r.stderr };
}
