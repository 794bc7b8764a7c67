// The (S,G) routes every route scenario and the kernel floor install: route i has its own source and
// group, so no two share an MFC entry. Also the config text for a set of them. Pure.
import { addrAt } from '../../test/lib/fixtures.js';
import { IIF, OIF, PHYINTS } from './daemons.js';

export interface Route {
  source: string;
  group: string;
}

/** Route i: distinct source and distinct group. */
export function route(i: number): Route {
  return { source: addrAt('10.100.0.1', i), group: addrAt('225.32.0.1', i) };
}

/** smcroute.conf for these routes, from IIF to OIF, with both interfaces enabled. */
export function confText(routes: readonly Route[]): string {
  return PHYINTS + routes.map((r) => `mroute from ${IIF} source ${r.source} group ${r.group} to ${OIF}\n`).join('');
}

/** The smcroutectl -b input that adds these routes at run time. */
export function batchAdds(routes: readonly Route[]): string {
  return routes.map((r) => `add ${IIF} ${r.source} ${r.group} ${OIF}\n`).join('');
}
