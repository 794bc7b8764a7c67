// Our smcrouted on the real kernel while things change: interfaces come and go, flows expire or move,
// IPC commands, bad input, the 32-VIF limit. Waits are polls with deadlines; packets prove forwarding.

import assert from 'node:assert/strict';
import { renameSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Family } from '../../src/model/addr.js';
import { KernelView, type NamedMfc } from '../lib/kview.js';
import { newToken, Receiver, send, type SendOptions } from '../lib/mcast.js';
import { rootSkipReason, withLab, type Lab } from '../lib/netns.js';
import { ctl, ctlJson, ctlRun, eventually, logLines, rawIpc, startOurs, waitLog } from '../lib/ours.js';
import { buildStar, connect, type Star } from '../lib/topology.js';

const skip = rootSkipReason();

/** The sender's address on s0, the source every flow here comes from. */
const S = '10.22.1.2';
const S6 = 'fd00:22:1::2';

/** The shared star on plan 22, IPv4; with v6, IPv6 on the sender's link only (S6 and the router's r0). */
function buildTopo(lab: Lab, v6 = false): Star {
  const t = buildStar(lab, { net: 22 });
  if (v6) {
    lab.addAddrs(t.snd, 's0', [`${S6}/64`]);
    lab.addAddrs(t.rtr, 'r0', ['fd00:22:1::1/64']);
  }
  return t;
}

function entry(kv: KernelView, source: string, group: string, family: Family = 'inet'): NamedMfc | undefined {
  return kv.routes(family).find((r) => r.source === source && r.group === group);
}

/** The MFC as comparable text: one "(S,G) iif -> oifs" per entry, sorted, without counters. */
function mfcShape(kv: KernelView, family: Family = 'inet'): string[] {
  return kv
    .routes(family)
    .map((r) => `(${r.source},${r.group}) ${r.iif ?? '?'} -> ${[...r.oifs].sort().join(' ')}`)
    .sort();
}

function oifsOf(kv: KernelView, source: string, group: string, family: Family = 'inet'): string | undefined {
  const e = entry(kv, source, group, family);
  return e?.iif === undefined ? undefined : [...e.oifs].sort().join(' ');
}

function vifNames(kv: KernelView, family: Family): string[] {
  return kv.vifs(family).map((v) => v.name);
}

function groupsOn(kv: KernelView, dev: string, family: Family = 'inet'): string[] {
  return kv
    .memberships(family)
    .filter((m) => m.device === dev)
    .map((m) => m.group);
}

interface PendingItem {
  kind: string;
  iif: string;
  source: string | null;
  group: string;
  oifs: string[];
}

function pendingOf(lab: Lab, ns: string, sock: string): string[] {
  return ctlJson<{ pending: PendingItem[] }>(lab, ns, sock, 'pending')
    .pending.map((p) => `${p.kind} ${p.iif} ${p.source ?? '*'} ${p.group} -> ${p.oifs.join(' ')}`.trim())
    .sort();
}

/** Lines the daemon logged at err level since line `from`. */
function errorsSince(lines: readonly string[], from: number): string[] {
  return lines.slice(from).filter((l) => /: (err|crit|alert|emerg): /.test(l));
}

/** Sends a few datagrams at a time, over and over, until stopped: a flow that stays alive. */
function keepSending(lab: Lab, opts: SendOptions): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) await send(lab, { ...opts, count: 5, intervalMs: 100 });
  })();
  loop.catch(() => {}); // reported by stop()
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

