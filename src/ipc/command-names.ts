// The IPC command letters by the name logs and counters give them, upstream's and ours. Data only;
// the letters' meaning (what each does) is dispatch.ts's.

/** Every command letter the daemon answers, by name; several letters can share one (show in three forms). */
export const COMMAND_NAMES: Readonly<Record<string, string>> = {
  a: 'add',
  r: 'remove',
  j: 'join',
  l: 'leave',
  F: 'flush',
  H: 'reload',
  k: 'kill',
  s: 'show',
  S: 'show',
  J: 'show',
  m: 'monitor',
  M: 'monitor',
  x: 'explain',
  X: 'explain',
  n: 'dry-run',
  N: 'dry-run',
  T: 'stats',
};

/** The letters that change the daemon's state: each is logged with who sent it. */
export const STATE_CHANGES: ReadonlySet<string> = new Set(['a', 'r', 'j', 'l', 'F', 'H', 'k']);

/**
 * How a daemon (upstream's, and ours) begins its answer to a letter it does not know: how the
 * client tells that a daemon lacks one of our own commands.
 */
export const UNKNOWN_COMMAND = 'Unknown or malformed IPC message';
