// Model-based property test (fast-check, fixed seed): the real Daemon on the fake kernel under
// random sequences of add, remove, join, leave, flush, reload, an interface coming and going,
// multicast arriving, and show, all through the IPC command handler. After every step the
// daemon's answer, its show output and the fake kernel's MFC and memberships equal a model's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { contains, expand, formatAddr, formatPrefix, type Addr, type Family } from '../../src/model/addr.js';
import type { RouteView } from '../../src/show/types.js';
import {
  CONF_FILE,
  fakeKernelMfc,
  fakeMemberships,
  shownKernel,
  shownMemberships,
  startFakeDaemon,
  type FakeDaemon,
} from '../lib/fake-daemon.js';
import { A, fakeLinks, P } from '../lib/fixtures.js';
import { fuzzAsync } from '../lib/fuzz.js';

/** eth0 .. eth4 (indexes 2 .. 6); eth4 comes and goes. */
const LINKS = fakeLinks(5);
const ETHS = ['eth0', 'eth1', 'eth2', 'eth3', 'eth4'];
const FLAKY = 'eth4';

interface Flow {
  readonly iif: string;
  readonly source?: string;
  readonly group: string;
}

/**
 * Single (S,G) routes, each (S,G) with one inbound interface, so that no two rules fight over one
 * kernel entry; then templates, some covering the (S,G) routes' groups too.
 */
const SG_ROUTES: readonly Flow[] = [
  { iif: 'eth0', source: '10.0.0.1', group: '225.1.1.1' },
  { iif: 'eth0', source: '10.0.0.1', group: '225.1.1.2' },
  { iif: 'eth1', source: '10.0.0.2', group: '225.1.1.1' },
  { iif: 'eth4', source: '10.0.0.4', group: '225.1.1.2' },
  { iif: 'eth0', source: 'fd00::1', group: 'ff3e::1' },
  { iif: 'eth4', source: 'fd00::4', group: 'ff3e::1' },
];
const TEMPLATES: readonly Flow[] = [
  { iif: 'eth0', group: '225.2.0.0/16' },
  { iif: 'eth0', group: '225.2.1.1' },
  { iif: 'eth1', group: '225.2.0.0/16' },
  { iif: 'eth4', group: '225.2.1.0/24' },
  { iif: 'eth0', source: '10.9.0.0/16', group: '225.2.1.1' },
  { iif: 'eth1', source: '10.9.0.2', group: '225.3.0.0/16' },
  { iif: 'eth0', group: '225.0.0.0/8' },
  { iif: 'eth0', group: 'ff3e::/16' },
];
const ROUTES = [...SG_ROUTES, ...TEMPLATES];
/**
 * Traffic, from no (S,G) route's source. Some sources arrive on two interfaces: IPv4 flows then
 * follow a template on the new one (WRONGVIF); IPv6 has no such upcall, so they stay.
 */
const SENDERS = [
  { iif: 'eth0', source: '10.9.0.1' },
  { iif: 'eth1', source: '10.9.0.1' },
  { iif: 'eth1', source: '10.9.0.2' },
  { iif: 'eth4', source: '10.9.0.2' },
  { iif: 'eth4', source: '10.9.0.4' },
  { iif: 'eth0', source: 'fd09::1' },
  { iif: 'eth1', source: 'fd09::1' },
];
const TRAFFIC_GROUPS = ['225.2.1.1', '225.2.2.2', '225.3.3.3', '226.1.1.1', 'ff3e::2:1', 'ff05::1'];
const JOINS: readonly Flow[] = ETHS.flatMap((iif) => [
  { iif, group: '225.7.7.1' },
  { iif, group: '225.7.7.0/31' },
  { iif, group: '225.7.7.0/30' },
  { iif, group: 'ff3e::7' },
  { iif, source: '10.7.0.1', group: '232.7.7.7' },
  { iif, source: '10.7.0.0/31', group: '232.7.7.7' },
]);

const key = (f: Flow) => `${f.iif}|${f.source ?? '*'}|${f.group}`;
const familyOf = (f: { group: string }): Family => (f.group.includes(':') ? 'inet6' : 'inet');
const prefixText = (t: string) => formatPrefix(P(t));

interface ModelRoute extends Flow {
  /** Outbound interfaces as named, present or not. */
  readonly oifs: Set<string>;
}

interface Entry {
  readonly family: Family;
  readonly source: Addr;
  readonly group: Addr;
  readonly iif: string;
  learned: boolean;
}

/** What the operator asked for, by name, and the kernel entries that follow from it. */
class Model {
  present = new Set(ETHS);
  routes = new Map<string, ModelRoute>();
  joins = new Map<string, Flow>();
  entries = new Map<string, Entry>();