test(
  'pending: an mroute OIF and an mgroup IIF that do not exist yet activate when the interface appears, and go back to pending when it goes',
  { timeout: 60_000, skip },
  async () => {
    await withLab(async (lab) => {
      const t = buildTopo(lab);
      const ours = await startOurs(
        lab,
        t.rtr,
        [
          `mroute from r0 source ${S} group 225.22.1.1 to r1 late0`,
          'mroute from r0 group 225.22.2.0/24 to late0',
          'mgroup from late0 group 225.22.9.9',
          'mgroup from late0 source 10.22.9.2 group 232.22.9.9',
          '',
        ].join('\n'),
      );
      const kv = new KernelView(lab, t.rtr);
      const waiting = [
        'mgroup late0 * 225.22.9.9 ->',
        'mgroup late0 10.22.9.2 232.22.9.9 ->',
        'mroute r0 * 225.22.2.0/24 -> late0',
        `mroute r0 ${S} 225.22.1.1 -> r1 late0`,
      ];
      assert.deepEqual(pendingOf(lab, t.rtr, ours.sock), waiting);
      // What exists is used already: the (S,G) forwards to r1 while it waits for late0.
      assert.equal(oifsOf(kv, S, '225.22.1.1'), 'r1');
      assert.ok(!vifNames(kv, 'inet').includes('late0'));

      // The interface appears while the daemon runs; its peer lives in a namespace made just now.
      const rxl = lab.addNs('rxl');
      const addLate = (): void => {
        connect(lab, { ns: t.rtr, ifname: 'late0', addrs: ['10.22.9.1/24'] }, { ns: rxl, ifname: 'y0', addrs: ['10.22.9.2/24'] });
      };
      addLate();
      const state = () => `MFC ${JSON.stringify(mfcShape(kv))}\n${ours.daemon.logs}`;
      await eventually('late0 added to the (S,G) in the MFC', () => oifsOf(kv, S, '225.22.1.1') === 'late0 r1', { state });
      await eventually('joins on late0', () => ['225.22.9.9', '232.22.9.9'].every((g) => groupsOn(kv, 'late0').includes(g)), {
        state,
      });
      await eventually('nothing pending', () => pendingOf(lab, t.rtr, ours.sock).length === 0, { state });
      assert.ok(vifNames(kv, 'inet').includes('late0') && vifNames(kv, 'inet6').includes('late0'), 'late0 has a VIF and a MIF');

      // Real packets reach a receiver behind late0, through the (S,G) and through the template.
      const rx = await Receiver.start(lab, { ns: rxl, iface: 'y0', joins: [{ group: '225.22.1.1' }, { group: '225.22.2.5' }] });
      const out = { ns: t.snd, iface: 's0', sources: S };
      await send(lab, { ...out, groups: '225.22.2.5', count: 1, token: newToken() });
      await eventually('(S,225.22.2.5) learned to late0', () => oifsOf(kv, S, '225.22.2.5') === 'late0', { state });
      await send(lab, { ...out, groups: ['225.22.1.1', '225.22.2.5'], count: 10 });
      const n = await rx.waitFor((c) => c.of('225.22.1.1', S) === 10 && c.of('225.22.2.5', S) === 10);
      await rx.stop();
      assert.equal(n.total, 20, String(n));

      // The interface goes away: no crash, no errors, the kernel entries lose it, the lines wait again.
      const logMark = logLines(ours.daemon).length;
      lab.ip(t.rtr, 'link', 'del', 'late0');
      await eventually('everything pending again', () => pendingOf(lab, t.rtr, ours.sock).join('\n') === waiting.join('\n'), {
        state,
      });
      await eventually(
        'late0 gone from the MFC',
        () => oifsOf(kv, S, '225.22.1.1') === 'r1' && oifsOf(kv, S, '225.22.2.5') === '',
        { state },
      );
      assert.ok(!vifNames(kv, 'inet').includes('late0') && !vifNames(kv, 'inet6').includes('late0'));
      const groups = ctlJson<{ groups: { kernel: { iif: string }[] } }>(lab, t.rtr, ours.sock, 'groups').groups;
      assert.deepEqual(
        groups.kernel.filter((g) => g.iif === 'late0'),
        [],
        'the daemon forgot the joins on late0',
      );
      assert.ok(ours.daemon.running, ours.daemon.logs);
      assert.deepEqual(errorsSince(logLines(ours.daemon), logMark), []);

      // And it comes back a second time, with a new ifindex.
      addLate();
      await eventually(
        'late0 back in the MFC',
        () => oifsOf(kv, S, '225.22.1.1') === 'late0 r1' && oifsOf(kv, S, '225.22.2.5') === 'late0',
        { state },
      );
      await eventually('joins on the new late0', () => groupsOn(kv, 'late0').includes('225.22.9.9'), { state });
      assert.deepEqual(pendingOf(lab, t.rtr, ours.sock), []);
    });
  },
);

