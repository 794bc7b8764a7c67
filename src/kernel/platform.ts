// Whether this build can run here: the struct layouts in structs.ts are x86_64 Linux with glibc
// (libc.so.6), so anything else is refused at start, before libc is loaded. Decides, never exits.

import { readFileSync } from 'node:fs';
import { fail, ok, type Result } from '../result.js';
import { LAYOUTS, type Layout } from './structs.js';

/** What the running Node.js says about the machine. */
export interface PlatformFacts {
  /** process.platform: 'linux', ... */
  readonly platform: string;
  /** process.arch: 'x64', 'arm64', ... */
  readonly arch: string;
  /** Where glibc's libc.so.6 is mapped when Node.js runs on glibc; undefined on musl and others. */
  readonly glibc?: string;
}

/** The one platform the layouts were written and checked for. */
const SUPPORTED = { platform: 'linux', arch: 'x64', libc: 'glibc' } as const;

/**
 * Facts of the running process. glibc is found among the process's mappings: Node.js's own
 * report (process.report) says so too, but gathering it costs about 5 ms of every start.
 */
export function platformFacts(): PlatformFacts {
  const facts = { platform: process.platform, arch: process.arch };
  let maps: string;
  try {
    maps = readFileSync('/proc/self/maps', 'latin1');
  } catch {
    return facts; // no /proc: not Linux as this build knows it
  }
  const glibc = /\s(\/\S*\/libc\.so\.6)$/m.exec(maps)?.[1];
  return glibc === undefined ? facts : { ...facts, glibc };
}

/** Refuses what is not x86_64 Linux with glibc, naming what was found. */
export function checkPlatform(f: PlatformFacts): Result {
  if (f.platform !== SUPPORTED.platform) return fail(`unsupported operating system ${f.platform}: smcrouted runs on Linux only`);
  if (f.arch !== SUPPORTED.arch) {
    return fail(`unsupported architecture ${f.arch}: this build lays out kernel and libc structures for x64 (x86_64) only`);
  }
  if (f.glibc === undefined) {
    return fail(`unsupported C library: this build needs glibc (libc.so.6), and Node.js here runs on another (musl?)`);
  }
  return ok();
}

/** Every difference between the layouts the code assumes and those measured here, as one line. */
export function compareLayouts(expected: Readonly<Record<string, Layout>>, measured: Readonly<Record<string, Layout>>): Result {
  const problems: string[] = [];
  for (const [name, want] of Object.entries(expected)) {
    const got = measured[name];
    if (!got) {
      problems.push(`${name} not measured`);
      continue;
    }
    if (got.size !== want.size) problems.push(`${name} is ${got.size} bytes, not ${want.size}`);
    for (const [field, at] of Object.entries(want.offsets ?? {})) {
      const real = got.offsets?.[field];
      if (real !== at) problems.push(`${name}.${field} is at ${real ?? '?'}, not ${at}`);
    }
  }
  return problems.length === 0 ? ok() : fail(problems.join('; '));
}

/**
 * The whole check: the platform first (libc is loaded only once it passed, since loading
 * libc.so.6 is itself what fails without glibc), then every layout as koffi computes it here.
 */
export async function verifyPlatform(facts: PlatformFacts = platformFacts()): Promise<Result> {
  const supported = checkPlatform(facts);
  if (!supported.ok) return supported;
  const { measureLayouts } = await import('./ffi.js');
  const same = compareLayouts(LAYOUTS, measureLayouts(LAYOUTS));
  if (same.ok) return same;
  return fail(`struct layouts on ${facts.arch} with glibc (${facts.glibc ?? '?'}) differ from this build's: ${same.error}`);
}
