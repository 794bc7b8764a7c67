// One decoded IPC request → Control call → reply bytes, with upstream's argument
// rules and error texts. Pure apart from calling Control; no sockets here.

import { describeError } from '../errors.js';
import { fail, ok, type Result } from '../result.js';
import { formatGroups, formatInterfaces, formatPending, formatRoutes } from '../show/format.js';
import type { ShowMode } from '../show/types.js';
import type { Frame } from './codec.js';
import { UNKNOWN_COMMAND } from './command-names.js';
import type { Control } from './control.js';
import { decodeCommand, isCommandLetter } from './requests.js';

export interface Reply {
  /** Show text (maybe empty) followed by NUL, or an error message followed by NUL. */
  readonly bytes: Buffer;
  readonly result: Result;
}

/** What upstream answers for an unknown command or a wrong argument count. */
export function malformedMessage(code: number): string {
  return `${UNKNOWN_COMMAND} '${String.fromCharCode(code & 0xff)}' from client.`;
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

interface Outcome {
  readonly text: string;
  readonly result: Result;
}

/**
 * `reload --dry-run`, 'n' text and 'N' JSON. The formatter is loaded on the
 * first one, and the plan made once it is there, so it is of the state then.
 * A reload that would be refused answers in text as a refused reload does.
 */
async function dryRun(control: Control, json: boolean): Promise<Outcome> {
  const { reloadPlanJson, reloadPlanText } = await import('../show/reload-diff.js');
  const plan = control.planReload();
  if (json) return { text: reloadPlanJson(plan), result: ok() };
  if (plan.refused !== undefined) return { text: '', result: fail(plan.refused) };
  return { text: reloadPlanText(plan), result: ok() };
}

/** The stats snapshot as JSON ('T'); its module is loaded on first use. */
async function stats(control: Control): Promise<Outcome> {
  return { text: await control.stats(), result: ok() };
}

/** `explain`, 'x' text and 'X' JSON: answered once its packet sample (up to a second) is done. */
async function explain(frame: Frame, control: Control): Promise<Outcome> {
  const result = await control.explain(frame.args, frame.code === 0x58);
  return result.ok ? { text: result.value, result: ok() } : { text: '', result };
}

function run(frame: Frame, control: Control): Outcome | Promise<Outcome> {
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
    case 0x6e:
      return dryRun(control, false); // 'n'
    case 0x4e:
      return dryRun(control, true); // 'N'
    case 0x54: // 'T', the stats snapshot for top; it takes no arguments
      return frame.args.length > 0 ? done(fail(malformedMessage(frame.code))) : stats(control);
    case 0x78: // 'x'
    case 0x58: // 'X'
      return explain(frame, control);
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

/**
 * Runs one request. Never throws (nor rejects): a Control that throws becomes
 * an error reply. Answered at once, except a request whose code is loaded on
 * first use (reload --dry-run) or that waits for the network (explain), which
 * answers when it is there.
 */
export function dispatch(frame: Frame, control: Control): Reply | Promise<Reply> {
  let outcome: Outcome | Promise<Outcome>;
  try {
    outcome = run(frame, control);
  } catch (err) {
    outcome = internalError(err);
  }
  return outcome instanceof Promise ? outcome.then(reply, (err: unknown) => reply(internalError(err))) : reply(outcome);
}

function internalError(err: unknown): Outcome {
  return { text: '', result: fail(`Internal error: ${describeError(err)}`) };
}

function reply({ text, result }: Outcome): Reply {
  const status = result.ok ? Buffer.alloc(1) : errorReply(result.error);
  return { bytes: text === '' ? status : Buffer.concat([Buffer.from(text, 'utf8'), status]), result };
}
