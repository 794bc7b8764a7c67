// The real ConfFs on node:fs: reads files and expands glob(3) patterns for `include`.
// No parsing here; relative paths and patterns are taken relative to process.cwd().

import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { ConfFs } from './load.js';
import { compareBytes, compileComponent, hasGlobMagic, unescapeGlob } from './glob.js';

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir === '' ? '.' : dir);
  } catch {
    return []; // unreadable or not a directory: nothing matches below it, as in glob(3)
  }
}

function join(dir: string, name: string): string {
  if (dir === '') return name;
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/**
 * Expands `pattern` like glob(3) with no flags: `*`, `?` and `[...]` in any
 * component, backslash quoting, hidden names only matched by a literal
 * leading `.`, a trailing `/` selecting directories, results sorted in byte
 * order, and an empty list when nothing matches. Unlike glibc, `.` and `..`
 * are never listed and doubled slashes are collapsed in the results.
 */
export function globSync(pattern: string): string[] {
  if (!hasGlobMagic(pattern)) {
    const path = unescapeGlob(pattern);
    return path !== '' && exists(path) ? [path] : [];
  }
  const dirsOnly = pattern.endsWith('/');
  const components = pattern.split('/').filter((c) => c !== '');
  let paths = [pattern.startsWith('/') ? '/' : ''];
  for (const component of components) {
    if (!hasGlobMagic(component)) {
      const name = unescapeGlob(component);
      paths = paths.map((p) => join(p, name));
      continue;
    }
    const match = compileComponent(component);
    const next: string[] = [];
    for (const dir of paths) {
      for (const name of listDir(dir)) if (match(name)) next.push(join(dir, name));
    }
    paths = next;
  }
  const found = paths.filter(dirsOnly ? isDir : exists).map((p) => (dirsOnly ? `${p}/` : p));
  return found.sort(compareBytes);
}

/** ConfFs backed by the real file system. */
export const nodeConfFs: ConfFs = {
  readFile: (path) => readFileSync(path, 'utf8'),
  glob: globSync,
};
