// What applying a configuration would change, as the apply step would do it:
// the rule, membership and VIF/MIF differences. Pure data; the router makes
// it with the same functions a reload applies.

import type { MembershipPlan, RuleChange } from './desired.js';
import type { Problem } from './resolve.js';
import type { VifStep } from './vif-plan.js';

export interface ConfigPlan {
  /** Rules added (no `before`), removed (no `after`), or with other outbound interfaces. */
  readonly rules: readonly RuleChange[];
  readonly joins: MembershipPlan;
  readonly vifs: readonly VifStep[];
  /** What the rebuild would warn about (an interface missing, a rule pending, ...). */
  readonly problems: readonly Problem[];
  /** Runtime changes (smcroutectl add, remove, join, leave) since the last reload, which a reload drops. */
  readonly runtimeDropped: number;
}
