// Unit tests for src/conf/load.ts: include expansion over an in-memory ConfFs, each file read
// once, and the bounds of one load (depth, files, directives, diagnostics).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { hasGlobMagic } from '../../src/conf/glob.js';
import { loadConfig, type ConfFs } from '../../src/conf/load.js';
import type { ConfigResult } from '../../src/conf/parse.js';

/** An in-memory ConfFs: files by path, glob answers by pattern (plain paths: present or not). */
function memFs(files: Record<string, string>, globs: Record<string, string[]> = {}): ConfFs & { globbed: string[] } {
  const globbed: string[] = [];
  return {
    globbed,
    // Like the kernel, resolve "." and ".." when looking a path up.
    readFile(path) {
      path = posix.normalize(path);
      if (path in files) return files[path]!;
      throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    },
    glob(pattern) {
      globbed.push(pattern);
      if (hasGlobMagic(pattern)) return globs[pattern] ?? [];
      return posix.normalize(pattern) in files ? [pattern] : [];
    },
  };
}

const names = (r: ConfigResult) => r.directives.map((d) => (d.kind === 'phyint' ? d.ifname : d.kind));

test('loadConfig: nested includes in reading order, relative to the including file', () => {
  const fs = memFs(
    {
      '/etc/smcroute.conf': 'phyint a\ninclude smcroute.d/*.conf\nphyint z',
      '/etc/smcroute.d/10-b.conf': 'phyint b\ninclude ../more.conf',
      '/etc/smcroute.d/20-c.conf': 'phyint c',
      '/etc/more.conf': 'phyint m',
    },
    { '/etc/smcroute.d/*.conf': ['/etc/smcroute.d/10-b.conf', '/etc/smcroute.d/20-c.conf'] },
  );
  const r = loadConfig('/etc/smcroute.conf', fs);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(names(r), ['a', 'b', 'm', 'c', 'z']);
  assert.deepEqual(r.files, [
    '/etc/smcroute.conf',
    '/etc/smcroute.d/10-b.conf',
    '/etc/smcroute.d/../more.conf',
    '/etc/smcroute.d/20-c.conf',
  ]);
  assert.deepEqual(fs.globbed, ['/etc/smcroute.d/*.conf', '/etc/smcroute.d/../more.conf']);
  assert.deepEqual(r.directives[2]!.where, { file: '/etc/smcroute.d/../more.conf', line: 1 });
});

test('loadConfig: absolute patterns are used as is; a relative top file keeps relative includes', () => {
  const fs = memFs({ 'main.conf': 'include /abs/x.conf\ninclude sub.conf', '/abs/x.conf': 'phyint x', 'sub.conf': 'phyint s' });
  const r = loadConfig('main.conf', fs);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(names(r), ['x', 's']);
  assert.deepEqual(fs.globbed, ['/abs/x.conf', 'sub.conf']);
});

test('loadConfig: the including directory is glob-escaped', () => {
  const fs = memFs({ '/etc/conf[1]/main.conf': 'include *.conf' }, { '/etc/conf\\[1\\]/*.conf': [] });
  loadConfig('/etc/conf[1]/main.conf', fs);
  assert.deepEqual(fs.globbed, ['/etc/conf\\[1\\]/*.conf']);
});

test('loadConfig: a named include that is absent warns; an empty wildcard is silent', () => {
  const fs = memFs({ '/etc/s.conf': 'include /etc/nope.conf\ninclude /etc/smcroute.d/*.conf\nphyint a' });
  const r = loadConfig('/etc/s.conf', fs);
  assert.deepEqual(names(r), ['a']);
  assert.deepEqual(r.diagnostics, [
    { where: { file: '/etc/s.conf', line: 1 }, severity: 'warning', message: 'include: /etc/nope.conf does not exist' },
  ]);
});

test('loadConfig: an included file that cannot be read warns at the include line', () => {
  const fs: ConfFs = {
    readFile(path) {
      if (path === '/m.conf') return 'include /d/*\nphyint a';
      throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
    },
    glob: () => ['/d/sub'],
  };
  const r = loadConfig('/m.conf', fs);
  assert.deepEqual(names(r), ['a']);
  assert.deepEqual(r.diagnostics, [
    { where: { file: '/m.conf', line: 1 }, severity: 'warning', message: 'include: cannot read /d/sub: EISDIR' },
  ]);
  assert.deepEqual(r.files, ['/m.conf']);
});

