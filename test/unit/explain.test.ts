// The pure explainer on hand-built state: each verdict and each reason code, the choice of the
// inbound interface, and the text's shape. No kernel, no daemon.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseIif, explain, formatExplanation, type ExplainState, type OsFacts } from '../../src/core/explain.js';
import { Links } from '../../src/core/links.js';
import { MfcTable } from '../../src/core/mfc-table.js';
import type { IfaceSettings, Pending } from '../../src/core/resolve.js';
import { makeRule, sgKey } from '../../src/core/rule.js';
import { RuleTable } from '../../src/core/rule-table.js';
import { VifTable } from '../../src/core/vif-table.js';
import type { LinkInfo } from '../../src/kernel/types.js';
import { MAX_VIFS } from '../../src/model/limits.js';
import { parseFlow } from '../../src/daemon/explain-flow.js';
import { A, P, link } from '../lib/fixtures.js';

const S = A('10.0.0.1');
const G = A('225.1.1.1');

interface Build {
  links?: LinkInfo[];
  rules?: [string, string | null, string, string[]][];
  vifs?: [string, number][];
  settings?: [string, Partial<IfaceSettings>][];
  pending?: Pending[];
  /** (iif, oif VIFs with their TTL) of the (S,G) entry. */
  entry?: { iif: string; ttls: [number, number][]; learned?: boolean };
}

function state(b: Build = {}): ExplainState {
  const links = new Links(b.links ?? [link('eth0', 2), link('eth1', 3), link('eth2', 4)]);
  const rules = new RuleTable();
  for (const [iif, src, grp, oifs] of b.rules ?? []) rules.set(makeRule(iif, src === null ? null : P(src), P(grp), oifs));
  const inet = new VifTable();
  for (const [name, threshold] of b.vifs ?? [
    ['eth0', 1],
    ['eth1', 1],
  ]) {
    const free = inet.freeIndex() ?? 0;
    inet.put({ vif: free, name, ifindex: links.byName(name)?.index ?? 0, threshold });
  }
  const mfc = new MfcTable();
  if (b.entry) {
    const e = mfc.upsert(undefined, sgKey(S, G), S, G, b.entry.iif, 0);
    e.learned = b.entry.learned ?? false;
    e.parent = inet.get(b.entry.iif)?.vif ?? 0;
    const ttls = new Uint8Array(MAX_VIFS);
    for (const [vif, ttl] of b.entry.ttls) ttls[vif] = ttl;
    e.ttls = ttls;
  }
  const settings = new Map<string, IfaceSettings>(
    (b.settings ?? []).map(([n, s]) => [n, { threshold: 1, disabled: false, mrdisc: false, ...s }]),
  );
  return { rules, mfc, vifs: { inet, inet6: new VifTable() }, links, settings, pending: b.pending ?? [] };
}

const codes = (st: ExplainState, iif: string, facts: OsFacts = {}) => {
  const e = explain(st, iif, S, G, facts);
  return { verdict: e.verdict, codes: e.reasons.map((r) => r.code), e };
};

test('forwarded: a kernel entry on the IIF with outbound interfaces, nothing in the way', () => {
  const st = state({ rules: [['eth0', '10.0.0.1', '225.1.1.1', ['eth1']]], entry: { iif: 'eth0', ttls: [[1, 1]] } });
  const r = codes(st, 'eth0', { sample: 64, counters: { packets: 3n, bytes: 300n, wrongIf: 0n } });
  assert.equal(r.verdict, 'forwarded');
  assert.deepEqual(r.codes, []);
  assert.deepEqual(JSON.parse(JSON.stringify(r.e)), {
    flow: { iif: 'eth0', source: '10.0.0.1', group: '225.1.1.1' },
    verdict: 'forwarded',
    oifs: ['eth1'],
    rule: { iif: 'eth0', source: '10.0.0.1', group: '225.1.1.1', oifs: ['eth1'] },
    kernel: { iif: 'eth0', oifs: ['eth1'], learned: false, packets: 3, bytes: 300, wrongIf: 0 },
    reasons: [],
  });
});

test("the kernel entry's counters stay exact past 2^53, as every JSON output writes counters", () => {
  const st = state({ rules: [['eth0', '10.0.0.1', '225.1.1.1', ['eth1']]], entry: { iif: 'eth0', ttls: [[1, 1]] } });
  const big = 2n ** 60n + 1n;
  const facts: OsFacts = { sample: 64, counters: { packets: big, bytes: big * 1500n, wrongIf: 7n } };
  const r = codes(st, 'eth0', facts);
  const kernel = (JSON.parse(JSON.stringify(r.e)) as { kernel: Record<string, unknown> }).kernel;
  assert.deepEqual([kernel.packets, kernel.bytes, kernel.wrongIf], [String(big), String(big * 1500n), 7]);
  assert.match(
    formatExplanation(r.e, 'kernel', facts),
    new RegExp(`${big} packets, ${big * 1500n} bytes, 7 on a wrong interface`),
  );
});