test(
  '-c 2: an idle learned flow expires, a live one and a configured (S,G) stay; flush drops learned flows at once and a live one is re-learned',
  { timeout: 60_000, skip },
  async () => {
    await withLab(async (lab) => {
      const t = buildTopo(lab);
      const ours = await startOurs(
        lab,
        t.rtr,
        ['mroute from r0 group 225.22.3.0/24 to r1', `mroute from r0 source ${S} group 225.22.4.1 to r1`, ''].join('\n'),
        ['-c', '2'],
      );
      const kv = new KernelView(lab, t.rtr);
      const state = () => `MFC ${JSON.stringify(kv.routes('inet'))}\n${ours.daemon.logs}`;
      const out = { ns: t.snd, iface: 's0', sources: S };
      const rx = await Receiver.start(lab, { ns: t.rx1, iface: 'x0', joins: [{ group: '225.22.3.2' }] });

      // Learned together: the idle flow and the live one see the same expiry ticks.
      await send(lab, { ...out, groups: ['225.22.3.1', '225.22.4.1'], count: 1 });
      const live = keepSending(lab, { ...out, groups: '225.22.3.2' });
      try {
        await eventually('both flows learned', () => entry(kv, S, '225.22.3.1')?.iif && entry(kv, S, '225.22.3.2')?.iif, {
          state,
        });
        // The live entry must never vanish or restart: its packet count only grows.
        let lastPackets = 0;
        await eventually(
          'the idle flow expires',
          () => {
            const l = entry(kv, S, '225.22.3.2');
            assert.ok(l, `the live flow left the MFC\n${state()}`);
            assert.ok(l.packets >= lastPackets, `the live flow was re-installed (packets ${l.packets} < ${lastPackets})`);
            lastPackets = l.packets;
            return entry(kv, S, '225.22.3.1') === undefined;
          },
          { timeoutMs: 20_000, state },
        );
        assert.ok(entry(kv, S, '225.22.3.2'), 'the live flow stays');
        assert.equal(oifsOf(kv, S, '225.22.4.1'), 'r1', 'the configured (S,G) never expires');
        await waitLog(ours.daemon, /Cache timeout, flushed 1 unused/);

        // flush: learned entries go now (an idle one and a stop filter too), configured ones stay.
        await send(lab, { ...out, groups: ['225.22.3.7', '225.22.5.5'], count: 1, token: newToken() });
        await eventually('more flows learned', () => entry(kv, S, '225.22.3.7')?.iif && entry(kv, S, '225.22.5.5')?.iif, {
          state,
        });
        assert.equal(oifsOf(kv, S, '225.22.5.5'), '', 'no rule covers 225.22.5.5: a stop filter');
        const before = entry(kv, S, '225.22.3.2')!.packets;
        const relearnedRe = new RegExp(`New multicast data from ${S.replace(/\./g, '\\.')} to group 225\\.22\\.3\\.2 on r0`);
        const learnedBefore = logLines(ours.daemon).filter((l) => relearnedRe.test(l)).length;
        ctl(lab, t.rtr, ours.sock, 'flush');
        assert.equal(entry(kv, S, '225.22.3.7'), undefined, 'flush removes an idle learned flow at once');
        assert.equal(entry(kv, S, '225.22.5.5'), undefined, 'flush removes a stop filter at once');
        assert.equal(oifsOf(kv, S, '225.22.4.1'), 'r1', 'flush keeps the configured (S,G)');
        // The live flow comes back through a new upcall, as a new kernel entry with fresh counters.
        await eventually(
          'the live flow re-learned',
          () => logLines(ours.daemon).filter((l) => relearnedRe.test(l)).length > learnedBefore,
          { state },
        );
        const again = await eventually(
          'the live flow back in the MFC',
          () => entry(kv, S, '225.22.3.2')?.iif === 'r0' && entry(kv, S, '225.22.3.2'),
          { state },
        );
        assert.equal(again.oifs.join(), 'r1');
        assert.ok(again.packets < before, `a new entry: packets ${again.packets} after flush, ${before} before`);
        const seen = (await rx.report()).of('225.22.3.2');
        await rx.waitFor((c) => c.of('225.22.3.2') >= seen + 5);
      } finally {
        await live.stop();
      }
    });
  },
);

