// Byte compatibility with upstream SMCRoute (Debian's 2.5.6) over the IPC socket: each client drives
// the other's daemon, checked in the kernel; then `show` output compared for all four client × daemon pairs.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import type { Family } from '../../src/model/addr.js';
import { ctlRun, ipcRequest, startRouter, upstreamSkipReason, type Impl } from '../lib/impls.js';
import { KernelView, type NamedMfc } from '../lib/kview.js';
import { send } from '../lib/mcast.js';
import { withLab, type Lab } from '../lib/netns.js';
import { pollUntil } from '../lib/proc.js';
import { buildStar, starAddrs, starPhyints, type Star } from '../lib/topology.js';

const skip = upstreamSkipReason();

/** The shared star on plan 41, dual stack. */
const STAR = { net: 41, families: ['inet', 'inet6'] } as const;
const NET4 = starAddrs(STAR.net, 'inet');
const NET6 = starAddrs(STAR.net, 'inet6');

/** Upstream 2.5.6 runs with -N (see startRouter), which needs these; ours and 2.6 accept them. */
const PHYINTS = starPhyints();

function conf(lines: readonly string[]): string {
  return PHYINTS + [...lines, ''].join('\n');
}

const familyOf = (group: string): Family => (group.includes(':') ? 'inet6' : 'inet');

/** The kernel's entry for (source, group) in the default table, or undefined. */
function mfc(kv: KernelView, source: string, group: string): NamedMfc | undefined {
  return kv.routes(familyOf(group)).find((r) => r.source === source && r.group === group);
}

/** [iif, sorted oifs] of the kernel entry, or 'absent'. */
function mfcShape(kv: KernelView, source: string, group: string): [string | undefined, string[]] | 'absent' {
  const r = mfc(kv, source, group);
  return r ? [r.iif, [...r.oifs].sort()] : 'absent';
}

