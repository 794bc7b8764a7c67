// Property tests (fast-check, fixed seeds) of the config parser and loader: random text, binary
// bytes, long lines, mutations of the example and test configs, and include graphs with cycles and
// fan-out. Properties: nothing throws, every problem names file:line, each file is read once, the
// bounds hold, and loadConfig reads what a plain recursive reader would.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import fc from 'fast-check';
import type { Diagnostic, Directive, Where } from '../../src/conf/directives.js';
import { escapeGlob } from '../../src/conf/glob.js';
import { loadConfig, type LoadOptions } from '../../src/conf/load.js';
import { parseConfig, parseLine, splitLines, type ConfigResult } from '../../src/conf/parse.js';
import { formatDiagnostic } from '../../src/daemon/config.js';
import { fuzz } from '../lib/fuzz.js';
import { MemConfFs } from '../lib/mem-conf-fs.js';
import { repoPath } from '../lib/paths.js';

const FILE = '/etc/fuzz.conf';

/** Words the grammar knows and near misses, so random lines reach past the first token. */
const WORDS = [
  'mroute',
  'mgroup',
  'ssmgroup',
  'phyint',
  'include',
  'mroutes',
  'phyints',
  'from',
  'source',
  'group',
  'to',
  'enable',
  'disable',
  'mrdisc',
  'ttl-threshold',
  '#',
  '#c',
  'eth0',
  'eth1',
  'eth+',
  '+',
  'eth0:1',
  'lo',
  'x'.repeat(16),
  '.',
  'a/b',
  '225.1.2.3',
  '225.0.0.0/8',
  '225.1.2.3/0',
  '225.1.2.3/33',
  '224.0.0.0/3',
  '232.1.1.1',
  '10.0.0.1',
  '10.0.0.0/24',
  '0.0.0.0',
  '::',
  'ff3e::1',
  'ff2e::/16',
  'ff00::/1',
  'fd00::1',
  '1.2.3.4',
  '300.1.1.1',
  '/',
  '1',
  '255',
  '256',
  '0',
  '-1',
  '*.conf',
  '/nonexistent/*.conf',
];
const SEPARATORS = [' ', '\t', '  ', '\v', '\f', '\r', ' \t '];

const word = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
);
const grammarLine = fc
  .tuple(fc.array(word, { maxLength: 12 }), fc.array(fc.constantFrom(...SEPARATORS), { minLength: 12, maxLength: 12 }))
  .map(([words, seps]) => words.map((w, i) => (i === 0 ? w : `${seps[i] ?? ' '}${w}`)).join(''));
/** Lines around upstream's 512-byte buffer, in one- to four-byte characters. */
const longLine = fc
  .tuple(
    fc.constantFrom('mroute from eth0 group 225.1.2.3 to ', '# ', 'phyint '),
    fc.constantFrom('e', 'é', '€', '😀'),
    fc.integer({ min: 100, max: 2000 }),
  )
  .map(([head, ch, n]) => head + ch.repeat(n));
const randomText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 600, size: 'large' }),
  fc.uint8Array({ maxLength: 600, size: 'large' }).map((b) => Buffer.from(b).toString('utf8')),
  fc.uint8Array({ maxLength: 600, size: 'large' }).map((b) => Buffer.from(b).toString('latin1')),
  fc
    .array(fc.oneof({ weight: 8, arbitrary: grammarLine }, { weight: 1, arbitrary: longLine }), { maxLength: 30, size: 'medium' })
    .map((l) => l.join('\n')),
);

/** The example file and every config line quoted in the tests: the corpus mutations start from. */
function corpus(): string[] {
  const texts = [readFileSync(repoPath('conf', 'smcroute.conf'), 'utf8')];
  const lines: string[] = [];
  for (const dir of ['unit', 'kernel']) {
    for (const name of readdirSync(repoPath('test', dir))) {
      if (!name.endsWith('.test.ts')) continue;
      const src = readFileSync(repoPath('test', dir, name), 'utf8');
      for (const m of src.matchAll(/'((?:mroute|mgroup|ssmgroup|phyint|include) [^'\n]*)'/g)) {
        lines.push(...(m[1] ?? '').split('\\n').filter((l) => l !== ''));
      }
    }
  }
  // Whole test files' worth of lines as a few configs of about 40 lines.
  for (let i = 0; i < lines.length; i += 40) texts.push(lines.slice(i, i + 40).join('\n'));
  return texts;
}

/** One edit at positions given as plain numbers (taken modulo the text's size). */
type Mutation = [op: number, a: number, b: number, s: string];
const MUTATIONS = 10;
const mutation: fc.Arbitrary<Mutation> = fc.tuple(
  fc.nat(MUTATIONS - 1),
  fc.nat(),
  fc.nat(),
  fc.oneof(word, fc.string({ unit: 'binary', maxLength: 8 })),
);