  /** The rules the daemon holds: those whose inbound interface exists, with the outbound ones that do. */
  rules(): ModelRoute[] {
    return [...this.routes.values()]
      .filter((r) => this.present.has(r.iif))
      .map((r) => ({ ...r, oifs: new Set([...r.oifs].filter((o) => this.present.has(o))) }));
  }

  private matching(e: Entry, rules: readonly ModelRoute[]): ModelRoute[] {
    return rules.filter(
      (r) =>
        r.iif === e.iif &&
        familyOf(r) === e.family &&
        (r.source === undefined || contains(P(r.source), e.source)) &&
        contains(P(r.group), e.group),
    );
  }

  /** Runs a change of the rules or links, then settles the kernel entries as the daemon does. */
  change(apply: () => void): void {
    const matchedBefore = new Map([...this.entries].map(([k, e]) => [k, this.matching(e, this.rules()).length > 0]));
    apply();
    const rules = this.rules();
    const configured = new Map<string, ModelRoute>();
    for (const r of rules) if (SG_ROUTES.some((s) => key(s) === key(r))) configured.set(sgKey(A(r.source ?? ''), A(r.group)), r);
    for (const [k, e] of this.entries) {
      if (configured.has(k)) continue;
      // An entry a changed rule touched is worked out again (and goes when nothing covers it
      // now); one no rule covered before stays as it was (a stop filter), unless its link went.
      const keep = this.matching(e, rules).length > 0 || (!matchedBefore.get(k) && this.present.has(e.iif));
      if (keep) e.learned = true;
      else this.entries.delete(k);
    }
    for (const [k, r] of configured) {
      const source = A(r.source ?? '');
      this.entries.set(k, { family: familyOf(r), source, group: A(r.group), iif: r.iif, learned: false });
    }
  }

  receive(iif: string, source: string, group: string): void {
    const k = sgKey(A(source), A(group));
    const e = this.entries.get(k);
    if (!this.present.has(iif)) return;
    if (!e) this.entries.set(k, { family: familyOf({ group }), source: A(source), group: A(group), iif, learned: true });
    else if (e.iif !== iif && e.family === 'inet') {
      // WRONGVIF: the flow moves when a template on the new interface covers it.
      const moved = { ...e, iif };
      if (this.matching(moved, this.rules()).some((r) => !SG_ROUTES.some((s) => key(s) === key(r)))) this.entries.set(k, moved);
    }
  }

  loadConf(conf: ConfModel): void {
    this.change(() => {
      this.routes = new Map();
      for (const r of conf.routes) {
        const had = this.routes.get(key(r));
        this.routes.set(key(r), { ...r, oifs: new Set([...(had?.oifs ?? []), ...r.oifs]) });
      }
      this.joins = new Map();
      for (const j of conf.joins) if (!this.joins.has(key(j))) this.joins.set(key(j), j);
    });
  }

  // ---- the views to compare ----

  kernel(): string[] {
    const rules = this.rules();
    return [...this.entries.values()]
      .map((e) => {
        const oifs = new Set(this.matching(e, rules).flatMap((r) => [...r.oifs]));
        return `${formatAddr(e.source)},${formatAddr(e.group)} ${e.iif} > ${[...oifs].sort().join(' ')}`;
      })
      .sort();
  }

  shownRules(): string[] {
    return this.rules()
      .map((r) => `${r.source ? prefixText(r.source) : '*'},${prefixText(r.group)} ${r.iif} > ${[...r.oifs].sort().join(' ')}`)
      .sort();
  }

  shownJoins(): string[] {
    return [...this.joins.values()]
      .filter((j) => this.present.has(j.iif))
      .map((j) => `${j.iif} ${j.source ? prefixText(j.source) : '*'},${prefixText(j.group)}`)
      .sort();
  }

  memberships(): string[] {
    const out = new Set<string>();
    for (const j of this.joins.values()) {
      if (!this.present.has(j.iif)) continue;
      const sources = j.source ? [...expand(P(j.source))].map(formatAddr) : ['*'];
      for (const s of sources) for (const g of expand(P(j.group))) out.add(`${j.iif} ${s},${formatAddr(g)}`);
    }
    return [...out].sort();
  }
}

function sgKey(source: Addr, group: Addr): string {
  return `${formatAddr(source)},${formatAddr(group)}`;
}

const viewText = (views: readonly RouteView[]) =>
  views
    .map((v) => `${v.source ? formatPrefix(v.source) : '*'},${formatPrefix(v.group)} ${v.iif} > ${[...v.oifs].sort().join(' ')}`)
    .sort();