async function waitMfc(kv: KernelView, source: string, group: string, ok: (r: NamedMfc) => boolean, what: string): Promise<void> {
  try {
    await pollUntil(
      () => {
        const r = mfc(kv, source, group);
        return r !== undefined && ok(r);
      },
      { timeoutMs: 10_000, what },
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; kernel MFC: ${JSON.stringify(kv.routes(familyOf(group)))}`, { cause: e });
  }
}

function joinedOn(kv: KernelView, family: Family, dev: string): string[] {
  return kv
    .memberships(family)
    .filter((m) => m.device === dev)
    .map((m) => m.group);
}

/** `show interfaces` rows (-t) as name → [vif, mif], with N/A as undefined. */
function parseInterfaces(text: string): Map<string, [number | undefined, number | undefined]> {
  const rows = new Map<string, [number | undefined, number | undefined]>();
  for (const line of text.split('\n').filter(Boolean)) {
    const m = /^\s*\d+ (\S+)\s+(\d+|N\/A)\s+(\d+|N\/A)$/.exec(line);
    if (!m) throw new Error(`not an interface row: ${JSON.stringify(line)}`);
    const num = (s: string): number | undefined => (s === 'N/A' ? undefined : Number(s));
    rows.set(m[1]!, [num(m[2]!), num(m[3]!)]);
  }
  return rows;
}

/**
 * One client drives the other implementation's daemon through add, merge, remove, join, leave,
 * show, reload, an error and kill; after each step the kernel must show the effect.
 */
async function driveSequence(daemonImpl: Impl, clientImpl: Impl): Promise<void> {
  await withLab(async (lab) => {
    const t = buildStar(lab, STAR);
    const S = NET4.s0;
    const router = await startRouter(lab, t.rtr, daemonImpl, conf([`mroute from r0 source ${S} group 225.41.0.1 to r1`]));
    const kv = new KernelView(lab, t.rtr);
    const ctl = (...args: string[]): string => {
      const r = ctlRun(lab, t.rtr, clientImpl, router.sock, args);
      assert.equal(
        r.status,
        0,
        `${clientImpl} smcroutectl ${args.join(' ')} → ${daemonImpl} daemon: exit ${r.status}\n${r.stderr}\n${router.daemon.logs.slice(-3000)}`,
      );
      return r.stdout;
    };
    assert.deepEqual(mfcShape(kv, S, '225.41.0.1'), ['r0', ['r1']], 'the config route is in the kernel');

    // (S,G): add, merge an OIF in, remove one OIF, remove the route.
    ctl('add', 'r0', S, '225.41.1.1', 'r1');
    assert.deepEqual(mfcShape(kv, S, '225.41.1.1'), ['r0', ['r1']], 'add (S,G)');
    ctl('add', 'r0', S, '225.41.1.1', 'r2');
    assert.deepEqual(mfcShape(kv, S, '225.41.1.1'), ['r0', ['r1', 'r2']], 'a second add merges OIFs');
    ctl('remove', 'r0', S, '225.41.1.1', 'r2');
    assert.deepEqual(mfcShape(kv, S, '225.41.1.1'), ['r0', ['r1']], 'remove with an OIF drops only that OIF');
    ctl('remove', 'r0', S, '225.41.1.1');
    assert.equal(mfcShape(kv, S, '225.41.1.1'), 'absent', 'remove without OIFs drops the route');

    // IPv6 (S,G) over the same clients.
    ctl('add', 'r0', NET6.s0, 'ff0e::41:1', 'r2');
    assert.deepEqual(mfcShape(kv, NET6.s0, 'ff0e::41:1'), ['r0', ['r2']], 'add IPv6 (S,G)');

    // (*,G): nothing in the kernel until traffic; then the learned (S,G) follows the template.
    ctl('add', 'r0', '225.41.2.2', 'r1');
    assert.equal(mfcShape(kv, S, '225.41.2.2'), 'absent', 'a (*,G) installs nothing before traffic');
    await send(lab, { ns: t.snd, iface: 's0', groups: '225.41.2.2', sources: S });
    await waitMfc(kv, S, '225.41.2.2', (r) => r.iif === 'r0', 'the (*,G) flow learned');
    assert.deepEqual(mfcShape(kv, S, '225.41.2.2'), ['r0', ['r1']], 'learned from the (*,G) template');
    ctl('add', 'r0', '225.41.2.2', 'r2');
    assert.deepEqual(mfcShape(kv, S, '225.41.2.2'), ['r0', ['r1', 'r2']], 'an add to the (*,G) merges into flows it learned');
    ctl('remove', 'r0', '225.41.2.2');
    assert.equal(mfcShape(kv, S, '225.41.2.2'), 'absent', 'removing the (*,G) removes the flows it learned');

    // Joins, ASM and SSM, IPv4 and IPv6.
    ctl('join', 'r0', '225.41.7.7');
    ctl('join', 'r1', NET4.x1, '232.41.1.1');
    ctl('join', 'r0', 'ff0e::41:7');
    ctl('join', 'r1', NET6.x1, 'ff3e::8000:41');
    assert.ok(joinedOn(kv, 'inet', 'r0').includes('225.41.7.7'), `ASM join on r0: ${joinedOn(kv, 'inet', 'r0').join(',')}`);
    assert.ok(joinedOn(kv, 'inet', 'r1').includes('232.41.1.1'), `SSM join on r1: ${joinedOn(kv, 'inet', 'r1').join(',')}`);
    assert.ok(
      joinedOn(kv, 'inet6', 'r0').includes('ff0e::41:7'),
      `IPv6 ASM join on r0: ${joinedOn(kv, 'inet6', 'r0').join(',')}`,
    );
    assert.ok(
      joinedOn(kv, 'inet6', 'r1').includes('ff3e::8000:41'),
      `IPv6 SSM join on r1: ${joinedOn(kv, 'inet6', 'r1').join(',')}`,
    );
    assert.deepEqual(
      kv
        .sourceFilters('inet')
        .filter((f) => f.group === '232.41.1.1')
        .map((f) => [f.source, f.include]),
      [[NET4.x1, 1]],
    );
    assert.deepEqual(
      kv
        .sourceFilters('inet6')
        .filter((f) => f.group === 'ff3e::8000:41')
        .map((f) => [f.source, f.include]),
      [[NET6.x1, 1]],
    );

    // show: what it lists is what the kernel has.
    const routes = ctl('-d', '-t', 'show');
    const row = (sg: string, rest: string): RegExp => new RegExp(`^${sg.replace(/[.()*]/g, '\\$&')} +r0 +${rest}$`, 'm');
    const k01 = mfc(kv, S, '225.41.0.1')!;
    assert.match(routes, row(`(${S}, 225.41.0.1)`, `${k01.packets} +${k01.bytes}  r1`), routes);
    assert.match(routes, row(`(${NET6.s0}, ff0e::41:1)`, '0 +0  r2'), routes);
    assert.doesNotMatch(routes, /225\.41\.1\.1|225\.41\.2\.2/, 'removed routes are not shown');
    const groups = ctl('-d', '-t', 'show', 'groups');
    for (const sg of ['(*, 225.41.7.7)', `(${NET4.x1}, 232.41.1.1)`, '(*, ff0e::41:7)', `(${NET6.x1}, ff3e::8000:41)`]) {
      assert.ok(
        groups.split('\n').some((l) => l.startsWith(`${sg} `)),
        `${sg} in show groups:\n${groups}`,
      );
    }
    const ifaces = parseInterfaces(ctl('-d', '-t', 'show', 'interfaces'));
    for (const [family, at] of [
      ['inet', 0],
      ['inet6', 1],
    ] as const) {
      const kernel = new Map(kv.vifs(family).map((v) => [v.name, v.vif]));
      const shown = new Map([...ifaces].filter(([, v]) => v[at] !== undefined).map(([n, v]) => [n, v[at]!]));
      assert.deepEqual(shown, kernel, `${family} VIF/MIF numbers in show interfaces match the kernel`);
      assert.deepEqual([...kernel.keys()].sort(), ['r0', 'r1', 'r2']);
    }

    ctl('leave', 'r0', '225.41.7.7');
    ctl('leave', 'r1', NET4.x1, '232.41.1.1');
    ctl('leave', 'r0', 'ff0e::41:7');
    ctl('leave', 'r1', NET6.x1, 'ff3e::8000:41');
    assert.ok(!joinedOn(kv, 'inet', 'r0').includes('225.41.7.7'), 'ASM leave');
    assert.ok(!joinedOn(kv, 'inet', 'r1').includes('232.41.1.1'), 'SSM leave');
    assert.ok(!joinedOn(kv, 'inet6', 'r0').includes('ff0e::41:7'), 'IPv6 ASM leave');
    assert.ok(!joinedOn(kv, 'inet6', 'r1').includes('ff3e::8000:41'), 'IPv6 SSM leave');

    // reload: the edited file's routes replace the old ones; routes added over IPC are dropped.
    ctl('add', 'r0', S, '225.41.3.3', 'r1');
    assert.deepEqual(mfcShape(kv, S, '225.41.3.3'), ['r0', ['r1']]);
    lab.writeFile(
      router.confName,
      conf([`mroute from r0 source ${S} group 225.41.0.2 to r2`, `mroute from r0 source ${NET6.s0} group ff0e::41:2 to r1`]),
    );
    ctl('reload');
    assert.deepEqual(mfcShape(kv, S, '225.41.0.2'), ['r0', ['r2']], "the new file's IPv4 route");
    assert.deepEqual(mfcShape(kv, NET6.s0, 'ff0e::41:2'), ['r0', ['r1']], "the new file's IPv6 route");
    assert.equal(mfcShape(kv, S, '225.41.0.1'), 'absent', "the old file's route is gone");
    assert.equal(mfcShape(kv, S, '225.41.3.3'), 'absent', 'the IPC-added IPv4 route is gone');
    assert.equal(mfcShape(kv, NET6.s0, 'ff0e::41:1'), 'absent', 'the IPC-added IPv6 route is gone');

    // An unknown inbound interface: non-zero exit, and the daemon's own message on stderr.
    const reply = await ipcRequest(router.sock, 'a', ['nosuch', '225.41.9.9', 'r1']);
    assert.ok(
      reply.length > 1 && reply.at(-1) === 0,
      `an error reply is a message and a NUL: ${JSON.stringify(reply.toString())}`,
    );
    const message = reply.subarray(0, -1).toString();
    const bad = ctlRun(lab, t.rtr, clientImpl, router.sock, ['add', 'nosuch', '225.41.9.9', 'r1']);
    assert.notEqual(bad.status, 0, `unknown inbound interface must fail: ${bad.stdout}`);
    assert.match(message, /nosuch/, 'the message names the interface');
    assert.ok(
      bad.stderr.includes(`smcroutectl: ${message}\n`),
      `the client shows the daemon's message ${JSON.stringify(message)}; stderr: ${JSON.stringify(bad.stderr)}`,
    );
    assert.equal(mfcShape(kv, S, '225.41.9.9'), 'absent');

    // kill: the daemon exits 0 and leaves nothing behind.
    ctl('kill');
    await pollUntil(() => !router.daemon.running, { timeoutMs: 10_000, what: `${daemonImpl} daemon to exit on kill` });
    const st = await router.daemon.proc.exited;
    if (daemonImpl === 'ours') assert.deepEqual(st, { code: 0, signal: null }, router.daemon.logs.slice(-3000));
    for (const family of ['inet', 'inet6'] as const) {
      assert.deepEqual(kv.mfc(family), [], `${family} MFC flushed at exit`);
      assert.deepEqual(kv.vifs(family), [], `${family} VIFs/MIFs gone at exit`);
    }
    assert.equal(existsSync(router.pid), false, 'PID file removed');
    assert.equal(existsSync(router.sock), false, 'socket removed');
  });
}

