// An in-memory ConfFs for fuzz tests and benches: files by absolute path, glob(3) patterns matched
// with the parser's own component matcher, and a count of reads per file. No parsing here.
import { posix } from 'node:path';
import type { ConfFs } from '../../src/conf/load.js';
import { compareBytes, compileComponent, hasGlobMagic, unescapeGlob } from '../../src/conf/glob.js';

export class MemConfFs implements ConfFs {
  /** Reads per normalised path, to prove each file is read once. */
  readonly reads = new Map<string, number>();

  /** `files` may change between reads (a test editing the config before a reload): directories are derived from it each time. */
  constructor(readonly files: ReadonlyMap<string, string>) {}

  private get dirs(): Map<string, Set<string>> {
    const dirs = new Map<string, Set<string>>();
    for (const path of this.files.keys()) {
      let child = posix.normalize(path);
      for (let dir = posix.dirname(child); ; child = dir, dir = posix.dirname(dir)) {
        const names = dirs.get(dir) ?? new Set<string>();
        names.add(posix.basename(child));
        dirs.set(dir, names);
        if (dir === '/' || dir === '.') break;
      }
    }
    return dirs;
  }

  readFile(path: string): string {
    const key = posix.normalize(path);
    this.reads.set(key, (this.reads.get(key) ?? 0) + 1);
    const text = this.files.get(key);
    if (text !== undefined) return text;
    const code = this.dirs.has(key) ? 'EISDIR' : 'ENOENT';
    throw Object.assign(new Error(`${code}: ${path}`), { code });
  }

  glob(pattern: string): string[] {
    const dirs = this.dirs;
    const exists = (p: string) => {
      const key = posix.normalize(p);
      return this.files.has(key) || dirs.has(key);
    };
    if (!hasGlobMagic(pattern)) {
      const path = unescapeGlob(pattern);
      return path !== '' && exists(path) ? [path] : [];
    }
    let paths = [pattern.startsWith('/') ? '/' : ''];
    for (const component of pattern.split('/').filter((c) => c !== '')) {
      const join = (dir: string, name: string) => (dir === '' ? name : dir.endsWith('/') ? dir + name : `${dir}/${name}`);
      if (!hasGlobMagic(component)) {
        paths = paths.map((p) => join(p, unescapeGlob(component)));
        continue;
      }
      const match = compileComponent(component);
      paths = paths.flatMap((dir) => [...(dirs.get(posix.normalize(dir || '.')) ?? [])].filter(match).map((n) => join(dir, n)));
    }
    return paths.filter(exists).sort(compareBytes);
  }
}