test(
  'WRONGVIF: an (S,G) that arrives on another (*,G) inbound interface moves there and is forwarded again',
  { timeout: 60_000, skip },
  async () => {
    await withLab(async (lab) => {
      const t = buildTopo(lab);
      // A second sender link; the same source address S sits behind both.
      const snd2 = lab.addNs('snd2');
      connect(lab, { ns: snd2, ifname: 's1', addrs: [`${S}/24`] }, { ns: t.rtr, ifname: 'r3', addrs: ['10.22.4.1/24'] });
      const G = '225.22.6.1';
      const ours = await startOurs(
        lab,
        t.rtr,
        [`mroute from r0 group ${G} to r1`, `mroute from r3 group ${G} to r1`, ''].join('\n'),
      );
      const kv = new KernelView(lab, t.rtr);
      const state = () => `MFC ${JSON.stringify(kv.routes('inet'))}\n${ours.daemon.logs}`;
      const rx = await Receiver.start(lab, { ns: t.rx1, iface: 'x0', joins: [{ group: G }] });

      const first = { ns: t.snd, iface: 's0', groups: G, sources: S };
      await send(lab, { ...first, count: 1, token: newToken() });
      await eventually('(S,G) learned on r0', () => entry(kv, S, G)?.iif === 'r0', { state });
      await send(lab, { ...first, count: 5 });
      await rx.waitFor((c) => c.of(G, S) === 5);

      // Now from the other link. The kernel drops these (wrong interface) and reports it; the daemon
      // moves the entry. Asserts are rate limited per entry, so keep priming until it has moved.
      const second = { ns: snd2, iface: 's1', groups: G, sources: S };
      const deadline = Date.now() + 15_000;
      while (entry(kv, S, G)?.iif !== 'r3') {
        if (Date.now() > deadline) assert.fail(`(S,G) did not move to r3\n${state()}`);
        await send(lab, { ...second, count: 1, token: newToken() });
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(oifsOf(kv, S, G), 'r1');
      await waitLog(
        ours.daemon,
        new RegExp(`Moved \\(${S.replace(/\./g, '\\.')},${G.replace(/\./g, '\\.')}\\) inbound to r3 after WRONGVIF`),
      );
      await send(lab, { ...second, count: 5 });
      const n = await rx.waitFor((c) => c.of(G, S) === 10);
      await rx.stop();
      assert.equal(n.total, 10, String(n));
      assert.equal(mfcShape(kv).length, 1, 'still one entry for the flow');
    });
  },
);

interface RouteJson {
  source: string | null;
  group: string;
  iif: string;
  oifs: string[];
}

test(
  'IPC: add, merge, remove and join/leave with our smcroutectl show in the kernel; an unknown inbound interface is refused; reload drops them',
  { timeout: 60_000, skip },
  async () => {
    await withLab(async (lab) => {
      const t = buildTopo(lab, true);
      const ours = await startOurs(lab, t.rtr, `mroute from r0 source ${S} group 225.22.8.1 to r1\n`);
      const kv = new KernelView(lab, t.rtr);
      const c = (...args: string[]): string => ctl(lab, t.rtr, ours.sock, ...args);
      const state = () => `MFC ${JSON.stringify(mfcShape(kv))}\n${ours.daemon.logs}`;
      const confShape = mfcShape(kv);
      assert.deepEqual(confShape, [`(${S},225.22.8.1) r0 -> r1`]);

      // (S,G): the reply comes after the kernel call, so the MFC shows it at once.
      c('add', 'r0', S, '225.22.8.2', 'r1');
      assert.equal(oifsOf(kv, S, '225.22.8.2'), 'r1');
      c('add', 'r0', S, '225.22.8.2', 'r2');
      assert.equal(oifsOf(kv, S, '225.22.8.2'), 'r1 r2', 'a second add merges outbound interfaces');
      c('remove', 'r0', S, '225.22.8.2', 'r1');
      assert.equal(oifsOf(kv, S, '225.22.8.2'), 'r2', 'removing one OIF keeps the other');
      c('remove', 'r0', S, '225.22.8.2');
      assert.equal(entry(kv, S, '225.22.8.2'), undefined, 'remove without OIFs drops the route');

      // IPv6 goes through the same commands to the MIF side.
      c('add', 'r0', S6, 'ff0e::22:1', 'r1', 'r2');
      assert.equal(oifsOf(kv, S6, 'ff0e::22:1', 'inet6'), 'r1 r2');
      c('remove', 'r0', S6, 'ff0e::22:1');
      assert.equal(entry(kv, S6, 'ff0e::22:1', 'inet6'), undefined);

      // (*,G): a template the kernel sees once a flow is learned; edits reach learned flows at once.
      const G = '225.22.8.3';
      c('add', 'r0', G, 'r1');
      const asm = ctlJson<{ routes: { asm: RouteJson[] } }>(lab, t.rtr, ours.sock, 'routes').routes.asm;
      assert.deepEqual(
        asm.map((r) => [r.source, r.group, r.iif, r.oifs]),
        [[null, G, 'r0', ['r1']]],
      );
      await send(lab, { ns: t.snd, iface: 's0', groups: G, sources: S, count: 1, token: newToken() });
      await eventually('(S,G) learned from the IPC template', () => oifsOf(kv, S, G) === 'r1', { state });
      c('add', 'r0', G, 'r2');
      assert.equal(oifsOf(kv, S, G), 'r1 r2', 'merged into the learned flow');
      const rx1 = await Receiver.start(lab, { ns: t.rx1, iface: 'x0', joins: [{ group: G }] });
      const rx2 = await Receiver.start(lab, { ns: t.rx2, iface: 'x0', joins: [{ group: G }] });
      await send(lab, { ns: t.snd, iface: 's0', groups: G, sources: S, count: 5 });
      await rx1.waitFor((n) => n.of(G, S) === 5);
      await rx2.waitFor((n) => n.of(G, S) === 5);
      await rx1.stop();
      await rx2.stop();
      c('remove', 'r0', G, 'r1');
      assert.equal(oifsOf(kv, S, G), 'r2');
      c('remove', 'r0', G);
      assert.equal(entry(kv, S, G), undefined, 'removing the template removes what was learned from it');

      // Joins, ASM and SSM, both families.
      c('join', 'r1', '225.22.8.9');
      c('join', 'r2', '10.22.3.2', '232.22.8.9');
      c('join', 'r1', 'ff0e::22:9');
      assert.ok(groupsOn(kv, 'r1').includes('225.22.8.9'));
      assert.ok(groupsOn(kv, 'r2').includes('232.22.8.9'));
      assert.ok(groupsOn(kv, 'r1', 'inet6').includes('ff0e::22:9'));
      c('leave', 'r1', '225.22.8.9');
      c('leave', 'r2', '10.22.3.2', '232.22.8.9');
      assert.ok(!groupsOn(kv, 'r1').includes('225.22.8.9'), 'ASM leave');
      assert.ok(!groupsOn(kv, 'r2').includes('232.22.8.9'), 'SSM leave');

      // An inbound interface that does not exist: refused by name, nothing else touched.
      c('add', 'r0', S, '225.22.8.6', 'r2');
      const before = mfcShape(kv);
      for (const args of [
        ['add', 'nosuch0', S, '225.22.8.4', 'r1'],
        ['add', 'nosuch0', '225.22.8.5', 'r1'],
        ['join', 'nosuch0', '225.22.8.7'],
      ]) {
        const r = ctlRun(lab, t.rtr, ours.sock, ...args);
        assert.notEqual(r.status, 0, `${args.join(' ')} must fail`);
        assert.match(r.stderr, /nosuch0/, `${args.join(' ')}: the message names the interface`);
      }
      assert.ok(ours.daemon.running, ours.daemon.logs);
      assert.deepEqual(mfcShape(kv), before, 'routes untouched by the refused commands');
      assert.ok(!ctl(lab, t.rtr, ours.sock, '-t', 'show', 'routes').includes('nosuch0'));

      // Reload: back to the config alone.
      c('join', 'r2', '225.22.8.8');
      c('reload');
      assert.deepEqual(mfcShape(kv), confShape, 'IPC routes dropped on reload');
      assert.deepEqual(mfcShape(kv, 'inet6'), []);
      assert.ok(!groupsOn(kv, 'r2').includes('225.22.8.8'), 'IPC joins dropped on reload');
      assert.ok(!groupsOn(kv, 'r1', 'inet6').includes('ff0e::22:9'), 'IPC joins dropped on reload');
    });
  },
);

/** An IPC request header: u64 length, u16 command, u16 argument count, 4 bytes of padding. */
function header(len: bigint | number, cmd: string | number, count: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(BigInt(len), 0);
  b.writeUInt16LE(typeof cmd === 'number' ? cmd : cmd.charCodeAt(0), 8);
  b.writeUInt16LE(count, 10);
  return b;
}

/** A well-formed request; args may hold any bytes but NUL. */
function frame(cmd: string, args: readonly (string | Buffer)[]): Buffer {
  const body = Buffer.concat([...args.flatMap((a) => [Buffer.from(a), Buffer.alloc(1)]), Buffer.alloc(1)]);
  return Buffer.concat([header(16 + body.length, cmd, args.length), body]);
}

/** An error reply: a message, then NUL, and nothing after. */
function assertErrorReply(bytes: Buffer, what: string, re?: RegExp): void {
  assert.ok(
    bytes.length > 1 && bytes[bytes.length - 1] === 0,
    `${what}: want an error message and NUL, got ${JSON.stringify(bytes.toString('latin1'))}`,
  );
  const text = bytes.subarray(0, -1).toString('utf8');
  assert.ok(!text.includes('\0'), `${what}: one message only: ${JSON.stringify(text)}`);
  if (re) assert.match(text, re, what);
}

test(
  'garbage on the IPC socket: malformed, oversized, truncated, stuck and parallel clients get an error or a close, never a crash',
  { timeout: 60_000, skip },
  async () => {
    await withLab(async (lab) => {
      const t = buildTopo(lab);
      const ours = await startOurs(
        lab,
        t.rtr,
        `mroute from r0 source ${S} group 225.22.7.1 to r1\nmgroup from r1 group 225.22.7.9\n`,
      );
      const kv = new KernelView(lab, t.rtr);
      const before = mfcShape(kv);

      const bad: [string, Buffer[], RegExp?][] = [
        ['length below the header', [header(5, 's', 0)], /length 5/],
        ['length of a terabyte', [header(1n << 40n, 's', 0)], /Too large/],
        ['1 MiB of 0xff', [Buffer.alloc(1 << 20, 0xff)], /Too large/],
        ['a 64 KiB frame that says so', [header(65536, 'a', 3), Buffer.alloc(65536 - 16, 0x41)], /Too large/],
        ['1,000 arguments', [header(64, 'a', 1000), Buffer.alloc(48)], /1000 arguments/],
        ['arguments past the length', [header(20, 'a', 3), Buffer.from('r0r1')], /runs past/],
        ['10 bytes and hang up', [Buffer.from('0123456789')], /Incomplete/],
        ['half a frame and hang up', [frame('s', ['routes']).subarray(0, 20)], /Incomplete/],
        ['unknown command', [frame('Z', ['x'])], /Unknown or malformed IPC message 'Z'/],
        ['a command code above ASCII', [frame('\u00e9', [])], /Unknown or malformed/],
        ['add without arguments', [frame('a', [])], /Unknown or malformed/],
        ['add with an absurd interface name', [frame('a', ['x'.repeat(300), S, '225.22.7.2', 'r1'])], /interface/],
        [
          'add with 40 outbound interfaces',
          [frame('a', ['r0', S, '225.22.7.2', ...Array.from({ length: 40 }, (_, i) => `o${i}`)])],
        ],
        ['join with bytes that are not UTF-8', [frame('j', ['r0', Buffer.from([0xff, 0xfe, 0x80])])], /invalid|Invalid/],
        ['join of a unicast group', [frame('j', ['r0', '10.1.2.3'])], /multicast/],
        ['remove of a route that does not exist', [frame('r', ['r0', S, '225.22.7.3'])], /No such route/],
        ['leave of a group never joined', [frame('l', ['r1', '225.22.7.8'])], /No group/],
        ['add of an IPv4 source with an IPv6 group', [frame('a', ['r0', S, 'ff0e::1', 'r1'])], /famil/],
      ];
      for (const [what, chunks, re] of bad) {
        const r = await rawIpc(ours.sock, chunks);
        assertErrorReply(r.bytes, what, re);
        assert.ok(ours.daemon.running, `${what}: the daemon died\n${ours.daemon.logs}`);
      }

      // Good requests before garbage on one connection are still answered, in order.
      const mixed = await rawIpc(ours.sock, [Buffer.concat([frame('s', ['routes']), frame('s', ['groups']), header(3, 's', 0)])]);
      const parts = mixed.bytes.toString('utf8').split('\0');
      assert.equal(parts.length, 4, JSON.stringify(parts));
      assert.match(parts[0]!, new RegExp(`\\(${S.replace(/\./g, '\\.')}, 225\\.22\\.7\\.1\\)`));
      assert.match(parts[1]!, /225\.22\.7\.9/);
      assert.match(parts[2]!, /length 3/);
      assert.equal(parts[3], '');

      // Connect and leave at once, with and without sending anything.
      assert.equal((await rawIpc(ours.sock, [])).bytes.length, 0);

      // A client stuck mid-frame holds only its own connection, until the idle timeout drops it.
      const stuck = rawIpc(ours.sock, [frame('s', ['routes']).subarray(0, 12)], { keepOpen: true, timeoutMs: 20_000 });
      assert.match(ctl(lab, t.rtr, ours.sock, '-t', 'show'), /225\.22\.7\.1/, 'others are served meanwhile');

      // Many clients at once, most of them rude.
      const crowd = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          rawIpc(ours.sock, [i % 3 === 0 ? frame('s', ['interfaces']) : i % 3 === 1 ? Buffer.alloc(300, i) : header(2, 'a', 0)]),
        ),
      );
      for (const [i, r] of crowd.entries()) {
        if (i % 3 === 0) assert.match(r.bytes.toString('utf8'), /r0/, `client ${i}: ${r.error ?? ''}`);
        else assertErrorReply(r.bytes, `client ${i}`);
      }

      assertErrorReply((await stuck).bytes, 'stuck client', /timed out/);
      assert.ok(ours.daemon.running, ours.daemon.logs);
      assert.deepEqual(mfcShape(kv), before, 'routes untouched');
      assert.ok(groupsOn(kv, 'r1').includes('225.22.7.9'), 'joins untouched');
      assert.match(ctl(lab, t.rtr, ours.sock, '-t', 'show'), /225\.22\.7\.1/);
    });
  },
);