test('loadConfig: a missing top file is a warning on line 0 and nothing is read', () => {
  const r = loadConfig('/etc/none.conf', memFs({}));
  assert.deepEqual(r, {
    directives: [],
    diagnostics: [
      {
        where: { file: '/etc/none.conf', line: 0 },
        severity: 'warning',
        message: 'configuration file /etc/none.conf does not exist',
      },
    ],
    files: [],
  });
  const denied: ConfFs = {
    readFile: () => {
      throw Object.assign(new Error('x'), { code: 'EACCES' });
    },
    glob: () => [],
  };
  assert.equal(loadConfig('/etc/x.conf', denied).diagnostics[0]!.message, 'cannot read /etc/x.conf: EACCES');
});

test('loadConfig: include cycles are refused, not followed forever', () => {
  const fs = memFs({
    '/a.conf': 'phyint a\ninclude /b.conf',
    '/b.conf': 'phyint b\ninclude ./a.conf\ninclude /b.conf\nphyint b2',
  });
  const r = loadConfig('/a.conf', fs);
  assert.deepEqual(names(r), ['a', 'b', 'b2']);
  assert.deepEqual(
    r.diagnostics.map((d) => [d.where.file, d.where.line, d.severity]),
    [
      ['/b.conf', 2, 'error'],
      ['/b.conf', 3, 'error'],
    ],
  );
  assert.match(r.diagnostics[0]!.message, /include: \/\.\/a\.conf is already being read \(include cycle\), skipped/);
  assert.match(r.diagnostics[1]!.message, /include: \/b\.conf is already being read/);
  // Relative to "/": no doubled slash.
  assert.deepEqual(fs.globbed, ['/b.conf', '/./a.conf', '/b.conf']);
});

test('loadConfig: a file included twice side by side is read once, without a word: not a cycle', () => {
  const fs = memFs({ '/m.conf': 'include /x.conf\ninclude /x.conf\ninclude /./x.conf', '/x.conf': 'phyint x' });
  const r = loadConfig('/m.conf', fs);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(names(r), ['x']);
  assert.deepEqual(r.files, ['/m.conf', '/x.conf']);
});

test('loadConfig: include nesting is limited', () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 30; i++) files[`/f${i}.conf`] = `phyint e${i}\ninclude /f${i + 1}.conf`;
  const r = loadConfig('/f0.conf', memFs(files), { maxDepth: 5 });
  assert.deepEqual(names(r), ['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
  assert.equal(r.diagnostics.length, 1);
  assert.deepEqual(r.diagnostics[0]!.where, { file: '/f5.conf', line: 2 });
  assert.match(r.diagnostics[0]!.message, /nested more than 5 levels deep, \/f6\.conf not read/);
  // The default limit also stops an endless chain.
  const deep = loadConfig('/f0.conf', memFs(files));
  assert.equal(deep.diagnostics.filter((d) => d.severity === 'error').length, 1);
});

/** A ConfFs over a flat directory that really globs: `*` and `?` against the names in it. */
function dirFs(files: Map<string, string>): ConfFs & { reads: number } {
  const fs = {
    reads: 0,
    readFile(path: string): string {
      fs.reads++;
      const text = files.get(posix.normalize(path));
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return text;
    },
    glob(pattern: string): string[] {
      const re = new RegExp(
        `^${pattern
          .replace(/[.+^${}()|\\]/g, '\\$&')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]')}$`,
      );
      return [...files.keys()].filter((f) => re.test(f)).sort();
    },
  };
  return fs;
}

/** n files /d/f001.conf ... (numbers padded to `width` digits) each holding `text(i)`. */
function numbered(n: number, text: (i: number) => string, width = 3): Map<string, string> {
  return new Map(Array.from({ length: n }, (_, i) => [`/d/f${String(i + 1).padStart(width, '0')}.conf`, text(i + 1)]));
}

