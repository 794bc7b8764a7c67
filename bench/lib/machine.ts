// What a result set was measured on and with: kernel, CPUs, memory, Node, both daemons' versions, our commit.
// Read-only queries; nothing here affects the measurements.
import { spawnSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';
import { REPO_ROOT } from '../../test/lib/paths.js';
import { kindById, versionOf } from './daemons.js';

export interface MachineInfo {
  date: string;
  kernel: string;
  cpuCount: number;
  cpuModel: string;
  memTotalMiB: number;
  node: string;
  python: string;
  upstreamPackage: string;
  upstreamVersion: string;
  oursVersion: string;
  oursCommit: string;
}

function out(cmd: string, args: readonly string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd });
  return r.status === 0 ? `${r.stdout}`.trim() : '?';
}

export function machineInfo(): MachineInfo {
  const commit = out('git', ['rev-parse', '--short', 'HEAD'], REPO_ROOT);
  const dirty = out('git', ['status', '--porcelain', '--', 'src'], REPO_ROOT) !== '';
  return {
    date: new Date().toISOString(),
    kernel: release(),
    cpuCount: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? '?',
    memTotalMiB: Math.round(totalmem() / 2 ** 20),
    node: process.version,
    python: out('python3', ['-c', 'import platform; print(platform.python_version())']),
    upstreamPackage: `smcroute ${out('dpkg-query', ['-W', '-f', '${Version}', 'smcroute'])} (Debian)`,
    upstreamVersion: versionOf(kindById('upstream')),
    oursVersion: versionOf(kindById('ours')),
    // src/ with uncommitted changes is what ran, not the commit alone.
    oursCommit: dirty ? `${commit} + uncommitted src/ changes` : commit,
  };
}