test('stopped with no-rule: a learned stop filter', () => {
  const r = codes(state({ entry: { iif: 'eth0', ttls: [], learned: true } }), 'eth0');
  assert.equal(r.verdict, 'stopped');
  assert.deepEqual(r.codes, ['no-rule']);
  assert.match(r.e.reasons[0]?.text ?? '', /holds a stop filter/);
});

test('not-seen with no-rule: no entry and no rule', () => {
  const r = codes(state(), 'eth0');
  assert.equal(r.verdict, 'not-seen');
  assert.deepEqual(r.codes, ['no-rule']);
});

test('wrong-iif names the interface a rule expects', () => {
  const r = codes(state({ rules: [['eth1', null, '225.1.1.0/24', ['eth0']]] }), 'eth0');
  assert.deepEqual(r.codes, ['no-rule', 'wrong-iif']);
  assert.match(r.e.reasons[1]?.text ?? '', /arrives on eth1, not on eth0/);
});

test("wrong-iif from the kernel's entry on another interface", () => {
  const st = state({ rules: [['eth1', '10.0.0.1', '225.1.1.1', ['eth0']]], entry: { iif: 'eth1', ttls: [[0, 1]] } });
  const r = codes(st, 'eth0');
  assert.equal(r.verdict, 'stopped');
  assert.deepEqual(r.codes, ['no-rule', 'wrong-iif']);
});

test('pending: a rule waiting for its inbound interface', () => {
  const pending: Pending[] = [{ kind: 'mroute', iif: 'eth9', group: '225.1.1.0/24', oifs: ['eth1'] }];
  const st = state({ pending });
  const r = codes(st, 'eth9');
  assert.equal(r.verdict, 'pending');
  assert.deepEqual(r.codes, ['pending', 'iif-down']);
  assert.match(r.e.reasons[0]?.text ?? '', /waits for eth9 to appear/);
  assert.deepEqual(chooseIif(st, undefined, S, G), { ok: true, value: { iif: 'eth9', from: 'pending' } });
});

test('rp-filter: strict and the route back leaves elsewhere; loose and no route at all; silent otherwise', () => {
  const st = state({ rules: [['eth0', null, '225.1.1.1', ['eth1']]] });
  const strict = { all: 0, iface: 1 };
  const r1 = codes(st, 'eth0', { rpFilter: strict, routeBack: { via: 'eth1' } });
  assert.deepEqual(r1.codes, ['rp-filter']);
  assert.match(r1.e.reasons[0]?.text ?? '', /leaves through eth1, not eth0.*sysctl -w net\.ipv4\.conf\.eth0\.rp_filter=2/);
  const r2 = codes(st, 'eth0', { rpFilter: { all: 2, iface: 0 }, routeBack: 'unreachable' });
  assert.deepEqual(r2.codes, ['rp-filter']);
  assert.deepEqual(codes(st, 'eth0', { rpFilter: strict, routeBack: { via: 'eth0' } }).codes, []);
  assert.deepEqual(codes(st, 'eth0', { rpFilter: { all: 2, iface: 0 }, routeBack: { via: 'eth1' } }).codes, []);
});

test('no-vif: disabled by phyint, or every VIF taken', () => {
  const disabled = state({ vifs: [['eth1', 1]], settings: [['eth0', { disabled: true }]] });
  const r = codes(disabled, 'eth0');
  assert.deepEqual(r.codes, ['no-vif', 'no-rule']);
  assert.match(r.e.reasons[0]?.text ?? '', /`phyint eth0 disable`/);
  const many: LinkInfo[] = Array.from({ length: MAX_VIFS + 1 }, (_, i) => link(`e${i}`, i + 2));
  const full = state({ links: many, vifs: many.slice(1).map((l): [string, number] => [l.name, 1]) });
  assert.match(codes(full, 'e0').e.reasons[0]?.text ?? '', /all 32 are in use/);
});

test('iif-down and no-multicast-flag read off the link', () => {
  const down = state({ links: [{ name: 'eth0', index: 2, up: false, multicast: true }, link('eth1', 3)] });
  assert.deepEqual(codes(down, 'eth0').codes, ['iif-down', 'no-rule']);
  const nomc = state({ links: [link('eth0', 2, false), link('eth1', 3)], vifs: [['eth1', 1]] });
  assert.deepEqual(codes(nomc, 'eth0').codes, ['no-multicast-flag', 'no-rule']);
});

