// One decoded IPC request → Control call → reply bytes, with upstream's argument
// rules and error texts. Pure apart from calling Control; no sockets here.

import { describeError } from '../errors.js';
import { fail, ok, type Result } from '../result.js';
import { formatGroups, formatInterfaces, formatPending, formatRoutes } from '../show/format.js';
import type { ShowMode } from '../show/types.js';
import type { Frame } from './codec.js';
import type { Control } from './control.js';
import { decodeCommand, isCommandLetter } from './requests.js';

export interface Reply {
  /** Show text (maybe empty) followed by NUL, or an error message followed by NUL. */
  readonly bytes: Buffer;
  readonly result: Result;
}

/** What upstream answers for an unknown command or a wrong argument count. */
export function malformedMessage(code: number): string {
  return `Unknown or malformed IPC message '${String.fromCharCode(code & 0xff)}' from client.`;
}

function show(frame: Frame, control: Control, mode: ShowMode): string {
  // Upstream looks at the first letter only: "g", "groups", "gibberish" all pick groups.
  switch (frame.args[0]?.[0]) {
    case 'g':
      return formatGroups(control.showGroups(mode), mode);
    case 'i':
      return formatInterfaces(control.showInterfaces(mode), mode);
    case 'p':
      return formatPending(control.showPending(mode), mode);
    default:
      return formatRoutes(control.showRoutes(mode), mode);
  }
}

function run(frame: Frame, control: Control): { text: string; result: Result } {
  const done = (result: Result) => ({ text: '', result });
  if (isCommandLetter(frame.cmd)) {
    const req = decodeCommand(frame.cmd, frame.args);
    if (req.ok) return done(control.command(req.value));
    return done(fail(req.error.code === 'malformed' ? malformedMessage(frame.code) : req.error.message));
  }
  switch (frame.code) {
    case 0x46:
      return done(control.flush()); // 'F'
    case 0x48:
      return done(control.reload()); // 'H'
    case 0x6b:
      return done(control.kill()); // 'k'
    case 0x73:
      return { text: show(frame, control, 'brief'), result: ok() }; // 's'
    case 0x53:
      return { text: show(frame, control, 'detail'), result: ok() }; // 'S'
    case 0x4a:
      return { text: show(frame, control, 'json'), result: ok() }; // 'J'
    default:
      return done(fail(malformedMessage(frame.code)));
  }
}

/**
 * The reply to a request answered asynchronously ('T': its module is loaded on first use), or
 * undefined for every other request, which dispatch answers at once. Never rejects.
 */
export function deferredReply(frame: Frame, control: Control): Promise<Reply> | undefined {
  if (frame.code !== 0x54 || frame.args.length > 0) return undefined; // 'T', no arguments
  const reply = (text: string, result: Result): Reply => {
    const status = result.ok ? Buffer.alloc(1) : errorReply(result.error);
    return { bytes: Buffer.concat([Buffer.from(text, 'utf8'), status]), result };
  };
  return control.stats().then(
    (json) => reply(json, ok()),
    (err: unknown) => reply('', fail(`Internal error: ${describeError(err)}`)),
  );
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
  let outcome: { text: string; result: Result };
  try {
    outcome = run(frame, control);
  } catch (err) {
    outcome = { text: '', result: fail(`Internal error: ${describeError(err)}`) };
  }
  const { text, result } = outcome;
  const status = result.ok ? Buffer.alloc(1) : errorReply(result.error);
  return { bytes: text === '' ? status : Buffer.concat([Buffer.from(text, 'utf8'), status]), result };
}