test(
  'a config with broken lines: the good lines apply, each bad one is logged with file:line, the daemon runs on',
  { timeout: 60_000, skip },
  async () => {
    await withLab(async (lab) => {
      const t = buildTopo(lab);
      const lines = [
        /* 1 */ '# good and broken lines mixed',
        /* 2 */ `mroute from r0 source ${S} group 225.22.7.1 to r1`,
        /* 3 */ `mroute from r0 source ${S} group 300.1.1.1 to r1`,
        /* 4 */ 'frobnicate all the things',
        /* 5 */ 'mgroup from r0 group 10.1.2.3',
        /* 6 */ `mroute from r0 source ${S} group 225.22.7.3 to r2`,
        /* 7 */ 'mgroup from r1 group 225.22.7.9',
        /* 8 */ 'mroute from',
        /* 9 */ `mroute from r0 source ${S} group 225.22.7.2 to${' r1'.repeat(200)}`,
        /* 10 */ `mroute from r0 source ${S} group 225.22.7.4 to r1 r2`,
        /* 11 */ 'phyint r2 ttl-threshold 999',
        /* 12 */ '\xff\xfe\x01 binary junk',
        /* 13 */ 'mgroup from r0 group 225.0.0.0/8',
        /* 14 */ `mroute from r0 source ${S} group 225.22.7.6 to r2`,
      ];
      const ours = await startOurs(lab, t.rtr, lines.join('\n'));
      const kv = new KernelView(lab, t.rtr);
      assert.deepEqual(mfcShape(kv), [
        `(${S},225.22.7.1) r0 -> r1`,
        `(${S},225.22.7.3) r0 -> r2`,
        `(${S},225.22.7.4) r0 -> r1 r2`,
        `(${S},225.22.7.6) r0 -> r2`,
      ]);
      assert.ok(groupsOn(kv, 'r1').includes('225.22.7.9'));
      assert.ok(!groupsOn(kv, 'r0').some((g) => g.startsWith('225.')), 'no join from the broken or refused mgroup lines');
      for (const n of [3, 4, 5, 8, 9, 11, 12, 13]) {
        assert.ok(
          logLines(ours.daemon).some((l) => l.includes(`${ours.conf}:${n}:`)),
          `line ${n} named in the log\n${ours.daemon.logs}`,
        );
      }
      for (const n of [1, 2, 6, 7, 10, 14]) {
        assert.ok(
          !logLines(ours.daemon).some((l) => l.includes(`${ours.conf}:${n}:`)),
          `good line ${n} not blamed\n${ours.daemon.logs}`,
        );
      }
      assert.ok(ours.daemon.running);
      assert.match(ctl(lab, t.rtr, ours.sock, '-t', 'show'), /225\.22\.7\.6/);
    });
  },
);