function mutate(text: string, [op, a, b, s]: Mutation): string {
  const lines = text.split('\n');
  const li = a % lines.length;
  const lj = b % lines.length;
  const at = text.length === 0 ? 0 : a % text.length;
  switch (op) {
    case 0: // drop a line
      return lines.filter((_, i) => i !== li).join('\n');
    case 1: // repeat a line
      return [...lines.slice(0, li + 1), lines[li] ?? '', ...lines.slice(li + 1)].join('\n');
    case 2: {
      // swap two lines
      const out = [...lines];
      [out[li], out[lj]] = [lines[lj] ?? '', lines[li] ?? ''];
      return out.join('\n');
    }
    case 3: {
      // replace one word of a line
      const words = (lines[li] ?? '').split(' ');
      words[b % words.length] = s;
      lines[li] = words.join(' ');
      return lines.join('\n');
    }
    case 4: // insert text
      return text.slice(0, at) + s + text.slice(at);
    case 5: // one character becomes another code point
      return (
        text.slice(0, at) +
        String.fromCodePoint(b % 0x110000 >= 0xd800 && b % 0x110000 < 0xe000 ? 0xfffd : b % 0x110000) +
        text.slice(at + 1)
      );
    case 6: // truncate
      return text.slice(0, at);
    case 7: // binary bytes, NUL among them
      return text.slice(0, at) + '\0\x01\xff\ufffd' + s + text.slice(at);
    case 8: // join two lines
      return lines.slice(0, li).join('\n') + (li > 0 ? '\n' : '') + lines.slice(li).join(' ');
    default: // lengthen a line past the 512-byte buffer
      lines[li] = (lines[li] ?? '') + ' eth9'.repeat(100 + (b % 20));
      return lines.join('\n');
  }
}

/** The checks every parse must pass; returns the result for more. */
function checkResult(r: ConfigResult, lineCounts: ReadonlyMap<string, number>): void {
  const errorLines = new Set<string>();
  const inRange = (w: Where) => {
    const n = lineCounts.get(w.file);
    assert.ok(n !== undefined, `unknown file ${w.file}`);
    assert.ok(Number.isInteger(w.line) && w.line >= 1 && w.line <= n, `${w.file}:${w.line} outside 1..${n}`);
  };
  for (const d of r.diagnostics) {
    inRange(d.where);
    assert.ok(d.severity === 'error' || d.severity === 'warning');
    assert.ok(d.message.length > 0);
    // What the operator reads starts with the file and line.
    assert.ok(formatDiagnostic(d).startsWith(`${d.where.file}:${d.where.line}: ${d.severity}: `), formatDiagnostic(d));
    if (d.severity === 'error') errorLines.add(`${d.where.file}:${d.where.line}`);
  }
  for (const d of r.directives) {
    inRange(d.where);
    assert.ok(
      !errorLines.has(`${d.where.file}:${d.where.line}`),
      `a directive from a refused line ${d.where.file}:${d.where.line}`,
    );
  }
}

const atLine = <T extends { where: Where }>(x: T, line: number): T => ({ ...x, where: { ...x.where, line } });

/** Parses the text as a file and line by line: the same directives and diagnostics, line for line. */
function checkText(text: string): void {
  const r = parseConfig(text, FILE);
  const lines = splitLines(text);
  checkResult(r, new Map([[FILE, lines.length]]));
  const byLine: Array<{ directives: Directive[]; diagnostics: Diagnostic[] }> = lines.map(() => ({
    directives: [],
    diagnostics: [],
  }));
  for (const d of r.directives) byLine[d.where.line - 1]?.directives.push(d);
  for (const d of r.diagnostics) byLine[d.where.line - 1]?.diagnostics.push(d);
  lines.forEach((line, i) => {
    const alone = parseConfig(line, FILE);
    const expected = byLine[i];
    assert.deepEqual(
      alone.directives.map((d) => atLine(d, i + 1)),
      expected?.directives,
      `line ${i + 1}`,
    );
    assert.deepEqual(
      alone.diagnostics.map((d) => atLine(d, i + 1)),
      expected?.diagnostics,
      `line ${i + 1}`,
    );
  });
}

test('fuzz: random text, binary bytes and long lines never throw; every problem names its line; lines parse alone the same', () => {
  fuzz(fc.property(randomText, checkText), { seed: 0x5eed01, runs: 1000 });
});

test('fuzz: mutations of conf/smcroute.conf and of the configs in the tests', () => {
  const texts = corpus();
  assert.ok(texts.length > 3, 'the corpus found the test configs');
  fuzz(
    fc.property(fc.nat(texts.length - 1), fc.array(mutation, { minLength: 1, maxLength: 8 }), (i, edits) => {
      checkText(edits.reduce(mutate, texts[i] ?? ''));
    }),
    { seed: 0x5eed02, runs: 1000 },
  );
});

// ---- include graphs ----

