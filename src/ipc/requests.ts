// The words of an add/remove/join/leave request, placed as upstream's IPC
// handler places them, then checked by the one validator. Used by the
// daemon on each frame and by smcroutectl before it sends one. Pure.

import { isMulticast, parseAddr } from '../model/addr.js';
import type { Command } from '../model/intents.js';
import { checkJoin, checkRoute, firstProblem, type FlowArgs, type Valid } from '../model/validate.js';
import { fail, ok, type Result } from '../result.js';

export interface RequestError {
  /** `malformed`: too few or too many words, which upstream's daemon answers with its "malformed" text. */
  readonly code: 'malformed' | 'invalid';
  readonly message: string;
}

export type CommandLetter = 'a' | 'r' | 'j' | 'l';

const MALFORMED: RequestError = { code: 'malformed', message: 'too few arguments' };

export function isCommandLetter(cmd: string): cmd is CommandLetter {
  return cmd === 'a' || cmd === 'r' || cmd === 'j' || cmd === 'l';
}

/** The address part of "ADDR[/LEN]", as upstream looks at it to place the words. */
function addrOf(arg: string): string {
  const slash = arg.indexOf('/');
  return slash < 0 ? arg : arg.slice(0, slash);
}

/** IIF, then GROUP alone for (*,G) or SOURCE GROUP, then outbound interfaces. */
function routeArgs(argv: readonly string[]): Result<FlowArgs & { oifs: readonly string[] }, RequestError> {
  const [iif, first, second] = argv;
  if (iif === undefined || first === undefined) return fail(MALFORMED);
  const firstAddr = parseAddr(addrOf(first));
  if (!firstAddr) return fail({ code: 'invalid', message: `mroute: invalid source/group address: ${addrOf(first)}` });
  if (isMulticast(firstAddr)) return ok({ iif, group: first, oifs: argv.slice(2) });
  if (second === undefined) return fail(MALFORMED);
  const groupAddr = parseAddr(addrOf(second));
  if (!groupAddr || !isMulticast(groupAddr)) {
    return fail({ code: 'invalid', message: `mroute: invalid multicast group: ${addrOf(second)}` });
  }
  return ok({ iif, source: first, group: second, oifs: argv.slice(3) });
}

/** IIF [SOURCE] GROUP; as upstream, a source only when there are exactly three words. */
function joinArgs(argv: readonly string[]): Result<FlowArgs, RequestError> {
  const [iif, first, second] = argv;
  if (iif === undefined || first === undefined) return fail(MALFORMED);
  return ok(argv.length === 3 && second !== undefined ? { iif, source: first, group: second } : { iif, group: first });
}

/** A request's words as a checked command, or why not. */
export function decodeCommand(cmd: CommandLetter, argv: readonly string[]): Result<Valid<Command>, RequestError> {
  if (cmd === 'a' || cmd === 'r') {
    const args = routeArgs(argv);
    if (!args.ok) return args;
    const checked = checkRoute(args.value);
    if (!checked.ok) {
      const p = firstProblem(checked.error);
      // Upstream refuses more outbound interfaces than VIFs as a malformed message.
      return fail({ code: p.code === 'oif-count' ? 'malformed' : 'invalid', message: p.message });
    }
    const intent = { ...checked.value.value, origin: 'ipc' };
    return ok({ value: cmd === 'a' ? { op: 'add', intent } : { op: 'remove', intent }, warnings: checked.value.warnings });
  }
  const args = joinArgs(argv);
  if (!args.ok) return args;
  const checked = checkJoin(args.value);
  if (!checked.ok) return fail({ code: 'invalid', message: firstProblem(checked.error).message });
  const intent = { ...checked.value.value, origin: 'ipc' };
  return ok({ value: cmd === 'j' ? { op: 'join', intent } : { op: 'leave', intent }, warnings: checked.value.warnings });
}
