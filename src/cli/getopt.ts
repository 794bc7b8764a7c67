// POSIX/GNU getopt(3) option scanning as glibc does it, so our CLIs accept and
// refuse exactly what upstream's do. Pure: returns events, prints nothing.

export type GetoptEvent =
  | { readonly kind: 'option'; readonly opt: string; readonly arg?: string }
  /** The message glibc prints (without the "PROG: " prefix or newline). */
  | { readonly kind: 'error'; readonly opt: string; readonly message: string };

export interface GetoptResult {
  /** Options in the order given, up to and including the first error. */
  readonly events: readonly GetoptEvent[];
  /** Non-option arguments, in order (glibc permutes them behind the options). */
  readonly operands: readonly string[];
}

/**
 * Scans `args` against a getopt optstring such as "bdhi:u:v". Like glibc,
 * options may follow operands unless `posixlyCorrect` (POSIXLY_CORRECT set),
 * "--" ends the options, and a lone "-" is an operand. A long option such as
 * "--help" is read as the option letters "-", "h", ..., so it is refused.
 */
export function getopt(args: readonly string[], optstring: string, posixlyCorrect = false): GetoptResult {
  const takesArg = new Map<string, boolean>();
  for (let i = 0; i < optstring.length; i++) {
    const c = optstring[i]!;
    if (c === ':') continue;
    takesArg.set(c, optstring[i + 1] === ':');
  }

  const events: GetoptEvent[] = [];
  const operands: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a.length < 2 || a[0] !== '-') {
      if (posixlyCorrect) break;
      operands.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      const wants = takesArg.get(c);
      if (wants === undefined) {
        events.push({ kind: 'error', opt: c, message: `invalid option -- '${c}'` });
        return { events, operands: [...operands, ...args.slice(i + 1)] };
      }
      if (!wants) {
        events.push({ kind: 'option', opt: c });
        continue;
      }
      if (j + 1 < a.length) {
        events.push({ kind: 'option', opt: c, arg: a.slice(j + 1) });
      } else if (i + 1 < args.length) {
        events.push({ kind: 'option', opt: c, arg: args[++i]! });
      } else {
        events.push({ kind: 'error', opt: c, message: `option requires an argument -- '${c}'` });
        return { events, operands };
      }
      break;
    }
  }
  return { events, operands: [...operands, ...args.slice(i)] };
}
