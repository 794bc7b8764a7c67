// Option scanning as glibc's getopt_long(3) does it, shared by smcrouted and
// smcroutectl, so both accept and refuse exactly what upstream's programs do
// (commander cannot: it reads "-1" as an operand and words its own errors).
// Prints nothing: errors come back as glibc's message text.

/** What an option tells the scan: carry on, stop here (as -h and -v do), or refuse its argument. */
export type Verdict = void | 'stop' | { readonly error: string };

interface Names {
  /** The letter after "-". */
  readonly short?: string;
  /** The name after "--"; a unique abbreviation is accepted, as glibc does. */
  readonly long?: string;
}

export interface Flag<S> extends Names {
  readonly arg?: undefined;
  apply(state: S): Verdict;
}

export interface WithArg<S> extends Names {
  /** What the argument is, for help texts (e.g. "FILE"). */
  readonly arg: string;
  apply(state: S, value: string): Verdict;
}

export type OptionDef<S> = Flag<S> | WithArg<S>;

export interface GetoptResult {
  /** Non-option arguments in order: glibc permutes them behind the options unless POSIXLY_CORRECT. */
  readonly operands: readonly string[];
  /** An option asked to stop; the arguments after it were not looked at. */
  readonly stopped: boolean;
  /** The message for the first bad option (without "PROG: "); the scan ends there, as upstream exits there. */
  readonly error?: string;
}

type End = Omit<GetoptResult, 'operands'>;
type Step = { readonly next: number } | { readonly end: End };

/**
 * Scans `args`, applying each option to `state` in the order given. "--"
 * ends the options and a lone "-" is an operand.
 */
export function getopt<S>(
  args: readonly string[],
  defs: readonly OptionDef<S>[],
  state: S,
  posixlyCorrect = false,
): GetoptResult {
  const operands: string[] = [];
  let i = 0;
  while (i < args.length) {
    const a = args[i] ?? '';
    if (a === '--') {
      i++;
      break;
    }
    if (a.length < 2 || a[0] !== '-') {
      if (posixlyCorrect) break;
      operands.push(a);
      i++;
      continue;
    }
    const step = a[1] === '-' ? longOption(args, i, defs, state) : shortOptions(args, i, defs, state);
    if ('end' in step) {
      // glibc would go on permuting, but both programs exit at the first
      // error or stop, so what follows never matters.
      return { operands, ...step.end };
    }
    i = step.next;
  }
  return { operands: [...operands, ...args.slice(i)], stopped: false };
}

/** Applies an option; how the scan ends if it does. */
function run<S>(def: OptionDef<S>, state: S, value = ''): End | undefined {
  const verdict = def.arg === undefined ? def.apply(state) : def.apply(state, value);
  if (verdict === 'stop') return { stopped: true };
  if (verdict) return { stopped: false, error: verdict.error };
  return undefined;
}

function step(end: End | undefined, next: number): Step {
  return end ? { end } : { next };
}

const fail = (error: string): Step => ({ end: { stopped: false, error } });

/** "-abc", "-uFILE", "-u FILE", "-pu FILE". */
function shortOptions<S>(args: readonly string[], i: number, defs: readonly OptionDef<S>[], state: S): Step {
  const a = args[i] ?? '';
  for (let j = 1; j < a.length; j++) {
    const c = a[j] ?? '';
    const def = defs.find((d) => d.short === c);
    if (def === undefined) return fail(`invalid option -- '${c}'`);
    if (def.arg === undefined) {
      const end = run(def, state);
      if (end) return { end };
      continue;
    }
    // The rest of the word is the argument, else the next word is, whatever it looks like.
    if (j + 1 < a.length) return step(run(def, state, a.slice(j + 1)), i + 1);
    const value = args[i + 1];
    if (value === undefined) return fail(`option requires an argument -- '${c}'`);
    return step(run(def, state, value), i + 2);
  }
  return { next: i + 1 };
}

/** "--name", "--name=VALUE", "--name VALUE", or an unambiguous abbreviation of the name. */
function longOption<S>(args: readonly string[], i: number, defs: readonly OptionDef<S>[], state: S): Step {
  const a = args[i] ?? '';
  const eq = a.indexOf('=');
  const name = a.slice(2, eq < 0 ? undefined : eq);
  const inline = eq < 0 ? undefined : a.slice(eq + 1);
  const named = defs.filter((d) => d.long !== undefined);
  const exact = named.find((d) => d.long === name);
  const candidates = exact ? [exact] : named.filter((d) => d.long?.startsWith(name));
  const [def] = candidates;
  if (def === undefined) return fail(`unrecognized option '${a}'`);
  if (candidates.length > 1) {
    const list = candidates.map((d) => `'--${d.long ?? ''}'`).join(' ');
    return fail(`option '--${name}' is ambiguous; possibilities: ${list}`);
  }
  const full = `--${def.long ?? name}`;
  if (def.arg === undefined) {
    if (inline !== undefined) return fail(`option '${full}' doesn't allow an argument`);
    return step(run(def, state), i + 1);
  }
  if (inline !== undefined) return step(run(def, state, inline), i + 1);
  const value = args[i + 1];
  if (value === undefined) return fail(`option '${full}' requires an argument`);
  return step(run(def, state, value), i + 2);
}