test(
  'upstream smcroutectl drives our smcrouted: add, merge, remove, join, leave, show, reload, errors, kill',
  { timeout: 60_000, skip },
  async () => {
    await driveSequence('ours', 'upstream');
  },
);

test(
  'our smcroutectl drives upstream smcrouted: the same sequence, checked in the kernel',
  { timeout: 60_000, skip },
  async () => {
    await driveSequence('upstream', 'ours');
  },
);

// ---- Four-way `show` comparison -------------------------------------------------------------

const S4 = NET4.s0;
const S6 = NET6.s0;

/** A mix of every rule kind, both families, ASM and SSM joins, group and source ranges. */
const MIX = conf([
  `mroute from r0 source ${S4} group 225.31.1.1 to r1`,
  'mroute from r0 group 225.31.2.2 to r2',
  'mroute from r0 group 225.31.128.0/17 to r1 r2',
  `mroute from r0 source ${S6} group ff0e::31:1 to r1`,
  'mroute from r0 group ff0e::31:2 to r2',
  'mroute from r0 group ff0e::31:8000/113 to r1 r2',
  'mroute from r0 source 10.41.1.0/24 group 225.31.3.3 to r2',
  'mgroup from r0 group 225.31.7.7',
  'mgroup from r0 group 225.31.8.0/30',
  `mgroup from r1 source ${NET4.x1} group 232.31.1.1`,
  'mgroup from r0 group ff0e::31:7',
  `mgroup from r1 source ${NET6.x1} group ff3e::8000:31`,
  'mgroup from r1 source 10.41.2.0/31 group 232.31.2.2',
  'mgroup from r0 group ff0e::31:10/127',
]);