test(
  'SIGHUP with the config gone or unreadable: no crash, an error naming the file, every running route and join kept',
  { timeout: 60_000, skip },
  async () => {
    await withLab(async (lab) => {
      const t = buildTopo(lab);
      const ours = await startOurs(
        lab,
        t.rtr,
        `mroute from r0 source ${S} group 225.22.7.1 to r1\nmroute from r0 group 225.22.7.0/24 to r2\nmgroup from r1 group 225.22.7.9\n`,
      );
      const kv = new KernelView(lab, t.rtr);
      await send(lab, { ns: t.snd, iface: 's0', groups: '225.22.7.5', sources: S, count: 1, token: newToken() });
      await eventually('a flow learned from the template', () => oifsOf(kv, S, '225.22.7.5') === 'r2');
      const initial = mfcShape(kv);
      const daemonView = (): string[] =>
        ctlJson<{ routes: { kernel: RouteJson[] } }>(lab, t.rtr, ours.sock, 'routes')
          .routes.kernel.map(
            (r) =>
              `(${r.source?.replace(/\/32$/, '')},${r.group.replace(/\/32$/, '')}) ${r.iif} -> ${[...r.oifs].sort().join(' ')}`,
          )
          .sort();
      assert.deepEqual(daemonView(), initial);

      const hup = async (why: RegExp, outcome: RegExp): Promise<void> => {
        const mark = logLines(ours.daemon).length;
        process.kill(ours.daemon.pid, 'SIGHUP');
        await waitLog(ours.daemon, outcome, 10_000, mark);
        const said = logLines(ours.daemon).slice(mark);
        assert.ok(
          said.some((l) => l.includes(ours.conf) && why.test(l)),
          `the log names ${ours.conf} and ${why}\n${said.join('\n')}`,
        );
        assert.ok(ours.daemon.running, ours.daemon.logs);
        // Whatever the daemon kept, it must tell the operator the truth about the kernel.
        assert.deepEqual(daemonView(), mfcShape(kv), 'smcroutectl show matches the kernel');
      };

      const aside = lab.path('aside.conf');
      // A reload that cannot read its file is refused: nothing running may be lost.
      renameSync(ours.conf, aside);
      await hup(/does not exist/, /Reload refused/);
      assert.deepEqual(mfcShape(kv), initial, 'routes kept after a reload of a missing file');
      mkdirSync(ours.conf);
      await hup(/EISDIR|directory/, /Reload refused/);
      assert.deepEqual(mfcShape(kv), initial, 'routes kept after a reload of a directory');
      assert.ok(groupsOn(kv, 'r1').includes('225.22.7.9'), 'joins kept');
      rmdirSync(ours.conf);
      renameSync(aside, ours.conf);
      await hup(/.*/, /Configuration .* applied/);
      await send(lab, { ns: t.snd, iface: 's0', groups: '225.22.7.5', sources: S, count: 1, token: newToken() });
      await eventually('the routes back as before', () => mfcShape(kv).join('\n') === initial.join('\n'), {
        state: () => JSON.stringify(mfcShape(kv)),
      });
      assert.ok(groupsOn(kv, 'r1').includes('225.22.7.9'));
    });
  },
);

