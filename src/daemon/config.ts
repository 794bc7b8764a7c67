// Reads smcroute.conf (with includes) and turns its directives into the
// intents the router applies. Errors stay attached to file and line.

import { loadConfig, type ConfFs } from '../conf/load.js';
import type { Diagnostic, Directive } from '../conf/directives.js';
import { DEFAULT_THRESHOLD } from '../model/limits.js';
import type { ConfIntents, JoinIntent, PhyintIntent, RouteIntent } from '../model/intents.js';

export interface LoadedConfig {
  readonly intents: ConfIntents;
  readonly diagnostics: readonly Diagnostic[];
  /** Files read; empty when the main file could not be read. */
  readonly files: readonly string[];
}

export function readConfig(path: string, fs: ConfFs): LoadedConfig {
  const res = loadConfig(path, fs);
  return { intents: toIntents(res.directives), diagnostics: res.diagnostics, files: res.files };
}

export function toIntents(directives: readonly Directive[]): ConfIntents {
  const phyints: PhyintIntent[] = [];
  const routes: RouteIntent[] = [];
  const joins: JoinIntent[] = [];
  for (const d of directives) {
    const origin = `${d.where.file}:${d.where.line}`;
    switch (d.kind) {
      case 'phyint':
        phyints.push({
          ifname: d.ifname,
          enable: d.enable,
          mrdisc: d.mrdisc,
          threshold: d.ttlThreshold ?? DEFAULT_THRESHOLD,
          origin,
        });
        break;
      case 'mroute':
        routes.push({ iif: d.iif, source: d.source, group: d.group, oifs: d.oifs, text: d.text, origin });
        break;
      case 'mgroup':
        joins.push({ iif: d.iif, source: d.source, group: d.group, text: d.text, origin });
        break;
    }
  }
  return { phyints, routes, joins };
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.where.line > 0 ? `${d.where.file}:${d.where.line}` : d.where.file;
  return `${where}: ${d.severity}: ${d.message}`;
}