test('loadConfig: nine files that each include *.conf: each read once, one cycle error per include line', () => {
  // This crashed -F with "Maximum call stack size exceeded"; eight files gave 95,901 diagnostics.
  const fs = dirFs(numbered(9, (i) => `phyint e${i}\ninclude *.conf`));
  const r = loadConfig('/d/f001.conf', fs);
  assert.equal(fs.reads, 9);
  assert.equal(r.files.length, 9);
  assert.deepEqual(names(r), ['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9']);
  assert.deepEqual(
    r.diagnostics.map((d) => `${d.where.file}:${d.where.line} ${d.severity}`),
    Array.from({ length: 9 }, (_, i) => `/d/f00${i + 1}.conf:2 error`),
  );
  assert.equal(r.diagnostics[0]!.message, 'include: /d/f001.conf is already being read (include cycle), skipped');
  assert.equal(
    r.diagnostics[8]!.message,
    'include: /d/f001.conf, /d/f002.conf, /d/f003.conf and 6 more are already being read (include cycle), skipped',
  );
});

test('loadConfig: 300 files that each include *.conf: bounded work, every file once, every diagnostic at an include line', () => {
  const fs = dirFs(numbered(300, (i) => `phyint e${i}\ninclude *.conf`));
  const r = loadConfig('/d/f001.conf', fs);
  assert.equal(fs.reads, 300);
  assert.equal(new Set(r.files).size, 300);
  assert.equal(r.directives.length, 300);
  // One per file: a cycle for the first 16 (depth 0 to 15), too deep for the rest (depth 16).
  assert.equal(r.diagnostics.length, 300);
  assert.ok(r.diagnostics.every((d) => d.where.line === 2 && d.severity === 'error'));
  assert.equal(r.diagnostics.filter((d) => /include cycle/.test(d.message)).length, 16);
  assert.equal(r.diagnostics.filter((d) => /nested more than 16 levels deep/.test(d.message)).length, 284);
});

test('loadConfig: at most maxFiles files per load; the error names the include line and the first file left out', () => {
  const files = numbered(20, (i) => `phyint e${i}`);
  files.set('/d/main.conf', 'include f*.conf\nphyint last\ninclude f*.conf\ninclude other.conf');
  files.set('/d/other.conf', 'phyint other');
  const r = loadConfig('/d/main.conf', dirFs(files), { maxFiles: 5 });
  assert.deepEqual(r.files, ['/d/main.conf', '/d/f001.conf', '/d/f002.conf', '/d/f003.conf', '/d/f004.conf']);
  assert.deepEqual(names(r), ['e1', 'e2', 'e3', 'e4', 'last']);
  // Said once: the later includes are skipped quietly.
  assert.deepEqual(r.diagnostics, [
    {
      where: { file: '/d/main.conf', line: 1 },
      severity: 'error',
      message: 'include: more than 5 files in one configuration; /d/f005.conf and every later include not read',
    },
  ]);
});

test('loadConfig: the default file bound is 1000', () => {
  const files = numbered(1200, () => '', 4);
  files.set('/d/main.conf', 'include f*.conf');
  const r = loadConfig('/d/main.conf', dirFs(files));
  assert.equal(r.files.length, 1000);
  assert.equal(r.diagnostics.length, 1);
  assert.match(r.diagnostics[0]!.message, /more than 1000 files in one configuration; \/d\/f1000\.conf and every later/);
});

test('loadConfig: an included file with 150,000 directives loads whole (a spread of it overflowed the stack)', () => {
  const big = 'phyint eth0\n'.repeat(150_000);
  const r = loadConfig('/m.conf', memFs({ '/m.conf': 'include /big.conf\nphyint end', '/big.conf': big }));
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.directives.length, 150_001);
  assert.deepEqual(r.directives.at(-1)!.where, { file: '/m.conf', line: 2 });
});

test('loadConfig: at most maxDirectives directives; the error names the line where the bound was hit and reading stops', () => {
  const sub = Array.from({ length: 10 }, (_, i) => `phyint s${i}`).join('\n');
  const fs = memFs({ '/m.conf': 'phyint a\ninclude /sub.conf\nphyint z\nbogus', '/sub.conf': sub });
  const r = loadConfig('/m.conf', fs, { maxDirectives: 5 });
  assert.deepEqual(names(r), ['a', 's0', 's1', 's2', 's3']);
  assert.deepEqual(r.diagnostics, [
    {
      where: { file: '/sub.conf', line: 5 },
      severity: 'error',
      message: 'more than 5 directives in one configuration; this line and all after it not read',
    },
  ]);
  // Exactly at the bound is fine.
  assert.deepEqual(loadConfig('/sub.conf', fs, { maxDirectives: 10 }).diagnostics, []);
});

