// What each configured route resolved to at the last rebuild, so a rebuild
// against the same interfaces and settings (a reload, mostly) reuses a
// route's rule instead of resolving it again. Pure.

import type { RouteIntent } from '../model/intents.js';
import type { Links } from './links.js';
import type { IfaceSettings } from './resolve.js';
import type { Rule } from './rule.js';

export class ResolveMemo {
  private rules = new Map<RouteIntent, Rule>();
  /**
   * Remembered during the rebuild under way, entered in `rules` when the next one begins: a
   * route is never asked for twice in one rebuild, and 50,000 map entries made at start-up
   * would be on the way to the PID file for nothing but the first reload.
   */
  private pendingRoutes: RouteIntent[] = [];
  private pendingRules: Rule[] = [];
  private links?: Links;
  private settings?: ReadonlyMap<string, IfaceSettings>;

  /** Starts a rebuild against `links` and `settings`: what was remembered holds only if both are as before. */
  begin(links: Links, settings: ReadonlyMap<string, IfaceSettings>): void {
    const same =
      this.links !== undefined &&
      this.settings !== undefined &&
      links.sameAs(this.links) &&
      sameSettings(settings, this.settings);
    if (same) this.settle();
    else this.forget();
    this.links = links;
    this.settings = settings;
  }

  /** The one rule `route` resolved to cleanly last time (the same object: a reload keeps unchanged lines' intents). */
  get(route: RouteIntent): Rule | undefined {
    return this.rules.get(route);
  }

  /** `route` resolved to exactly `rule`, with nothing missing and nothing to report. */
  remember(route: RouteIntent, rule: Rule): void {
    this.pendingRoutes.push(route);
    this.pendingRules.push(rule);
  }

  /**
   * Ends a rebuild of `routes`: routes no longer configured are forgotten
   * once they are a quarter of those that are (so a reload pays for this
   * rarely, and the memo never holds much more than the configuration).
   */
  end(routes: readonly RouteIntent[]): void {
    if (this.rules.size + this.pendingRoutes.length <= routes.length + routes.length / 4 + 64) return;
    this.settle();
    const kept = new Map<RouteIntent, Rule>();
    for (const r of routes) {
      const rule = this.rules.get(r);
      if (rule) kept.set(r, rule);
    }
    this.rules = kept;
  }

  /** Enters what the last rebuild remembered now, in a quiet moment, rather than when the next one begins. */
  settle(): void {
    for (let i = 0; i < this.pendingRoutes.length; i++) {
      const route = this.pendingRoutes[i];
      const rule = this.pendingRules[i];
      if (route && rule) this.rules.set(route, rule);
    }
    this.pendingRoutes = [];
    this.pendingRules = [];
  }

  private forget(): void {
    this.rules = new Map();
    this.pendingRoutes = [];
    this.pendingRules = [];
  }
}

function sameSettings(a: ReadonlyMap<string, IfaceSettings>, b: ReadonlyMap<string, IfaceSettings>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, s] of a) {
    const t = b.get(name);
    if (!t || t.disabled !== s.disabled || t.threshold !== s.threshold) return false;
  }
  return true;
}
