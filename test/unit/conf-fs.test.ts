// Unit tests for src/conf/fs.ts and src/conf/glob.ts: glob(3)-like expansion on a temp dir,
// and loadConfig end to end over the real file system.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { globSync, nodeConfFs } from '../../src/conf/fs.js';
import { compareBytes, compileComponent, escapeGlob, hasGlobMagic, unescapeGlob } from '../../src/conf/glob.js';
import { loadConfig } from '../../src/conf/load.js';

let root = '';

function touch(rel: string, text = ''): void {
  const path = join(root, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

/** Globs under the temp dir and strips its prefix from the answers. */
function g(pattern: string): string[] {
  const prefix = `${escapeGlob(root)}/`;
  return globSync(prefix + pattern).map((p) => p.slice(root.length + 1));
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'smct-conf-'));
  for (const f of [
    'a.conf',
    'b.conf',
    'B.conf',
    'c.txt',
    'ab.conf',
    '10.conf',
    '9.conf',
    '.hidden.conf',
    'x1.conf',
    'x2.conf',
    'xa.conf',
    'star*.conf',
    'd1/one.conf',
    'd2/two.conf',
    'd2/three.txt',
    'e/.h/in.conf',
    'br[1]/k.conf',
  ])
    touch(f);
  mkdirSync(join(root, 'emptydir'));
  symlinkSync('a.conf', join(root, 'link.conf'));
  symlinkSync('missing-target', join(root, 'dangling.conf'));
});

after(() => {
  rmSync(root, { recursive: true, force: true });
});

test('hasGlobMagic: *, ? and a closed [ are magic; escaped ones are not', () => {
  for (const p of ['*.conf', 'a?c', '[ab]', '/etc/smcroute.d/*.conf', 'a[]]']) assert.ok(hasGlobMagic(p), p);
  for (const p of ['/etc/smcroute.conf', 'a\\*.conf', 'a\\?', 'a[b', 'a]b', '\\[ab]']) assert.ok(!hasGlobMagic(p), p);
});

test('escapeGlob and unescapeGlob are inverse, and an escaped name matches only itself', () => {
  for (const s of ['plain', 'br[1]', 'a*b?c', 'back\\slash', '[!x]']) {
    assert.equal(unescapeGlob(escapeGlob(s)), s);
    assert.ok(!hasGlobMagic(escapeGlob(s)), s);
    assert.ok(compileComponent(escapeGlob(s))(s), s);
  }
  assert.ok(!compileComponent(escapeGlob('a*'))('ab'));
});

test('compileComponent: bracket expressions', () => {
  const m = (p: string, name: string) => compileComponent(p)(name);
  assert.ok(m('x[12].conf', 'x1.conf'));
  assert.ok(!m('x[12].conf', 'x3.conf'));
  assert.ok(m('x[0-9]', 'x7'));
  assert.ok(!m('x[0-9]', 'xa'));
  assert.ok(m('x[!0-9]', 'xa'));
  assert.ok(m('x[^0-9]', 'xa'));
  assert.ok(!m('x[!0-9]', 'x5'));
  assert.ok(m('x[]]', 'x]'));
  assert.ok(m('x[!]]', 'xa'));
  assert.ok(!m('x[!]]', 'x]'));
  assert.ok(m('x[a-]', 'x-'));
  assert.ok(m('x[[:digit:]]', 'x4'));
  assert.ok(!m('x[[:digit:]]', 'xa'));
  assert.ok(m('x[[:alpha:][:digit:]]', 'xQ'));
  assert.ok(!m('x[[:bogus:]]', 'xa'));
  assert.ok(!m('x[z-a]', 'xm'), 'a reversed range matches nothing');
  assert.ok(m('x[\\]]', 'x]'));
  assert.ok(m('a[b', 'a[b'), 'an unclosed [ is literal');
  assert.ok(m('a.b', 'a.b') && !m('a.b', 'axb'), 'regex characters are literal');
  assert.ok(m('a+(b)', 'a+(b)'));
  assert.ok(m('é?', 'éa'), 'non-ASCII names');
});

test('compileComponent: a leading dot needs a literal dot', () => {
  assert.ok(!compileComponent('*')('.hidden'));
  assert.ok(!compileComponent('?hidden')('.hidden'));
  assert.ok(!compileComponent('[.]hidden')('.hidden'));
  assert.ok(compileComponent('.*')('.hidden'));
  assert.ok(compileComponent('\\.*')('.hidden'));
  assert.ok(compileComponent('*.conf')('a.b.conf'));
});

test('compareBytes sorts as strcmp does in the C locale', () => {
  assert.deepEqual(['b', 'a', 'B', '10', '9', 'é', 'z'].sort(compareBytes), ['10', '9', 'B', 'a', 'b', 'z', 'é']);
});

