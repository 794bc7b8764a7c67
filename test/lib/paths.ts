// Where the checkout's own files are at run time, for code compiled into dist/ that needs files tsc
// does not copy (bin/ launchers, conf/, bench/ scripts and results). The one place that knows the layout.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  // Found by looking rather than by counting "..": the same answer from src/ and from dist/.
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** The package root: the directory holding package.json, bin/ and dist/. */
export const REPO_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

/** A path inside the checkout, from slash-separated parts relative to the root. */
export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}