/** The daemon and the model agree on everything the operator and the kernel can see. */
function agree(m: Model, d: FakeDaemon): void {
  const routes = d.daemon.showRoutes('brief');
  assert.deepEqual(viewText([...routes.templates, ...routes.sgRules]), m.shownRules(), 'configured rules');
  assert.deepEqual(shownKernel(d.daemon), m.kernel(), 'show: kernel routes');
  assert.deepEqual(fakeKernelMfc(d.fake), m.kernel(), 'the kernel MFC');
  const groups = d.daemon
    .showGroups()
    .conf.map((g) => `${g.iif} ${g.source ? formatPrefix(g.source) : '*'},${formatPrefix(g.group)}`);
  assert.deepEqual(groups.sort(), m.shownJoins(), 'show: groups');
  assert.deepEqual(fakeMemberships(d.ns), m.memberships(), 'kernel memberships');
  assert.deepEqual(shownMemberships(d.daemon), m.memberships(), 'show: kernel memberships');
}

/** An answer the model expects: ok, or a refusal naming `names`. */
function answered(reply: ReturnType<FakeDaemon['send']>, expectOk: boolean, names: string): void {
  const text = reply.bytes.subarray(0, -1).toString();
  assert.equal(reply.result.ok, expectOk, `expected ${expectOk ? 'success' : 'a refusal'}, got ${JSON.stringify(text)}`);
  if (!expectOk) assert.ok(text.includes(names), `the refusal names ${names}: ${text}`);
}

type Cmd = fc.Command<Model, FakeDaemon>;
const words = (f: Flow) => [f.iif, ...(f.source ? [f.source] : []), f.group];

class Add implements Cmd {
  constructor(
    readonly route: Flow,
    readonly oifs: string[],
  ) {}
  check = () => true;
  run(m: Model, d: FakeDaemon): void {
    const reply = d.send('a', [...words(this.route), ...this.oifs]);
    const ok = m.present.has(this.route.iif);
    if (ok) {
      m.change(() => {
        const had = m.routes.get(key(this.route));
        m.routes.set(key(this.route), { ...this.route, oifs: new Set([...(had?.oifs ?? []), ...this.oifs]) });
      });
    }
    answered(reply, ok, this.route.iif);
    agree(m, d);
  }
  toString = () => `add ${[...words(this.route), ...this.oifs].join(' ')}`;
}

class Remove implements Cmd {
  constructor(
    readonly route: Flow,
    readonly oifs: string[],
  ) {}
  check = () => true;
  run(m: Model, d: FakeDaemon): void {
    const reply = d.send('r', [...words(this.route), ...this.oifs]);
    const had = m.routes.get(key(this.route));
    const ok = m.present.has(this.route.iif) && had !== undefined;
    if (ok && had) {
      m.change(() => {
        if (this.oifs.length === 0) m.routes.delete(key(this.route));
        else m.routes.set(key(this.route), { ...had, oifs: new Set([...had.oifs].filter((o) => !this.oifs.includes(o))) });
      });
    }
    answered(reply, ok, this.route.iif);
    agree(m, d);
  }
  toString = () => `remove ${[...words(this.route), ...this.oifs].join(' ')}`;
}

class Join implements Cmd {
  constructor(
    readonly join: Flow,
    readonly leave: boolean,
  ) {}
  check = () => true;
  run(m: Model, d: FakeDaemon): void {
    const reply = d.send(this.leave ? 'l' : 'j', words(this.join));
    const joined = m.joins.has(key(this.join));
    const ok = m.present.has(this.join.iif) && joined === this.leave;
    if (ok && this.leave) m.joins.delete(key(this.join));
    else if (ok) m.joins.set(key(this.join), this.join);
    answered(reply, ok, this.join.iif);
    agree(m, d);
  }
  toString = () => `${this.leave ? 'leave' : 'join'} ${words(this.join).join(' ')}`;
}

class Flush implements Cmd {
  check = () => true;
  run(m: Model, d: FakeDaemon): void {
    answered(d.send('F', []), true, '');
    for (const [k, e] of m.entries) if (e.learned) m.entries.delete(k);
    agree(m, d);
  }
  toString = () => 'flush';
}

interface ConfModel {
  readonly routes: readonly ModelRoute[];
  readonly joins: readonly Flow[];
}

/** A config file: every ethN enabled (so each present one has a VIF), then routes and joins. */
function confText(c: ConfModel): string {
  const lines = ETHS.map((e) => `phyint ${e} enable`);
  for (const r of c.routes) {
    const src = r.source ? ` source ${r.source}` : '';
    lines.push(`mroute from ${r.iif}${src} group ${r.group}${r.oifs.size > 0 ? ` to ${[...r.oifs].join(' ')}` : ''}`);
  }
  for (const j of c.joins) lines.push(`mgroup from ${j.iif}${j.source ? ` source ${j.source}` : ''} group ${j.group}`);
  return `${lines.join('\n')}\n`;
}