/** Added over IPC after start-up (through upstream's client for both daemons): they follow the file's. */
const IPC_ADDS: readonly string[][] = [
  ['add', 'r0', S4, '225.31.5.5', 'r2'],
  ['add', 'r0', '225.31.6.0/24', 'r1'],
  ['join', 'r2', 'ff0e::31:99'],
  ['join', 'r2', '225.31.9.9'],
];

/** Flows sent through the router, in this order: learned (*,G) hits, (S,G) hits and stop filters. */
const FLOWS: readonly { source: string; group: string }[] = [
  { source: S4, group: '225.31.1.1' },
  { source: S4, group: '225.31.2.2' },
  { source: S4, group: '225.31.200.9' },
  { source: S4, group: '225.31.3.3' },
  { source: S4, group: '225.31.6.7' },
  { source: S4, group: '225.31.0.9' },
  { source: S6, group: 'ff0e::31:1' },
  { source: S6, group: 'ff0e::31:2' },
  { source: S6, group: 'ff0e::31:c009' },
  { source: S6, group: 'ff0e::31:9' },
];
const MORE = 4;

// No form here needs a 2.5.6-vs-2.6 normalisation: 2.6 added only `-j` and `show pending`, left out
// here, and otherwise prints these tables as 2.5.6 does (/work/upstream/src/mroute.c mroute_show,
// mcgroup.c mcgroup_show, iface.c iface_show; smcroutectl.c print). 2.6's lazy VIFs/MIFs would
// leave unreferenced interfaces at N/A where 2.5.6 without -N numbers them; the phyint lines and -N
// make both number exactly r0, r1, r2.
const SHOWS: readonly string[][] = [['show'], ['show', 'groups'], ['show', 'interfaces']];
const FLAGS: readonly string[][] = [[], ['-p'], ['-t'], ['-d'], ['-d', '-p'], ['-d', '-t']];
/** Raw requests, to tell a daemon's difference from a client's: plain and detailed, bare and per table. */
const RAW: readonly [string, string[]][] = ['s', 'S'].flatMap((c) =>
  [[], ['routes'], ['groups'], ['interfaces']].map((a) => [c, a] as [string, string[]]),
);

