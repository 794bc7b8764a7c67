// The daemon's side of `smcroutectl explain`: checks the words, picks the inbound interface, asks
// the kernel layer for the OS facts (the one wait: a TTL sample) and hands all to core/explain.ts.
// Loaded on the first explain request only; holds no state and changes none.

import { chooseIif, explain, formatExplanation, type ExplainState, type OsFacts } from '../core/explain.js';
import { isMulticast, parseAddr, type Addr } from '../model/addr.js';
import { Links } from '../core/links.js';
import { checkIfname } from '../model/ifname.js';
import type { Kernel } from '../kernel/types.js';
import { fail, ok, type Result } from '../result.js';

/** How long explain listens for a live packet of the flow. */
const SAMPLE_MS = 1000;

const EXPLAIN_USAGE = 'explain: usage: explain [IIF] SOURCE GROUP';

interface FlowWords {
  readonly iif?: string;
  readonly source: Addr;
  readonly group: Addr;
}

/** [IIF] SOURCE GROUP, checked: a unicast source and a multicast group of one family. */
export function parseFlow(args: readonly string[]): Result<FlowWords> {
  if (args.length < 2 || args.length > 3) return fail(EXPLAIN_USAGE);
  const [iif, sourceText = '', groupText = ''] = args.length === 3 ? args : [undefined, ...args];
  if (iif !== undefined) {
    const name = checkIfname(iif);
    if (!name.ok) return fail(`explain: ${name.error}`);
  }
  const source = parseAddr(sourceText);
  if (!source || isMulticast(source)) return fail(`explain: invalid source address: ${sourceText}`);
  const group = parseAddr(groupText);
  if (!group || !isMulticast(group)) return fail(`explain: invalid multicast group: ${groupText}`);
  if (group.family !== source.family) return fail(`explain: source ${sourceText} and group ${groupText} are not of one family`);
  return ok({ iif, source, group });
}

/** The explanation as text or JSON, or why the request cannot be answered. */
export async function explainFlow(
  state: () => ExplainState,
  kernel: Kernel,
  args: readonly string[],
  json: boolean,
): Promise<Result<string>> {
  const flow = parseFlow(args);
  if (!flow.ok) return flow;
  const { source, group } = flow.value;
  const st = state();
  const chosen = chooseIif(st, flow.value.iif, source, group);
  if (!chosen.ok) return chosen;
  const { iif, from } = chosen.value;
  const os = await kernel.flowFacts();
  const links = kernel.links();
  const link = links.find((l) => l.name === iif);
  const facts: Mutable<OsFacts> = { counters: kernel.counters(source.family, source, group) };
  if (source.family === 'inet') {
    facts.rpFilter = os.rpFilter(iif);
    const back = os.routeBack(source);
    if (back === 'unreachable') facts.routeBack = back;
    else if (back) facts.routeBack = { via: links.find((l) => l.index === back.ifindex)?.name ?? `ifindex ${back.ifindex}` };
  }
  if (link?.up) {
    const ttl = await os.sampleTtl(link.index, source, group, SAMPLE_MS);
    facts.sample = ttl ?? 'none';
    facts.sampleMs = SAMPLE_MS;
  }
  // The state may have moved during the sample (a reload, a link event): explain what holds now.
  // Links are read afresh: the router keeps the list as of the last change that mattered to
  // routing, and a link going down or up is not one.
  const e = explain({ ...state(), links: new Links(kernel.links()) }, iif, source, group, facts);
  if (json) return ok(JSON.stringify(e) + '\n');
  return ok(formatExplanation(e, from, facts));
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