test('globSync: wildcard matches are sorted in byte order; hidden files excluded', () => {
  assert.deepEqual(g('*.conf'), [
    '10.conf',
    '9.conf',
    'B.conf',
    'a.conf',
    'ab.conf',
    'b.conf',
    'dangling.conf',
    'link.conf',
    'star*.conf',
    'x1.conf',
    'x2.conf',
    'xa.conf',
  ]);
  assert.deepEqual(g('?.conf'), ['9.conf', 'B.conf', 'a.conf', 'b.conf']);
  assert.deepEqual(g('x[0-9].conf'), ['x1.conf', 'x2.conf']);
  assert.deepEqual(g('x[!0-9].conf'), ['xa.conf']);
  assert.deepEqual(g('.*.conf'), ['.hidden.conf']);
  assert.deepEqual(g('*.nomatch'), []);
});

test('globSync: patterns in directory components', () => {
  assert.deepEqual(g('d*/*'), ['d1/one.conf', 'd2/three.txt', 'd2/two.conf']);
  assert.deepEqual(g('d?/*.conf'), ['d1/one.conf', 'd2/two.conf']);
  assert.deepEqual(g('*/*.conf'), ['br[1]/k.conf', 'd1/one.conf', 'd2/two.conf']);
  assert.deepEqual(g('e/*/in.conf'), [], 'hidden directory not matched by *');
  assert.deepEqual(g('e/.*/in.conf'), ['e/.h/in.conf']);
  assert.deepEqual(g('a.conf/*'), [], 'a file is not a directory');
  assert.deepEqual(g('nodir/*.conf'), []);
  assert.deepEqual(g('d[12]//one.conf'), ['d1/one.conf'], 'doubled slashes collapse (glibc would keep them)');
});

test('globSync: a trailing slash selects directories', () => {
  assert.deepEqual(g('d*/'), ['d1/', 'd2/']);
  assert.deepEqual(g('e*/'), ['e/', 'emptydir/']);
});

test('globSync: plain paths are returned only when they exist, without reading directories', () => {
  assert.deepEqual(g('a.conf'), ['a.conf']);
  assert.deepEqual(g('nope.conf'), []);
  assert.deepEqual(g('dangling.conf'), ['dangling.conf'], 'like glob(3), a dangling link is listed');
  assert.deepEqual(g('star\\*.conf'), ['star*.conf'], 'an escaped * is literal');
  assert.deepEqual(g('br\\[1\\]/*.conf'), ['br[1]/k.conf']);
  assert.deepEqual(globSync(''), []);
});

test('globSync: relative patterns are relative to the working directory', () => {
  const cwd = process.cwd();
  try {
    process.chdir(root);
    assert.deepEqual(globSync('d1/*.conf'), ['d1/one.conf']);
    assert.deepEqual(globSync('x?.conf'), ['x1.conf', 'x2.conf', 'xa.conf']);
    assert.deepEqual(globSync('b.conf'), ['b.conf']);
  } finally {
    process.chdir(cwd);
  }
});

test('nodeConfFs.readFile reads text and fails with an errno code', () => {
  touch('read.conf', 'phyint eth0\n');
  assert.equal(nodeConfFs.readFile(join(root, 'read.conf')), 'phyint eth0\n');
  assert.throws(() => nodeConfFs.readFile(join(root, 'nope.conf')), { code: 'ENOENT' });
  assert.throws(() => nodeConfFs.readFile(join(root, 'd1')), { code: 'EISDIR' });
});

test('loadConfig over the real file system: relative includes, sorted, escaped directory', () => {
  const base = 'site[a]';
  touch(`${base}/smcroute.conf`, 'phyint top\ninclude smcroute.d/*.conf\ninclude missing.conf\nphyint end\n');
  touch(`${base}/smcroute.d/20-b.conf`, 'phyint b\n');
  touch(`${base}/smcroute.d/10-a.conf`, 'phyint a\nmroute from a group 225.1.2.3 to b\n');
  touch(`${base}/smcroute.d/notes.txt`, 'not a config\n');
  const dir = join(root, base);
  const r = loadConfig(join(dir, 'smcroute.conf'), nodeConfFs);
  const names = r.directives.map((d) => (d.kind === 'phyint' ? d.ifname : d.kind));
  assert.deepEqual(names, ['top', 'a', 'mroute', 'b', 'end']);
  assert.deepEqual(r.files, [join(dir, 'smcroute.conf'), join(dir, 'smcroute.d/10-a.conf'), join(dir, 'smcroute.d/20-b.conf')]);
  assert.deepEqual(r.diagnostics, [
    {
      where: { file: join(dir, 'smcroute.conf'), line: 3 },
      severity: 'warning',
      message: `include: ${dir}/missing.conf does not exist`,
    },
  ]);
});
