// Runs one kernel-contract case on LinuxKernel in this process's namespace and prints {ok, error?}
// as JSON. It must exit on its own: that proves shutdown() leaves no handles behind.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createLinuxKernel } from '../../src/kernel/linux.js';
import { formatAddr, type Family } from '../../src/model/addr.js';
import { A } from './fixtures.js';
import { kernelContract, type EnvIface, type KernelEnv, type Memberships } from './kernel-contract.js';
import { parseIgmp, parseIgmp6, parseMcfilter, parseMcfilter6 } from './procnet.js';
import type { SenderSpec } from './kernel-sender.js';
import { solicitCommand } from './mrdisc-wire.js';

const run = promisify(execFile);
const SENDER = fileURLToPath(new URL('./kernel-sender.js', import.meta.url));

/** What the host test tells the runner about the lab. */
export interface RunnerSpec {
  /** Namespace holding the far ends of the links. */
  peer: string;
  /** Our link names and the names of their far ends in `peer`. */
  links: [{ name: string; peer: string }, { name: string; peer: string }];
  /** Source addresses configured on each far end, per family. */
  sources: Record<Family, [string[], string[]]>;
}

/** Read synchronously from /proc; a Promise only because KernelEnv's other environments need one. */
function memberships(family: Family): Promise<Memberships> {
  const read = (f: string): string => readFileSync(`/proc/net/${f}`, 'utf8');
  const groups = family === 'inet' ? parseIgmp(read('igmp')) : parseIgmp6(read('igmp6'));
  const filters = family === 'inet' ? parseMcfilter(read('mcfilter')) : parseMcfilter6(read('mcfilter6'));
  return Promise.resolve({
    groups: new Set(groups.map((g) => `${g.ifindex} ${g.group}`)),
    sources: new Set(filters.filter((s) => s.include > 0).map((s) => `${s.ifindex} ${s.group} ${s.source}`)),
  });
}

function linuxEnv(spec: RunnerSpec): KernelEnv {
  const probe = createLinuxKernel();
  const links = probe.links();
  probe.shutdown();
  const iface = (name: string): EnvIface => {
    const l = links.find((x) => x.name === name);
    if (!l) throw new Error(`no link ${name} in this namespace`);
    return { index: l.index, name };
  };
  const ifaces: [EnvIface, EnvIface] = [iface(spec.links[0].name), iface(spec.links[1].name)];
  const sources = {
    inet: spec.sources.inet.map((l) => l.map((t) => A(t))),
    inet6: spec.sources.inet6.map((l) => l.map((t) => A(t))),
  };
  return {
    create: () => createLinuxKernel({ warn: (m) => process.stderr.write(`warn: ${m}\n`) }),
    ifaces,
    missingIfindex: Math.max(...links.map((l) => l.index)) + 1000,
    sources: (family, i) => sources[family][i]!,
    async send(_family, i, srcs, group, count, payload) {
      const s: SenderSpec = {
        iface: spec.links[i].peer,
        sources: srcs.map(formatAddr),
        group: formatAddr(group),
        count,
        payload,
      };
      await run('ip', ['netns', 'exec', spec.peer, process.execPath, SENDER, JSON.stringify(s)], { maxBuffer: 1 << 20 });
    },
    memberships,
    async setLinkUp(i, up) {
      await run('ip', ['link', 'set', 'dev', ifaces[i].name, up ? 'up' : 'down']);
    },
    async solicit(i) {
      const { cmd, args } = solicitCommand(spec.links[i].peer);
      await run('ip', ['netns', 'exec', spec.peer, cmd, ...args]);
    },
    openFds: () => readdirSync('/proc/self/fd').length,
  };
}

async function main(): Promise<void> {
  const [name, specFile] = process.argv.slice(2);
  const c = kernelContract.find((x) => x.name === name);
  if (!c || !specFile)
    throw new Error(`usage: kernel-contract-runner.js CASE-NAME SPEC-FILE (unknown case ${JSON.stringify(name)})`);
  await c.run(linuxEnv(JSON.parse(readFileSync(specFile, 'utf8')) as RunnerSpec));
}

main().then(
  () => {
    process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
  },
  (e: Error) => {
    process.stdout.write(`${JSON.stringify({ ok: false, error: e.stack ?? String(e) })}\n`);
    process.exitCode = 1;
  },
);