test(
  '33 and more interfaces: the 33rd gets a clear error, the daemon runs on, the first 32 get VIFs and MIFs and forward',
  { timeout: 60_000, skip },
  async () => {
    await withLab(async (lab) => {
      const snd = lab.addNs('snd');
      const rtr = lab.addNs('rtr', { forwarding: true });
      const far = lab.addNs('far');
      const rxA = lab.addNs('rxa');
      const rxB = lab.addNs('rxb');
      // v1 faces the sender, v2 and v32 face receivers, every other vK a namespace of spare ends.
      connect(lab, { ns: snd, ifname: 's0', addrs: [`${S}/24`] }, { ns: rtr, ifname: 'v1', addrs: ['10.22.1.1/24'] });
      connect(lab, { ns: rtr, ifname: 'v2' }, { ns: rxA, ifname: 'x0', addrs: ['10.22.2.2/24'] });
      connect(lab, { ns: rtr, ifname: 'v32' }, { ns: rxB, ifname: 'x0', addrs: ['10.22.3.2/24'] });
      const spare = [...Array.from({ length: 29 }, (_, i) => i + 3), 33, 34, 35];
      lab.exec(rtr, 'ip', ['-b', '-'], {
        input: spare.map((k) => `link add v${k} type veth peer name w${k} netns ${far}\nlink set v${k} up\n`).join(''),
      });
      lab.exec(far, 'ip', ['-b', '-'], { input: spare.map((k) => `link set w${k} up\n`).join('') });
      const K = Array.from({ length: 34 }, (_, i) => i + 2); // v2 .. v35
      const G = (k: number): string => `225.22.10.${k}`;
      const conf = (ks: readonly number[]): string =>
        ks.map((k) => `mroute from v1 source ${S} group ${G(k)} to v${k}\n`).join('');
      const ours = await startOurs(lab, rtr, conf(K));
      const kv = new KernelView(lab, rtr);

      const first32 = Array.from({ length: 32 }, (_, i) => `v${i + 1}`);
      assert.deepEqual(vifNames(kv, 'inet'), first32, 'VIFs in reference order');
      assert.deepEqual(vifNames(kv, 'inet6'), first32, 'MIFs in reference order');
      for (const name of ['v33', 'v34', 'v35']) {
        for (const word of ['VIF', 'MIF']) {
          assert.ok(
            logLines(ours.daemon).some((l) => / err: /.test(l) && l.includes(`No free ${word} for ${name}`) && l.includes('32')),
            `${word} error for ${name}\n${ours.daemon.logs}`,
          );
        }
      }
      for (const k of K) assert.equal(oifsOf(kv, S, G(k)), k <= 32 ? `v${k}` : '', `(S,${G(k)})`);
      assert.ok(ours.daemon.running);

      const rxa = await Receiver.start(lab, { ns: rxA, iface: 'x0', joins: [{ group: G(2) }] });
      const rxb = await Receiver.start(lab, { ns: rxB, iface: 'x0', joins: [{ group: G(32) }] });
      await send(lab, { ns: snd, iface: 's0', groups: [G(2), G(32)], sources: S, count: 5 });
      assert.equal((await rxa.waitFor((n) => n.of(G(2), S) === 5)).total, 5);
      assert.equal((await rxb.waitFor((n) => n.of(G(32), S) === 5)).total, 5);
      await rxa.stop();
      await rxb.stop();

      // Freeing a VIF by reload lets the next interface in line have it, and its route with it.
      lab.writeFile('smcrouted.conf', conf(K.filter((k) => k !== 3)));
      ctl(lab, rtr, ours.sock, 'reload');
      assert.ok(
        vifNames(kv, 'inet').includes('v33') && !vifNames(kv, 'inet').includes('v3'),
        JSON.stringify(vifNames(kv, 'inet')),
      );
      assert.equal(entry(kv, S, G(3)), undefined);
      assert.equal(oifsOf(kv, S, G(33)), 'v33', `the route to v33 forwards now\n${ours.daemon.logs.slice(-3000)}`);
    });
  },
);

