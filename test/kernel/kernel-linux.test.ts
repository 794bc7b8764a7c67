// The kernel contract on real Linux: each case runs in a child inside a fresh network namespace,
// fed by veth links from a peer namespace; this process never touches host routing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { addrRange } from '../lib/fixtures.js';
import { kernelContract } from '../lib/kernel-contract.js';
import type { RunnerSpec } from '../lib/kernel-contract-runner.js';
import { Lab, rootSkipReason } from '../lib/netns.js';
import { connect } from '../lib/topology.js';

const RUNNER = fileURLToPath(new URL('../lib/kernel-contract-runner.js', import.meta.url));
/** A case that outlives this has hung, e.g. a handle left open after shutdown. */
const CASE_TIMEOUT_MS = 90_000;

/** 1000 IPv4 sources on the first link's far end, avoiding .0 and .255. */
function manyV4(): string[] {
  return Array.from({ length: 1000 }, (_, i) => `10.1.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
}

const skip = rootSkipReason();

describe('LinuxKernel contract (network namespace)', { skip }, () => {
  let lab: Lab;
  let ns = '';
  let specFile = '';

  before(() => {
    lab = new Lab();
    ns = lab.addNs('rtr');
    const peer = lab.addNs('peer');
    const sources: RunnerSpec['sources'] = {
      inet: [manyV4(), addrRange('10.2.0.1', 5)],
      inet6: [addrRange('fd01::1', 10), addrRange('fd02::1', 5)],
    };
    const hosts = (i: 0 | 1): string[] =>
      [...sources.inet[i], ...sources.inet6[i]].map((a) => `${a}/${a.includes(':') ? 128 : 32}`);
    connect(lab, { ns, ifname: 'a0' }, { ns: peer, ifname: 'a1', addrs: hosts(0) });
    connect(lab, { ns, ifname: 'b0' }, { ns: peer, ifname: 'b1', addrs: hosts(1) });
    for (const [n, links] of [
      [ns, ['a0', 'b0']],
      [peer, ['a1', 'b1']],
    ] as const) {
      lab.sysctl(n, Object.fromEntries(links.map((l) => [`net.ipv4.conf.${l}.rp_filter`, 0])));
    }
    const spec: RunnerSpec = {
      peer,
      links: [
        { name: 'a0', peer: 'a1' },
        { name: 'b0', peer: 'b1' },
      ],
      sources,
    };
    specFile = lab.writeFile('kernel-contract.json', JSON.stringify(spec));
  });

  after(async () => {
    await lab?.cleanup();
  });

  for (const c of kernelContract) {
    test(c.name, async () => {
      const proc = lab.spawn(ns, process.execPath, [RUNNER, c.name, specFile], { label: 'contract-runner' });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), CASE_TIMEOUT_MS);
      });
      const res = await Promise.race([proc.exited, timedOut]);
      clearTimeout(timer);
      if (res === 'timeout') {
        await proc.stop('SIGKILL');
        assert.fail(`runner did not exit within ${CASE_TIMEOUT_MS} ms (hung, or handles left open)\n${proc.describe()}`);
      }
      const last = proc.lines.filter((l) => l.startsWith('{')).pop();
      assert.ok(last, `runner printed no result\n${proc.describe()}`);
      const out = JSON.parse(last) as { ok: boolean; error?: string };
      assert.ok(out.ok, `${out.error}\n${proc.stderr}`);
      assert.equal(res.code, 0, proc.describe());
    });
  }
});