interface Output {
  status: number | null;
  stdout: string;
}

interface Capture {
  /** Per client: "FLAGS show [WHAT]" → exit status and stdout. */
  byClient: Map<Impl, Map<string, Output>>;
  /** "CMD [WHAT]" → the daemon's raw reply, bytes as latin1. */
  raw: Map<string, string>;
}

/**
 * Runs one daemon with MIX and IPC_ADDS, sends the same traffic (each flow learned one at a
 * time, so the daemons' lists see them in the same order), waits until the kernel's counters
 * are exact, then captures every show form through both clients and the raw replies. Stops
 * the daemon and checks the kernel is clean for the next one.
 */
async function captureShows(lab: Lab, t: Star, daemonImpl: Impl): Promise<Capture> {
  const router = await startRouter(lab, t.rtr, daemonImpl, MIX);
  const kv = new KernelView(lab, t.rtr);
  for (const args of IPC_ADDS) {
    const r = ctlRun(lab, t.rtr, 'upstream', router.sock, args);
    assert.equal(r.status, 0, `${args.join(' ')} → ${daemonImpl}: ${r.stderr}`);
  }
  for (const f of FLOWS) {
    await send(lab, { ns: t.snd, iface: 's0', groups: f.group, sources: f.source });
    await waitMfc(kv, f.source, f.group, (r) => r.iif === 'r0' && r.packets === 1, `(${f.source}, ${f.group}) learned`);
  }
  for (const f of FLOWS) await send(lab, { ns: t.snd, iface: 's0', groups: f.group, sources: f.source, count: MORE });
  for (const f of FLOWS) await waitMfc(kv, f.source, f.group, (r) => r.packets === 1 + MORE, `(${f.source}, ${f.group}) counted`);

  const byClient = new Map<Impl, Map<string, Output>>();
  for (const clientImpl of ['upstream', 'ours'] as const) {
    const m = new Map<string, Output>();
    for (const show of SHOWS) {
      for (const flags of FLAGS) {
        const r = ctlRun(lab, t.rtr, clientImpl, router.sock, [...flags, ...show]);
        m.set([...flags, ...show].join(' '), { status: r.status, stdout: r.stdout });
      }
    }
    byClient.set(clientImpl, m);
  }
  const raw = new Map<string, string>();
  for (const [cmd, args] of RAW) raw.set([cmd, ...args].join(' '), (await ipcRequest(router.sock, cmd, args)).toString('latin1'));

  const st = await router.daemon.stop();
  assert.equal(st.signal, null, `${daemonImpl} daemon exits by itself on SIGTERM\n${router.daemon.logs.slice(-2000)}`);
  for (const family of ['inet', 'inet6'] as const)
    assert.deepEqual(kv.mfc(family), [], `${daemonImpl}: ${family} MFC flushed at exit`);
  return { byClient, raw };
}

