// One decoded IPC request → Control call → reply bytes, with upstream's argument
// rules and error texts. Pure apart from calling Control; no sockets here.

import { isMulticast, parseAddr } from '../model/addr.js';
import { MAX_VIFS } from '../model/limits.js';
import { formatGroups, formatInterfaces, formatPending, formatRoutes } from '../show/format.js';
import type { ShowMode } from '../show/types.js';
import type { Frame } from './codec.js';
import type { Control, ControlResult, RouteArgs } from './control.js';

export interface Reply {
  /** Show text (maybe empty) followed by NUL, or an error message followed by NUL. */
  readonly bytes: Buffer;
  readonly result: ControlResult;
}

/** What upstream answers for an unknown command or a wrong argument count. */
export function malformedMessage(code: number): string {
  return `Unknown or malformed IPC message '${String.fromCharCode(code & 0xff)}' from client.`;
}

function fail(error: string): ControlResult {
  return { ok: false, error };
}

/** The address part of "ADDR[/LEN]", as upstream checks it. */
function addrOf(arg: string): string {
  const slash = arg.indexOf('/');
  return slash < 0 ? arg : arg.slice(0, slash);
}

/** IIF, then GROUP alone for (*,G) or SOURCE GROUP, then outbound interfaces. */
export function parseRouteArgs(frame: Frame): RouteArgs | ControlResult {
  const argv = frame.args;
  if (argv.length < 2) return fail(malformedMessage(frame.code));
  const first = addrOf(argv[1]!);
  const firstAddr = parseAddr(first);
  if (!firstAddr) return fail(`mroute: invalid source/group address: ${first}`);
  let pos = 2;
  let source: string | undefined;
  let group: string;
  if (isMulticast(firstAddr)) {
    group = argv[1]!;
  } else {
    if (argv.length < 3) return fail(malformedMessage(frame.code));
    const grp = addrOf(argv[2]!);
    const grpAddr = parseAddr(grp);
    if (!grpAddr || !isMulticast(grpAddr)) return fail(`mroute: invalid multicast group: ${grp}`);
    source = argv[1]!;
    group = argv[2]!;
    pos = 3;
  }
  if (argv.length - pos > MAX_VIFS) return fail(malformedMessage(frame.code));
  return { iif: argv[0]!, source, group, oifs: argv.slice(pos) };
}

function isResult(x: RouteArgs | ControlResult): x is ControlResult {
  return 'ok' in x;
}

function show(frame: Frame, control: Control, mode: ShowMode): string {
  // Upstream looks at the first letter only: "g", "groups", "gibberish" all pick groups.
  switch (frame.args[0]?.[0]) {
    case 'g': return formatGroups(control.showGroups(mode), mode);
    case 'i': return formatInterfaces(control.showInterfaces(mode), mode);
    case 'p': return formatPending(control.showPending(mode), mode);
    default: return formatRoutes(control.showRoutes(mode), mode);
  }
}

function run(frame: Frame, control: Control): { text: string; result: ControlResult } {
  const done = (result: ControlResult) => ({ text: '', result });
  switch (frame.code) {
    case 0x61: // 'a'
    case 0x72: { // 'r'
      const args = parseRouteArgs(frame);
      if (isResult(args)) return done(args);
      return done(frame.cmd === 'a' ? control.addRoute(args) : control.removeRoute(args));
    }
    case 0x6a: // 'j'
    case 0x6c: { // 'l'
      const argv = frame.args;
      if (argv.length < 2) return done(fail(malformedMessage(frame.code)));
      // Upstream reads a source only when there are exactly three arguments.
      const args = argv.length === 3
        ? { iif: argv[0]!, source: argv[1]!, group: argv[2]! }
        : { iif: argv[0]!, group: argv[1]! };
      return done(frame.cmd === 'j' ? control.join(args) : control.leave(args));
    }
    case 0x46: return done(control.flush()); // 'F'
    case 0x48: return done(control.reload()); // 'H'
    case 0x6b: return done(control.kill()); // 'k'
    case 0x73: return { text: show(frame, control, 'brief'), result: { ok: true } }; // 's'
    case 0x53: return { text: show(frame, control, 'detail'), result: { ok: true } }; // 'S'
    case 0x4a: return { text: show(frame, control, 'json'), result: { ok: true } }; // 'J'
    default: return done(fail(malformedMessage(frame.code)));
  }
}

/** A failure reply for a frame that could not be decoded at all. */
export function errorReply(message: string): Buffer {
  return Buffer.concat([Buffer.from(cutAtNul(message), 'utf8'), Buffer.alloc(1)]);
}

// The client reads the message with C string functions; a NUL would end it early.
function cutAtNul(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** Runs one request. Never throws: a Control that throws becomes an error reply. */
export function dispatch(frame: Frame, control: Control): Reply {
  let outcome: { text: string; result: ControlResult };
  try {
    outcome = run(frame, control);
  } catch (err) {
    const error = `Internal error: ${err instanceof Error ? err.message : String(err)}`;
    outcome = { text: '', result: { ok: false, error } };
  }
  const { text, result } = outcome;
  const status = result.ok ? Buffer.alloc(1) : errorReply(result.error);
  return { bytes: text === '' ? status : Buffer.concat([Buffer.from(text, 'utf8'), status]), result };
}