test('loadConfig: at most maxDiagnostics diagnostics are listed; one last line counts the rest from where they start', () => {
  const text = ['phyint ok', ...Array.from({ length: 30 }, (_, i) => (i % 3 === 2 ? 'include a.conf b.conf' : `bogus${i}`))];
  const fs = memFs({ '/m.conf': text.join('\n'), '/a.conf': '' });
  const r = loadConfig('/m.conf', fs, { maxDiagnostics: 10 });
  assert.equal(r.diagnostics.length, 11);
  assert.deepEqual(
    r.diagnostics.slice(0, 10).map((d) => d.where.line),
    [2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
  );
  assert.deepEqual(r.diagnostics[10], {
    where: { file: '/m.conf', line: 12 },
    severity: 'error',
    message: '20 more problems not listed: 13 errors (the first on this line), 7 warnings',
  });
  // Warnings alone: the count points at the first of them.
  const warned = loadConfig('/m.conf', memFs({ '/m.conf': 'include /a.conf x\n'.repeat(5), '/a.conf': '' }), {
    maxDiagnostics: 2,
  });
  assert.deepEqual(warned.diagnostics.at(-1), {
    where: { file: '/m.conf', line: 3 },
    severity: 'warning',
    message: '3 more warnings not listed, the first on this line',
  });
  assert.deepEqual(names(r), ['ok']);
});

test('loadConfig: a glob that throws is a warning at the include line; the rest is read', () => {
  const fs: ConfFs = {
    readFile: (path) => (path === '/m.conf' ? 'include /d/*.conf\nphyint a' : ''),
    glob: () => {
      throw Object.assign(new Error('too many'), { code: 'EMFILE' });
    },
  };
  const r = loadConfig('/m.conf', fs);
  assert.deepEqual(names(r), ['a']);
  assert.deepEqual(r.diagnostics, [
    { where: { file: '/m.conf', line: 1 }, severity: 'warning', message: 'include: cannot expand /d/*.conf: EMFILE' },
  ]);
});

test('loadConfig: a chain of 20,000 nested includes needs no recursion (bounds lifted)', () => {
  const n = 20_000;
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) files[`/f${i}.conf`] = `include /f${i + 1}.conf\nphyint e${i}`;
  files[`/f${n}.conf`] = 'phyint deepest';
  const r = loadConfig('/f0.conf', memFs(files), { maxDepth: Infinity, maxFiles: Infinity });
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.files.length, n + 1);
  assert.equal(names(r)[0], 'deepest');
  assert.equal(names(r).at(-1), 'e0');
});

test('loadConfig: the file bound is said once, even with includes still open in the files above', () => {
  // Found by the include-graph fuzz test: each open include used to report it again.
  const files = numbered(6, (i) => (i < 4 ? 'include f*.conf' : ''));
  const r = loadConfig('/d/f001.conf', dirFs(files), { maxFiles: 3 });
  assert.equal(r.files.length, 3);
  assert.equal(r.diagnostics.filter((d) => /more than 3 files/.test(d.message)).length, 1);
});

test('loadConfig: a path that cannot be read is tried once and reported at the first include naming it', () => {
  const fs = memFs({ '/m.conf': 'include /gone.conf\ninclude /sub.conf\ninclude /gone.conf', '/sub.conf': 'include /gone.conf' });
  let tries = 0;
  const counting: ConfFs = {
    readFile: (p) => {
      if (p === '/gone.conf') tries++;
      return fs.readFile(p);
    },
    glob: (p) => (p === '/gone.conf' ? ['/gone.conf'] : fs.glob(p)),
  };
  const r = loadConfig('/m.conf', counting);
  assert.equal(tries, 1);
  assert.deepEqual(r.diagnostics, [
    { where: { file: '/m.conf', line: 1 }, severity: 'warning', message: 'include: cannot read /gone.conf: ENOENT' },
  ]);
});