test('ttl-threshold names the TTL a packet needs; ttl when a sampled packet is too low', () => {
  const st = state({
    vifs: [
      ['eth0', 1],
      ['eth1', 5],
    ],
    rules: [['eth0', '10.0.0.1', '225.1.1.1', ['eth1']]],
    entry: { iif: 'eth0', ttls: [[1, 5]] },
  });
  const r = codes(st, 'eth0', { sample: 4 });
  assert.deepEqual(r.codes, ['ttl-threshold', 'ttl']);
  assert.match(r.e.reasons[0]?.text ?? '', /eth1 has TTL threshold 5: only packets arriving with TTL 6 or more/);
  assert.match(r.e.reasons[1]?.text ?? '', /TTL 4, too low to go out eth1 \(needs 6\)/);
  assert.deepEqual(codes(st, 'eth0', { sample: 6 }).codes, ['ttl-threshold']);
  assert.deepEqual(codes(st, 'eth0', { sample: 'none' }).codes, ['ttl-threshold']);
});

test('ttl: a packet with TTL 1 is never forwarded', () => {
  const st = state({ rules: [['eth0', '10.0.0.1', '225.1.1.1', ['eth1']]], entry: { iif: 'eth0', ttls: [[1, 1]] } });
  const r = codes(st, 'eth0', { sample: 1 });
  assert.equal(r.verdict, 'forwarded');
  assert.deepEqual(r.codes, ['ttl']);
});

test('the IIF: given, from the kernel entry, from the one rule; ambiguous or unknown is refused', () => {
  assert.deepEqual(chooseIif(state(), 'eth2', S, G), { ok: true, value: { iif: 'eth2', from: 'given' } });
  const entry = state({ entry: { iif: 'eth1', ttls: [] } });
  assert.deepEqual(chooseIif(entry, undefined, S, G), { ok: true, value: { iif: 'eth1', from: 'kernel' } });
  const one = state({ rules: [['eth0', null, '225.1.1.0/24', ['eth1']]] });
  assert.deepEqual(chooseIif(one, undefined, S, G), { ok: true, value: { iif: 'eth0', from: 'rule' } });
  const two = state({
    rules: [
      ['eth0', null, '225.1.1.0/24', ['eth1']],
      ['eth1', null, '225.1.1.1', ['eth0']],
    ],
  });
  const amb = chooseIif(two, undefined, S, G);
  assert.ok(!amb.ok && /rules on eth0, eth1 cover 10\.0\.0\.1 225\.1\.1\.1; say which/.test(amb.error), JSON.stringify(amb));
  const none = chooseIif(state(), undefined, S, G);
  assert.ok(!none.ok && /give one: explain IIF/.test(none.error));
});

test('the text: the verdict on one line, then numbered steps with the reasons', () => {
  const st = state({ rules: [['eth0', '10.0.0.1', '225.1.1.1', ['eth1']]], entry: { iif: 'eth0', ttls: [[1, 1]] } });
  const facts: OsFacts = { sample: 'none', sampleMs: 1000 };
  const text = formatExplanation(explain(st, 'eth0', S, G, facts), 'kernel', facts);
  assert.equal(
    text,
    [
      'Verdict: forwarded -- 10.0.0.1 -> 225.1.1.1 on eth0 -> eth1: the kernel forwards it',
      " 1. Inbound interface eth0, taken from the kernel's entry for the flow (none was given).",
      ' 2. Rule: eth0 10.0.0.1 225.1.1.1 -> eth1',
      ' 3. Kernel entry: eth0 -> eth1; 0 packets, 0 bytes, 0 on a wrong interface.',
      ' 4. No packet of this flow arrived on eth0 within 1 s, so no TTL was checked.',
      ' 5. Nothing stands in the way of this flow.',
      '',
    ].join('\n'),
  );
});

test('the words: [IIF] SOURCE GROUP, checked', () => {
  assert.ok(parseFlow(['eth0', '10.0.0.1', '225.1.1.1']).ok);
  assert.ok(parseFlow(['fd00::1', 'ff0e::1']).ok);
  const msg = (args: string[]) => {
    const r = parseFlow(args);
    return r.ok ? '' : r.error;
  };
  assert.equal(msg(['225.1.1.1']), 'explain: usage: explain [IIF] SOURCE GROUP');
  assert.equal(msg(['eth0', '225.1.1.2', '225.1.1.1']), 'explain: invalid source address: 225.1.1.2');
  assert.equal(msg(['10.0.0.1', '10.0.0.2']), 'explain: invalid multicast group: 10.0.0.2');
  assert.equal(msg(['10.0.0.1', 'ff0e::1']), 'explain: source 10.0.0.1 and group ff0e::1 are not of one family');
  assert.match(msg(['a/b', '10.0.0.1', '225.1.1.1']), /^explain: interface name "a\/b"/);
});

test('before the first packet, the outbound interfaces named are those the router will install: every covering rule, as given', () => {
  const st = state({
    vifs: [
      ['eth0', 1],
      ['eth1', 1],
      ['eth2', 1],
    ],
    rules: [
      ['eth0', null, '225.1.0.0/16', ['eth0', 'eth1']],
      ['eth0', null, '225.1.1.0/24', ['eth2']],
    ],
  });
  const e = explain(st, 'eth0', S, G, {});
  assert.equal(e.verdict, 'not-seen');
  assert.deepEqual(e.oifs, ['eth0', 'eth1', 'eth2']);
});
