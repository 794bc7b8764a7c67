// The manual pages in man/: each renders through the real man(1) without a single warning, and
// they keep up with the code: every option the two parsers know and every smcroutectl command has
// its own entry, and no entry documents an option that is gone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPTIONS as DAEMON_OPTIONS } from '../../src/cli/smcrouted-options.js';
import { COMMANDS, OPTIONS as CTL_OPTIONS } from '../../src/cli/smcroutectl.js';
import { manSkipReason, runMan } from '../lib/man.js';
import { repoPath } from '../lib/paths.js';

const PAGES = ['smcrouted.8', 'smcroutectl.8', 'smcroute.conf.5'];
const skip = manSkipReason();

/** The roff source of one section (from `.Sh NAME` to the next `.Sh`). */
function section(page: string, name: string): string {
  const src = readFileSync(repoPath('man', page), 'utf8');
  const start = src.indexOf(`\n.Sh ${name}\n`);
  assert.ok(start >= 0, `${page} has no ${name} section`);
  const end = src.indexOf('\n.Sh ', start + 1);
  return src.slice(start, end < 0 ? undefined : end);
}

/**
 * The option names an OPTIONS section gives an entry of its own: every `Fl X` on an `.It` line,
 * as "-X" or "--long" (roff writes the second dash as `\-`).
 */
function documentedOptions(page: string): Set<string> {
  const names = new Set<string>();
  for (const line of section(page, 'OPTIONS').split('\n')) {
    if (!line.startsWith('.It ')) continue;
    for (const m of line.matchAll(/\bFl (\S+)/g)) names.add(`-${(m[1] ?? '').replace(/\\-/g, '-')}`);
  }
  return names;
}

/** "-X" and "--long" for each entry of an option table. */
function knownOptions(table: readonly { readonly short?: string; readonly long?: string }[]): Set<string> {
  const names = new Set<string>();
  for (const o of table) {
    if (o.short !== undefined) names.add(`-${o.short}`);
    if (o.long !== undefined) names.add(`--${o.long}`);
  }
  return names;
}

for (const page of PAGES) {
  test(`man/${page} renders without a warning at 60, 80 and 132 columns`, { skip }, () => {
    for (const width of [60, 80, 132]) {
      const r = runMan(['-l', repoPath('man', page)], width);
      assert.equal(r.stderr, '', `man --warnings -l man/${page} at ${width} columns`);
      assert.equal(r.status, 0);
      assert.match(r.text, /^NAME$/m, `man/${page} rendered to something with a NAME section`);
    }
  });
}

test('the render check does see a warning: a page with an unknown macro fails it', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'smct-man-'));
  try {
    const bad = join(dir, 'bad.8');
    writeFileSync(bad, '.Dd November 30, 2026\n.Dt BAD 8\n.Os Linux\n.Sh NAME\n.Nm bad\n.Nd broken\n.Sh DESCRIPTION\n.Zz oops\n');
    assert.match(runMan(['-l', bad]).stderr, /warning: macro 'Zz' not defined/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('smcrouted.8 has an entry for every option smcrouted knows, and for no other', () => {
  assert.deepEqual([...documentedOptions('smcrouted.8')].sort(), [...knownOptions(DAEMON_OPTIONS)].sort());
});

test('smcroutectl.8 has an entry for every option smcroutectl knows, and for no other', () => {
  assert.deepEqual([...documentedOptions('smcroutectl.8')].sort(), [...knownOptions(CTL_OPTIONS)].sort());
});

test('smcroutectl.8 documents every command, aliases included', () => {
  const commands = section('smcroutectl.8', 'COMMANDS');
  for (const c of COMMANDS) {
    // A command with help text has an entry; an alias is named within its main command's entry.
    const want = c.help !== undefined ? new RegExp(`^\\.It Cm ${c.name}\\b`, 'm') : new RegExp(`^\\.Cm ${c.name}$`, 'm');
    assert.match(commands, want, `smcroutectl ${c.name}`);
  }
});
