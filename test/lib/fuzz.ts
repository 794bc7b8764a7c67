// Runs fast-check properties with the suite's seeds: fixed per test so CI is repeatable and fast,
// FUZZ_SEED / FUZZ_PATH to replay a failure, FUZZ_SCALE to run longer. No properties here.
import fc from 'fast-check';

export interface FuzzRun {
  /** The test's own seed: a CI failure replays with the same one. */
  readonly seed: number;
  /** Runs in CI; FUZZ_SCALE multiplies it. */
  readonly runs: number;
}

/**
 * The parameters of one run, from the test's defaults and the environment:
 * FUZZ_SEED=N (or "random") and FUZZ_PATH=P replay what a failure printed;
 * FUZZ_SCALE=K runs K times as many cases (e.g. 100 for a long local run).
 */
export function fuzzParameters<T>(run: FuzzRun, env: NodeJS.ProcessEnv = process.env): fc.Parameters<T> {
  const scale = Number(env.FUZZ_SCALE ?? '1');
  const seedText = env.FUZZ_SEED;
  const seed =
    seedText === undefined ? run.seed : seedText === 'random' ? Date.now() ^ (Math.random() * 0x7fffffff) : Number(seedText);
  if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be an integer or "random", got ${seedText}`);
  if (!(scale > 0)) throw new Error(`FUZZ_SCALE must be a positive number, got ${env.FUZZ_SCALE}`);
  return {
    seed,
    numRuns: Math.max(1, Math.round(run.runs * scale)),
    ...(env.FUZZ_PATH !== undefined && { path: env.FUZZ_PATH, endOnFailure: true }),
  };
}

/** fast-check's report, what the property threw, and how to run the failing case again. */
function failure<Ts>(details: fc.RunDetails<Ts>, report: string | undefined): Error {
  const thrown = details.errorInstance;
  const why = thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown);
  const path = details.counterexamplePath;
  const replay = `FUZZ_SEED=${details.seed}${path ? ` FUZZ_PATH=${path}` : ''} node --test <this test file>`;
  return new Error(`${report ?? 'property failed'}\nGot: ${why}\nReplay: ${replay}`);
}

/** Checks a synchronous property; a failure throws fast-check's report with the seed to replay it. */
export function fuzz<Ts>(property: fc.IProperty<Ts>, run: FuzzRun): void {
  const details = fc.check(property, fuzzParameters<Ts>(run));
  if (details.failed) throw failure(details, fc.defaultReportMessage(details));
}

/** As fuzz, for a property whose predicate is async. */
export async function fuzzAsync<Ts>(property: fc.IAsyncProperty<Ts>, run: FuzzRun): Promise<void> {
  const details = await fc.check(property, fuzzParameters<Ts>(run));
  if (details.failed) throw failure(details, fc.defaultReportMessage(details));
}
