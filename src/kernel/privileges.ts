// Who the daemon runs as: -p USER[:GROUP] resolved through NSS, the drop from root to it
// keeping only ROUTING_CAPS, and the capability check at start. Decides nothing about when.

import { describeError } from '../errors.js';
import { fail, ok, type Result } from '../result.js';
import { capsToKeep, fromWords, hasCap, START_CAPS, toWords } from './capabilities.js';
import * as ffi from './ffi.js';

/** -p as written: a user, and a group unless the user's primary group is meant. */
export interface RunAsSpec {
  readonly user: string;
  readonly group?: string;
}

/** -p resolved to ids. */
export interface RunAs extends RunAsSpec {
  readonly uid: number;
  readonly gid: number;
}

const PR_SET_KEEPCAPS = 8;
/** uid_t/gid_t -1 means "unchanged" to the kernel, so it is no id. */
const MAX_ID = 0xfffffffe;

function asId(text: string): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n <= MAX_ID ? n : undefined;
}

/**
 * Names first, then numbers, as chown(1) does: a user named "1000" is that user. A number
 * with no passwd entry is taken as it is, but then there is no primary group to fall back on.
 */
export function resolveRunAs(spec: RunAsSpec): Result<RunAs> {
  try {
    const num = asId(spec.user);
    const pw = ffi.getpw(spec.user) ?? (num === undefined ? undefined : ffi.getpw(num));
    if (!pw && num === undefined) return fail(`Unknown user ${spec.user}`);
    const uid = pw?.uid ?? num;
    if (uid === undefined) return fail(`Unknown user ${spec.user}`);
    if (uid === 0) return fail(`User ${spec.user} is root: nothing to drop`);
    let gid = pw?.gid;
    if (spec.group !== undefined) {
      const gnum = asId(spec.group);
      gid = ffi.getgr(spec.group) ?? (gnum === undefined ? undefined : (ffi.getgr(gnum) ?? gnum));
      if (gid === undefined) return fail(`Unknown group ${spec.group}`);
    }
    if (gid === undefined) return fail(`User ${spec.user} has no passwd entry: give its group as ${spec.user}:GROUP`);
    return ok({ ...spec, uid, gid });
  } catch (err) {
    return fail(`Cannot look up ${spec.user}: ${describeError(err)}`);
  }
}

/** The calling thread's effective capabilities. */
export function effectiveCaps(): bigint {
  return fromWords(ffi.capget().effective);
}

/**
 * Whether a daemon started without root (systemd User= with AmbientCapabilities=) can open
 * the routing sockets: socket(SOCK_RAW) needs CAP_NET_RAW; MRT_TABLE and SO_RCVBUFFORCE need
 * CAP_NET_ADMIN.
 */
export function hasStartCaps(): boolean {
  const eff = effectiveCaps();
  return START_CAPS.every((c) => hasCap(eff, c));
}

/**
 * Becomes `to` for good, keeping ROUTING_CAPS (those held) effective and permitted and nothing
 * inheritable, which also empties the ambient set. Returns the capabilities kept. Already
 * being that user (systemd User= with -p for the same user) skips the id change, which would
 * need CAP_SETUID. Any failure is the caller's to treat as fatal: half-dropped is no state to
 * serve in.
 */
export function dropPrivileges(to: RunAs): Result<bigint> {
  try {
    const keep = capsToKeep(fromWords(ffi.capget().permitted));
    const same =
      process.getuid?.() === to.uid &&
      process.geteuid?.() === to.uid &&
      process.getgid?.() === to.gid &&
      process.getegid?.() === to.gid;
    if (!same) {
      // Without it, the kernel clears the permitted set when the last root uid goes.
      ffi.prctl('prctl(PR_SET_KEEPCAPS)', PR_SET_KEEPCAPS, 1);
      // Only the one group: supplementary groups root had (or the user has) grant nothing routing needs.
      ffi.setgroups([to.gid]);
      ffi.setresgid(to.gid);
      ffi.setresuid(to.uid);
      ffi.prctl('prctl(PR_SET_KEEPCAPS)', PR_SET_KEEPCAPS, 0);
    }
    const words = toWords(keep);
    ffi.capset({ effective: words, permitted: words, inheritable: [0, 0] });
    const now = ffi.capget();
    // Check what the kernel says rather than trust the calls: no way back to root must remain.
    if (fromWords(now.permitted) !== keep || fromWords(now.effective) !== keep) {
      return fail(`capabilities are ${fromWords(now.permitted).toString(16)} after the drop, not ${keep.toString(16)}`);
    }
    if (process.getuid?.() !== to.uid || process.geteuid?.() !== to.uid) return fail('the user id did not change');
    return ok(keep);
  } catch (err) {
    return fail(describeError(err));
  }
}
