// Interface-name rules: wildcard patterns (`eth+`), alias folding (`eth0:1`) and name syntax.
// Pure string logic; looking up real interfaces is the daemon's and kernel layer's job.

import { fail, ok, type Result } from '../result.js';
import { SharedValues } from './shared-values.js';

/** The kernel's IFNAMSIZ; a name holds at most IFNAMSIZ - 1 bytes. */
export const IFNAMSIZ = 16;

/** A pattern ending in `+` matches every interface whose name starts with what precedes it. */
export function isWildcard(pattern: string): boolean {
  return pattern.length > 0 && pattern.endsWith('+');
}

/**
 * Linux alias labels (`eth0:1`) share their parent's VIF/MIF, so they are
 * folded onto the parent name before comparing.
 */
export function foldAlias(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(0, colon);
}

/**
 * True when interface `name` is selected by `pattern`. A wildcard is a plain
 * prefix test, so `eth+` also matches `eth` itself and `+` matches every name;
 * otherwise both sides are alias-folded and must be equal.
 */
export function matchIfname(pattern: string, name: string): boolean {
  if (isWildcard(pattern)) return foldAlias(name).startsWith(pattern.slice(0, -1));
  return foldAlias(pattern) === foldAlias(name);
}

/**
 * The name, if it can be an interface name or pattern; else why not.
 * Mirrors what the kernel refuses (too long, `/`, whitespace, `.`/`..`);
 * `:` stays legal because alias labels use it.
 */
export function checkIfname(name: string): Result<string> {
  // A configuration names the same few interfaces on every line: each is checked once.
  const known = validNames.peek(name);
  if (known) return known;
  if (name.length === 0) return fail('empty interface name');
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > IFNAMSIZ - 1) {
    return fail(`interface name "${name}" is ${bytes} bytes long, at most ${IFNAMSIZ - 1} allowed`);
  }
  if (name === '.' || name === '..') return fail(`"${name}" is not a valid interface name`);
  if (/[/\s]/.test(name)) return fail(`interface name "${name}" contains "/" or whitespace`);
  return validNames.get(name, () => ok(name));
}

/** Names checkIfname accepted, with the answer it gave (a Result is never changed). */
const validNames = new SharedValues<Result<string>>(1024);
