// systemd/smcroute.service and conf/smcroute.default as tests read them, and systemd-analyze, the
// real tool that judges the unit. Parses only what the tests ask about; asserts nothing.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { repoPath } from './paths.js';

export const UNIT_FILE = repoPath('systemd', 'smcroute.service');
export const DEFAULT_FILE = repoPath('conf', 'smcroute.default');

/** Every `Key=value` of a section, in file order; a key given twice (SystemCallFilter=) keeps both. */
export function unitSettings(text: string, section: string): [string, string][] {
  const out: [string, string][] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head) {
      current = head[1] ?? '';
      continue;
    }
    const eq = line.indexOf('=');
    if (current === section && eq > 0) out.push([line.slice(0, eq), line.slice(eq + 1)]);
  }
  return out;
}

export function readUnit(): string {
  return readFileSync(UNIT_FILE, 'utf8');
}

/** Why systemd-analyze cannot be run here, or undefined when it can. */
export function analyzeSkipReason(): string | undefined {
  const r = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  return r.error ? 'systemd-analyze is missing: apt-get install -y systemd (.ci/run does)' : undefined;
}

export function analyze(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('systemd-analyze', args, { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * The system calls a SystemCallFilter= value allows, groups (@name) expanded through
 * `systemd-analyze syscall-filter`, which knows this systemd's own lists.
 */
export function expandSyscalls(names: readonly string[], seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  for (const name of names) {
    if (!name.startsWith('@')) {
      out.add(name);
      continue;
    }
    if (seen.has(name)) continue;
    seen.add(name);
    const r = analyze(['syscall-filter', name]);
    if (r.status !== 0) throw new Error(`systemd-analyze syscall-filter ${name}: ${r.stderr}`);
    // The first line names the group; then its description (#) and one member per line.
    const members = r.stdout
      .split('\n')
      .slice(1)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    for (const s of expandSyscalls(members, seen)) out.add(s);
  }
  return out;
}
