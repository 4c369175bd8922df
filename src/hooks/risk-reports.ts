// The overview's price-move answer, read for one card at a time: each account's report found through a map built
// once per answer, and a card's report kept as it was while only the moment of the answer changes.
import type { RiskOverview, RiskReport } from '../contract/risk.ts';

const byAnswer = new WeakMap<RiskOverview, ReadonlyMap<string, RiskReport>>();

/** The answer's reports by account id: built on the first look at an answer, then shared by every card. */
export function reportsById(overview: RiskOverview): ReadonlyMap<string, RiskReport> {
  let byId = byAnswer.get(overview);
  if (byId === undefined) {
    byId = new Map(overview.accounts.map((report) => [report.accountId, report]));
    byAnswer.set(overview, byId);
  }
  return byId;
}

/** Whether two values of a parsed answer (JSON: objects, arrays, strings, numbers, booleans, null) are equal. */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => sameValue(item, b[i]));
  }
  const left = Object.entries(a);
  const right = b as Record<string, unknown>;
  if (left.length !== Object.keys(right).length) return false;
  return left.every(([key, value]) => Object.hasOwn(right, key) && sameValue(value, right[key]));
}

/** Whether two reports of an account say the same, whatever the moment (`at`) the proxy answered with each. */
export function sameReportButAt(a: RiskReport, b: RiskReport): boolean {
  return sameValue({ ...a, at: 0 }, { ...b, at: 0 });
}

/**
 * A `select` of the overview's answer for one account: its report (null when the answer holds none), the very same
 * object as last time while the report says the same but for its `at`, so the card reading it is not re-rendered
 * by every refetch. The `at` of a kept report is the moment of the answer that first said it.
 */
export function accountReportSelector(accountId: string): (overview: RiskOverview) => RiskReport | null {
  let last: RiskReport | null = null;
  return (overview) => {
    const next = reportsById(overview).get(accountId) ?? null;
    if (last !== null && next !== null && sameReportButAt(last, next)) return last;
    last = next;
    return next;
  };
}