test(
  'smcroutectl reload of a broken config: exit 1, every error as file:line (the first 20, then a count), the running routes kept',
  { timeout: 60_000, skip },
  async () => {
    await withLab(async (lab) => {
      const t = buildTopo(lab);
      const good = `mroute from r0 source ${S} group 225.22.9.1 to r1\n`;
      const ours = await startOurs(lab, t.rtr, good);
      const kv = new KernelView(lab, t.rtr);
      const initial = mfcShape(kv);
      assert.equal(initial.length, 1, 'the (S,G) route is installed');

      const broken = Array.from({ length: 23 }, (_, i) => `mroute from r0 group 10.0.0.${i + 1} to r1`);
      writeFileSync(ours.conf, `${good}${broken.join('\n')}\n`);
      const r = ctlRun(lab, t.rtr, ours.sock, 'reload');
      assert.equal(r.status, 1, r.stderr);
      const lines = r.stderr.trimEnd().split('\n');
      assert.match(lines[0] ?? '', /^smcroutectl: Reload refused, 23 errors in .*; the running configuration is kept$/);
      const listed = lines.slice(1, 21);
      assert.equal(listed.length, 20);
      listed.forEach((l, i) => {
        assert.equal(l, `${ours.conf}:${i + 2}: error: mroute: group 10.0.0.${i + 1} is not a multicast address`);
      });
      assert.equal(lines[21], '... and 3 more errors');
      assert.equal(lines.length, 22);
      assert.deepEqual(mfcShape(kv), initial, 'the running configuration stays');
      assert.ok(ours.daemon.running);
    });
  },
);