/** The differing lines of two texts (at most a few), each side escaped, for a precise report. */
function lineDiffs(expected: string, actual: string, max = 6): string {
  const e = expected.split('\n');
  const a = actual.split('\n');
  const out: string[] = [];
  for (let i = 0; i < Math.max(e.length, a.length); i++) {
    if (e[i] === a[i]) continue;
    if (out.length === max) {
      out.push('…');
      break;
    }
    out.push(
      `\n    line ${i + 1}: upstream ${JSON.stringify(e[i] ?? '<none>')}\n    line ${i + 1}: ours     ${JSON.stringify(a[i] ?? '<none>')}`,
    );
  }
  return out.join('');
}

test(
  'show output is byte-identical for all four pairings of smcroutectl × smcrouted, upstream and ours',
  { timeout: 60_000, skip },
  async () => {
    await withLab(async (lab) => {
      const t = buildStar(lab, STAR);
      const up = await captureShows(lab, t, 'upstream');
      const ours = await captureShows(lab, t, 'ours');
      const diffs: string[] = [];
      const runs: Record<Impl, Capture> = { upstream: up, ours };
      const reference = up.byClient.get('upstream')!;
      for (const [key, ref] of reference) {
        for (const d of ['upstream', 'ours'] as const) {
          for (const c of ['upstream', 'ours'] as const) {
            if (d === 'upstream' && c === 'upstream') continue;
            const got = runs[d].byClient.get(c)!.get(key)!;
            const who = `${c} smcroutectl × ${d} smcrouted, \`${key}\``;
            if (got.status !== ref.status) diffs.push(`${who}: exit ${got.status}, upstream ${ref.status}`);
            if (got.stdout !== ref.stdout) diffs.push(`${who}:${lineDiffs(ref.stdout, got.stdout)}`);
          }
        }
      }
      for (const [key, ref] of up.raw) {
        const got = ours.raw.get(key)!;
        if (got !== ref) diffs.push(`raw reply of the daemons to '${key}':${lineDiffs(ref, got)}`);
      }
      // Guard against comparing empty tables: the reference shows what the setup should produce.
      assert.match(reference.get('-t show')!.stdout, /^\(10\.41\.1\.2, 225\.31\.200\.9\) +r0 +r1 r2$/m);
      assert.match(
        reference.get('-d -t show')!.stdout,
        /^\(fd00:41:1::2, ff0e::31:9\) +r0 +5 +\d+ $/m,
        'a counted IPv6 stop filter',
      );
      assert.match(reference.get('-d -t show groups')!.stdout, /^\(10\.41\.2\.1\/31, 232\.31\.2\.2\) +r1$/m);
      assert.match(reference.get('-t show interfaces')!.stdout, /^ +\d+ r2 +2 +2$/m);
      assert.ok(diffs.length === 0, `show differs from upstream:\n${diffs.join('\n')}`);
    });
  },
);