const DIR_FILES = [
  '/c/f0.conf',
  '/c/f1.conf',
  '/c/f2.conf',
  '/c/f3.conf',
  '/c/f10.conf',
  '/c/sub/s0.conf',
  '/c/sub/s1.conf',
  '/c/note.txt',
];
const PATTERNS = [
  '*.conf',
  '*',
  'f?.conf',
  'f[0-2].conf',
  'sub/*.conf',
  '../c/*.conf',
  '*/*.conf',
  '/c/f1.conf',
  'f0.conf',
  '/c/sub/../f2.conf',
  './f3.conf',
  'nope.conf',
  'sub',
  's*.conf',
  '../*.conf',
  '/c/*/*',
];
const graphLine = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...PATTERNS).map((p) => `include ${p}`) },
  {
    weight: 3,
    arbitrary: fc.constantFrom('phyint eth0', 'mroute from eth0 group 225.1.2.3 to eth1', 'mgroup from eth1 group 225.9.9.9'),
  },
  { weight: 1, arbitrary: grammarLine },
);
const graph = fc.tuple(
  fc.array(fc.array(graphLine, { maxLength: 8 }), { minLength: DIR_FILES.length, maxLength: DIR_FILES.length }),
  fc.oneof(
    fc.constant<LoadOptions>({}),
    fc.record({
      maxDepth: fc.integer({ min: 0, max: 6 }),
      maxFiles: fc.integer({ min: 1, max: 10 }),
      maxDirectives: fc.integer({ min: 1, max: 40 }),
      maxDiagnostics: fc.integer({ min: 1, max: 20 }),
    }),
  ),
);

/**
 * What loadConfig must read, as the simplest recursive reader: depth-first, each file once, a
 * file still open never again, nothing deeper than maxDepth. No other bound.
 */
function reference(top: string, fs: MemConfFs, maxDepth: number): { files: string[]; tried: number; directives: string[] } {
  const files: string[] = [];
  const directives: string[] = [];
  const seen = new Set<string>();
  const read = (file: string, depth: number) => {
    seen.add(posix.normalize(file));
    const text = fs.files.get(posix.normalize(file));
    if (text === undefined) return;
    files.push(file);
    splitLines(text).forEach((line, i) => {
      const where = { file, line: i + 1 };
      const sink = { directive: (d: Directive) => directives.push(`${d.where.file}:${d.where.line}`), diagnostic: () => {} };
      const pattern = parseLine(line, where, sink);
      if (pattern === undefined || depth >= maxDepth) return;
      const resolved = pattern.startsWith('/') ? pattern : `${escapeGlob(posix.dirname(file))}/${pattern}`;
      for (const m of fs.glob(resolved)) if (!seen.has(posix.normalize(m))) read(m, depth + 1);
    });
  };
  read(top, 0);
  return { files, tried: seen.size, directives };
}

test('fuzz: include graphs with cycles and fan-out: each file read once, bounds hold, same reading as a recursive reader', () => {
  fuzz(
    fc.property(graph, ([texts, opts]) => {
      const fs = new MemConfFs(new Map(DIR_FILES.map((f, i) => [f, (texts[i] ?? []).join('\n')])));
      const r = loadConfig('/c/f0.conf', fs, opts);
      for (const [path, n] of fs.reads) assert.equal(n, 1, `${path} read ${n} times`);
      assert.equal(new Set(r.files.map((f) => posix.normalize(f))).size, r.files.length);
      const maxFiles = opts.maxFiles ?? 1000;
      const maxDirectives = opts.maxDirectives ?? 1_000_000;
      const maxDiagnostics = opts.maxDiagnostics ?? 1000;
      assert.ok(r.files.length <= maxFiles);
      assert.ok(r.directives.length <= maxDirectives);
      // The two bounds said once each are listed past the diagnostic bound, then the count of the rest.
      assert.ok(r.diagnostics.length <= maxDiagnostics + 3);
      checkResult(r, new Map(r.files.map((f) => [f, splitLines(fs.files.get(posix.normalize(f)) ?? '').length])));

      const ref = reference('/c/f0.conf', fs, opts.maxDepth ?? 16);
      const said = (re: RegExp) => r.diagnostics.some((d) => re.test(d.message));
      const filesCapped = said(/^include: more than \d+ files in one configuration/);
      const directivesCapped = said(/^more than \d+ directives in one configuration/);
      const got = r.directives.map((d) => `${d.where.file}:${d.where.line}`);
      assert.deepEqual(r.files, ref.files.slice(0, r.files.length), 'files read in the same order');
      if (filesCapped) assert.ok(fs.reads.size === maxFiles && ref.tried > maxFiles);
      else if (directivesCapped) assert.deepEqual(got, ref.directives.slice(0, maxDirectives));
      else {
        assert.deepEqual(r.files, ref.files);
        assert.deepEqual(got, ref.directives);
      }
      if (!directivesCapped) assert.equal(filesCapped, ref.tried > maxFiles);
      if (directivesCapped) assert.ok(ref.directives.length > maxDirectives);
    }),
    { seed: 0x5eed03, runs: 1000 },
  );
});
