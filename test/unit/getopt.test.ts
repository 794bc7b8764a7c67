// The shared option scanner against what glibc's getopt_long does with the
// same arguments (the expected values were taken from a C program calling
// getopt_long with smcroutectl's optstring on this machine's glibc).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getopt, type OptionDef } from '../../src/cli/getopt.js';

/** Records every option as "x" or "x=ARG", in the order applied. */
type Seen = string[];

const flag = (c: string, long?: string): OptionDef<Seen> => ({ short: c, long, apply: (s) => void s.push(c) });
const withArg = (c: string, long?: string): OptionDef<Seen> => ({
  short: c,
  long,
  arg: 'X',
  apply: (s, v) => void s.push(`${c}=${v}`),
});

// smcroutectl's "bdhI:i:jptu:v", plus long options to cover getopt_long.
const DEFS: readonly OptionDef<Seen>[] = [
  flag('b'),
  flag('d'),
  flag('h', 'help'),
  withArg('I'),
  withArg('i'),
  flag('j'),
  flag('p'),
  flag('t'),
  withArg('u'),
  {
    short: 'v',
    long: 'version',
    apply: (s) => {
      s.push('v');
      return 'stop';
    },
  },
  withArg('L', 'log-format'),
  withArg('l', 'log-level'),
];

function scan(args: string[], posixlyCorrect = false) {
  const seen: Seen = [];
  const r = getopt(args, DEFS, seen, posixlyCorrect);
  return { seen, operands: r.operands, error: r.error, stopped: r.stopped };
}

test('combined flags, a glued argument, and an argument-taking letter last in a group', () => {
  assert.deepEqual(scan(['-pu', 'SOCK', 'show']), {
    seen: ['p', 'u=SOCK'],
    operands: ['show'],
    error: undefined,
    stopped: false,
  });
  assert.deepEqual(scan(['-dj', 'show']).seen, ['d', 'j']);
  assert.deepEqual(scan(['-uSOCK', 'show']).seen, ['u=SOCK']);
  assert.deepEqual(scan(['-ud']).seen, ['u=d'], 'the rest of the word is the argument');
  assert.deepEqual(scan(['-u', '-d', 'show']).seen, ['u=-d'], 'the next word is the argument, whatever it looks like');
  assert.deepEqual(scan(['-u', '--', 'show']), { seen: ['u=--'], operands: ['show'], error: undefined, stopped: false });
  assert.deepEqual(scan(['-i', '']).seen, ['i=']);
});

test('operands are permuted behind the options unless POSIXLY_CORRECT', () => {
  assert.deepEqual(scan(['show', 'groups', '-dp']), {
    seen: ['d', 'p'],
    operands: ['show', 'groups'],
    error: undefined,
    stopped: false,
  });
  assert.deepEqual(scan(['show', 'groups', '-dp'], true), {
    seen: [],
    operands: ['show', 'groups', '-dp'],
    error: undefined,
    stopped: false,
  });
  assert.deepEqual(scan(['-d', '-', '-t']).operands, ['-']);
  assert.deepEqual(scan(['-d', '-', '-t']).seen, ['d', 't']);
  assert.deepEqual(scan(['-d', '-', '-t'], true), { seen: ['d'], operands: ['-', '-t'], error: undefined, stopped: false });
});

test('"--" ends the options; after an operand under POSIXLY_CORRECT it is an operand itself', () => {
  assert.deepEqual(scan(['--', '-d', 'show']), { seen: [], operands: ['-d', 'show'], error: undefined, stopped: false });
  assert.deepEqual(scan(['show', '--', '-d']).operands, ['show', '-d']);
  assert.deepEqual(scan(['show', '--', '-d'], true).operands, ['show', '--', '-d']);
});

test("glibc's messages for bad short options; the scan ends at the first", () => {
  assert.equal(scan(['-x', 'show']).error, "invalid option -- 'x'");
  assert.deepEqual(scan(['-dx', 'show']).seen, ['d'], 'letters before the bad one count');
  assert.equal(scan(['show', '-1']).error, "invalid option -- '1'", 'a negative number is an option letter, as in C');
  assert.deepEqual(scan(['show', '-1'], true), { seen: [], operands: ['show', '-1'], error: undefined, stopped: false });
  assert.equal(scan(['-i']).error, "option requires an argument -- 'i'");
  assert.equal(scan(['-di']).error, "option requires an argument -- 'i'");
});

test("long options: exact, abbreviated, =VALUE or the next word, and glibc's messages", () => {
  assert.deepEqual(scan(['--help']).seen, ['h']);
  assert.deepEqual(scan(['--he']).seen, ['h']);
  assert.deepEqual(scan(['--log-format=json']).seen, ['L=json']);
  assert.deepEqual(scan(['--log-f', 'json']).seen, ['L=json']);
  assert.deepEqual(scan(['--log-format=']).seen, ['L=']);
  assert.equal(scan(['--foo=bar']).error, "unrecognized option '--foo=bar'");
  assert.equal(scan(['--log-f']).error, "option '--log-format' requires an argument");
  assert.equal(scan(['--he=1']).error, "option '--help' doesn't allow an argument");
  assert.equal(scan(['--log']).error, "option '--log' is ambiguous; possibilities: '--log-format' '--log-level'");
  assert.deepEqual(scan(['show', '--help']).seen, ['h']);
  assert.deepEqual(scan(['show', '--help'], true).operands, ['show', '--help']);
});

test('an option may stop the scan: what follows is not looked at, not even a bad option', () => {
  assert.deepEqual(scan(['-dv', '-x', 'show']), { seen: ['d', 'v'], operands: [], error: undefined, stopped: true });
  assert.deepEqual(scan(['--version', '--bogus']).stopped, true);
  assert.equal(scan(['-x', '-v']).error, "invalid option -- 'x'", 'but a bad option before it is reported');
});

test("an option may refuse its argument; the message is the option's own", () => {
  const defs: OptionDef<Seen>[] = [
    { short: 't', arg: 'ID', apply: (_s, v) => (/^\d+$/.test(v) ? undefined : { error: `Invalid table: ${v}` }) },
    flag('n'),
  ];
  const seen: Seen = [];
  assert.deepEqual(getopt(['-t', 'x', '-n'], defs, seen), { operands: [], stopped: false, error: 'Invalid table: x' });
  assert.deepEqual(seen, []);
});
