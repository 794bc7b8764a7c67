// Runs the completion scripts in completion/ in real bash and zsh: the candidates each offers for a
// command line, as the shell's completion machinery would ask. Asserts nothing.

import { spawnSync } from 'node:child_process';
import { repoPath } from './paths.js';

export const BASH_SCRIPT = repoPath('completion', 'smcroutectl.bash');
export const ZSH_SCRIPT = repoPath('completion', '_smcroutectl');

/** Why a shell cannot be used here, or undefined. */
export function shellSkipReason(shell: 'bash' | 'zsh'): string | undefined {
  const r = spawnSync(shell, ['-c', 'exit 0']);
  return r.error || r.status !== 0 ? `${shell} is not installed (.ci/run installs it)` : undefined;
}

function run(cmd: string, args: readonly string[], ns?: string): { stdout: string; stderr: string; status: number | null } {
  const [file, argv] = ns === undefined ? [cmd, args] : ['ip', ['netns', 'exec', ns, cmd, ...args]];
  const r = spawnSync(file, argv, { encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/**
 * What bash's `complete -F` function offers for `words`, the last of which is the word under the
 * cursor (COMP_CWORD), in network namespace `ns` when given.
 */
export function bashComplete(words: readonly string[], ns?: string): string[] {
  const script = `source "${BASH_SCRIPT}" || exit 9
complete -p smcroutectl >/dev/null || exit 8
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
_smcroutectl
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = run('bash', ['--norc', '--noprofile', '-c', script, 'bash', ...words], ns);
  if (r.status !== 0) throw new Error(`bash completion failed (${r.status}): ${r.stderr}`);
  return lines(r.stdout);
}

/**
 * What zsh's `_smcroutectl` offers for `words` (the last one under the cursor): the file is sourced
 * as compinit's autoload would run it, with compadd and _files standing in for the completion
 * builtins so the candidates are printed (those starting with the word under the cursor, as compadd matches).
 */
export function zshComplete(words: readonly string[], ns?: string): string[] {
  const script = `compadd() { local c; for c in "\${(@P)\${@[-1]}}"; do [[ $c == \${(b)PREFIX}* ]] && print -r -- $c; done; return 0 }
_files() { print -r -- '<files>' }
words=("$@"); CURRENT=$#; PREFIX=\${words[CURRENT]}
source "${ZSH_SCRIPT}" || exit 9`;
  const r = run('zsh', ['-f', '-c', script, 'zsh', ...words], ns);
  if (r.status !== 0) throw new Error(`zsh completion failed (${r.status}): ${r.stderr}`);
  return lines(r.stdout);
}
