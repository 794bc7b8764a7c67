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

/** A failure reply for a frame that could not be decoded at all. */
export function errorReply(message: string): Buffer {
  return Buffer.concat([Buffer.from(cutAtNul(message), 'utf8'), Buffer.alloc(1)]);
}

// The client reads the message with C string functions; a NUL would end it early.
function cutAtNul(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** 'x' (text) and 'X' (JSON), explain: answered by dispatchLater once its packet sample is done. */
export function answersLater(frame: Frame): boolean {
  return frame.code === 0x78 || frame.code === 0x58;
}

/** Runs a request answersLater picked. Never rejects: a Control that throws becomes an error reply. */
export async function dispatchLater(frame: Frame, control: Control): Promise<Reply> {
  let result: Result<string>;
  try {
    result = await control.explain(frame.args, frame.code === 0x58);
  } catch (err) {
    result = fail(`Internal error: ${describeError(err)}`);
  }
  if (!result.ok) return { bytes: errorReply(result.error), result };
  return { bytes: Buffer.concat([Buffer.from(result.value, 'utf8'), Buffer.alloc(1)]), result: ok() };
}

/** Runs one request answered at once (all but answersLater's). Never throws: a Control that throws becomes an error reply. */
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
