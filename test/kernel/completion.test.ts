// The bash and zsh completion scripts against our smcrouted in a network namespace: interface names
// from `show interfaces`, sources and groups from `show` and `show groups`, as each word wants them.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bashComplete, shellSkipReason, zshComplete } from '../lib/completion.js';
import { rootSkipReason, withLab } from '../lib/netns.js';
import { SMCROUTECTL, startOurs } from '../lib/ours.js';
import { buildStar, starAddrs } from '../lib/topology.js';

const A = starAddrs(78, 'inet');

for (const [shell, complete] of [
  ['bash', bashComplete],
  ['zsh', zshComplete],
] as const) {
  test(
    `${shell} completion asks the daemon: interfaces, then sources and groups from show`,
    { timeout: 60_000, skip: rootSkipReason() ?? shellSkipReason(shell) },
    async () => {
      await withLab(async (lab) => {
        const t = buildStar(lab, { net: 78, families: ['inet'] });
        const conf = [
          `mroute from r0 source ${A.s0} group 225.78.1.1 to r1`,
          'mroute from r1 group 225.78.2.0/24 to r2',
          'mgroup from r2 group 225.78.3.3',
          '',
        ].join('\n');
        const ours = await startOurs(lab, t.rtr, conf);
        const words = (...w: string[]) => [SMCROUTECTL, '-u', ours.sock, ...w];
        // The daemon's interfaces are the router namespace's: lo and r0..r2, not the host's.
        assert.deepEqual(complete(words('add', ''), t.rtr).sort(), ['lo', 'r0', 'r1', 'r2']);
        assert.deepEqual(complete(words('add', 'r'), t.rtr).sort(), ['r0', 'r1', 'r2']);
        // After IIF: the sources and groups the daemon lists.
        const second = complete(words('add', 'r0', ''), t.rtr);
        for (const a of [A.s0, '225.78.1.1', '225.78.2.0/24', '225.78.3.3'])
          assert.ok(second.includes(a), `${a} in ${second.join(' ')}`);
        assert.deepEqual(complete(words('join', 'r0', A.s0.slice(0, -1)), t.rtr), [A.s0]);
        // After IIF SOURCE: groups only.
        const groups = complete(words('add', 'r0', A.s0, ''), t.rtr).sort();
        assert.deepEqual(groups, ['225.78.1.1', '225.78.2.0/24', '225.78.3.3']);
        assert.deepEqual(complete(words('add', 'r0', A.s0, '225.78.1'), t.rtr), ['225.78.1.1']);
        // After IIF GROUP, and after IIF SOURCE GROUP: OIFs for add, nothing for remove.
        assert.ok(complete(words('add', 'r0', '225.78.1.1', ''), t.rtr).includes('r2'));
        assert.ok(complete(words('add', 'r0', A.s0, '225.78.1.1', ''), t.rtr).includes('r1'));
        assert.deepEqual(complete(words('remove', 'r0', A.s0, '225.78.1.1', ''), t.rtr), []);
        // explain [IIF] SOURCE GROUP: interfaces or sources first.
        const first = complete(words('explain', ''), t.rtr);
        assert.ok(first.includes('r0') && first.includes(A.s0), first.join(' '));
        assert.equal((await ours.daemon.stop()).code, 0, ours.daemon.logs);
      });
    },
  );
}