class Reload implements Cmd {
  constructor(readonly conf: ConfModel) {}
  check = () => true;
  run(m: Model, d: FakeDaemon): void {
    d.files.set(CONF_FILE, confText(this.conf));
    answered(d.send('H', []), true, '');
    m.loadConf(this.conf);
    agree(m, d);
  }
  toString = () => `reload ${JSON.stringify(confText(this.conf))}`;
}

class ToggleLink implements Cmd {
  check = () => true;
  run(m: Model, d: FakeDaemon): void {
    const up = !m.present.has(FLAKY);
    d.ns.setLinks(up ? LINKS : LINKS.filter((l) => l.name !== FLAKY));
    m.change(() => (up ? m.present.add(FLAKY) : m.present.delete(FLAKY)));
    agree(m, d);
  }
  toString = () => `toggle ${FLAKY}`;
}

class Receive implements Cmd {
  constructor(
    readonly sender: { iif: string; source: string },
    readonly group: string,
  ) {}
  check = () => familyOf({ group: this.group }) === (this.sender.source.includes(':') ? 'inet6' : 'inet');
  run(m: Model, d: FakeDaemon): void {
    const link = LINKS.find((l) => l.name === this.sender.iif);
    assert.ok(link);
    d.ns.receive(familyOf({ group: this.group }), link.index, A(this.sender.source), A(this.group), 3, 100);
    m.receive(this.sender.iif, this.sender.source, this.group);
    agree(m, d);
  }
  toString = () => `traffic ${this.sender.source} -> ${this.group} on ${this.sender.iif}`;
}

class Show implements Cmd {
  constructor(
    readonly cmd: string,
    readonly what: string,
  ) {}
  check = () => true;
  run(m: Model, d: FakeDaemon): void {
    const reply = d.send(this.cmd, this.what === '' ? [] : [this.what]);
    assert.equal(reply.result.ok, true);
    assert.equal(reply.bytes.at(-1), 0);
    agree(m, d);
  }
  toString = () => `show(${this.cmd}) ${this.what}`;
}

const oifsArb = fc.subarray(ETHS);
const routeArb = fc.constantFrom(...ROUTES);
const confArb: fc.Arbitrary<ConfModel> = fc.record({
  routes: fc.array(
    fc.tuple(routeArb, oifsArb).map(([r, oifs]) => ({ ...r, oifs: new Set(oifs) })),
    { maxLength: 8 },
  ),
  joins: fc.array(fc.constantFrom(...JOINS), { maxLength: 5 }),
});
const traffic = fc.tuple(fc.constantFrom(...SENDERS), fc.constantFrom(...TRAFFIC_GROUPS)).map(([s, g]) => new Receive(s, g));
/** Traffic three times as often as each other kind of step: flows learned, moved and stopped matter most. */
const commandArbs = [
  traffic,
  traffic,
  fc.tuple(routeArb, oifsArb).map(([r, oifs]) => new Add(r, oifs)),
  // Removes also name routes on the wrong inbound interface, which do not exist.
  fc
    .tuple(routeArb, fc.constantFrom(...ETHS, undefined), fc.oneof(fc.constant<string[]>([]), oifsArb))
    .map(([r, iif, oifs]) => new Remove({ ...r, iif: iif ?? r.iif }, oifs)),
  fc.tuple(fc.constantFrom(...JOINS), fc.boolean()).map(([j, leave]) => new Join(j, leave)),
  fc.constant(new Flush()),
  confArb.map((c) => new Reload(c)),
  fc.constant(new ToggleLink()),
  traffic,
  fc
    .tuple(fc.constantFrom('s', 'S', 'J'), fc.constantFrom('', 'routes', 'groups', 'interfaces', 'pending'))
    .map(([c, w]) => new Show(c, w)),
];

test('fuzz: the daemon on the fake kernel under random commands, traffic, reloads and link changes equals a model', async () => {
  await fuzzAsync(
    fc.asyncProperty(confArb, fc.commands(commandArbs, { maxCommands: 60, size: 'medium' }), async (conf, cmds) => {
      const d = await startFakeDaemon(confText(conf), LINKS);
      try {
        const m = new Model();
        m.loadConf(conf);
        agree(m, d);
        fc.modelRun(() => ({ model: m, real: d }), cmds);
        assert.ok(!d.log.lines.some((l) => / failed: /.test(l)), 'no event hit the error guard');
      } finally {
        await d.stop();
      }
    }),
    { seed: 0xda3301, runs: 150 },
  );
});
