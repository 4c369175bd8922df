// Request budgets: accounts that share an API key share its rate limit. Each exchange declares its documented
// limits on private requests (per API key, or per IP address: every account of the exchange on this proxy) and
// what one poll costs; the polls of the accounts in one budget are stretched to fit inside it and spread over
// the interval, so they never exceed the limit together nor go out in step.
import type { AccountConfig, PollPlan, RequestBudget } from '../exchanges/server-types.ts';

/**
 * Share of a documented limit the polls may use; the rest is left for drill-down reads through the relay and
 * for reconnect handshakes.
 */
export const BUDGET_SHARE = 0.8;

/** A set of accounts one limit applies to. */
interface BudgetGroup {
  exchange: string;
  scope: 'key' | 'ip';
  perMinute: number;
  requestsPerPoll: number;
  accounts: AccountConfig[];
}

export interface PollSchedule {
  /** Plan per account id; accounts of exchanges without a declared budget have none. */
  plans: Map<string, PollPlan>;
  /**
   * One line per budget the configured pollSeconds would exceed: the accounts, the limit and the effective
   * interval. Never the key itself (the accounts name it).
   */
  warnings: string[];
}

function requestsPerMinute(group: BudgetGroup): number {
  return group.accounts.reduce((sum, account) => sum + (group.requestsPerPoll * 60) / account.pollSeconds, 0);
}

function secondsText(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

function pollSecondsText(accounts: readonly AccountConfig[]): string {
  const values = [...new Set(accounts.map((a) => a.pollSeconds))].sort((a, b) => a - b);
  return values.length === 1 ? `pollSeconds ${values[0]}` : `pollSeconds ${values.join('/')}`;
}

/**
 * Plans every account's polls within its exchange's request budget. `budgetOf` gives an exchange's declared
 * budget and display name (undefined: polls as configured).
 */
export function planPolls(
  accounts: readonly AccountConfig[],
  budgetOf: (exchange: string) => { name: string; budget: RequestBudget } | undefined,
): PollSchedule {
  const groups = new Map<string, BudgetGroup>();
  for (const account of accounts) {
    const declared = budgetOf(account.exchange);
    if (!declared) continue;
    const { budget } = declared;
    for (const limit of budget.limits) {
      // Every account of the exchange shares the proxy's address; a key's limit binds the accounts using it.
      const key = limit.scope === 'key' ? account.credentials[budget.keyField] : 'this address';
      if (key === undefined || key === '') continue;
      const id = [account.exchange, limit.scope, limit.perMinute, key].join('\u0000');
      let group = groups.get(id);
      if (!group) {
        group = {
          exchange: account.exchange,
          scope: limit.scope,
          perMinute: limit.perMinute,
          requestsPerPoll: budget.requestsPerPoll,
          accounts: [],
        };
        groups.set(id, group);
      }
      group.accounts.push(account);
    }
  }

  const stretch = new Map<string, number>();
  const warnings: string[] = [];
  for (const group of groups.values()) {
    const demand = requestsPerMinute(group);
    const allowed = group.perMinute * BUDGET_SHARE;
    if (demand <= allowed) continue;
    const factor = demand / allowed;
    for (const account of group.accounts) {
      stretch.set(account.id, Math.max(stretch.get(account.id) ?? 1, factor));
    }
    const name = budgetOf(group.exchange)?.name ?? group.exchange;
    const ids = group.accounts.map((a) => a.id).join(', ');
    const who =
      group.scope === 'key'
        ? `${name} accounts ${ids} share one API key`
        : `${name} accounts ${ids} share this machine's address`;
    const limit = `${name}'s limit of ${group.perMinute}/min per ${group.scope === 'key' ? 'API key' : 'IP address'}`;
    const slowest = Math.max(...group.accounts.map((a) => a.pollSeconds * 1000 * factor));
    const fastest = Math.min(...group.accounts.map((a) => a.pollSeconds * 1000 * factor));
    const every =
      fastest === slowest ? secondsText(fastest) : `${secondsText(fastest)} to ${secondsText(slowest)}`;
    warnings.push(
      `${who}: at ${pollSecondsText(group.accounts)} they would send ${Math.round(demand)} requests/min, ` +
        `over ${limit} (polls use at most ${Math.round(BUDGET_SHARE * 100)} % of it); ` +
        `each now polls every ${every}`,
    );
  }

  const plans = new Map<string, PollPlan>();
  for (const account of accounts) {
    if (!budgetOf(account.exchange)) continue;
    plans.set(account.id, {
      intervalMs: Math.ceil(account.pollSeconds * 1000 * (stretch.get(account.id) ?? 1)),
      offsetMs: 0,
    });
  }
  // The accounts of one key take turns: each starts at its own phase of the interval.
  for (const group of groups.values()) {
    if (group.scope !== 'key' || group.accounts.length < 2) continue;
    group.accounts.forEach((account, index) => {
      const plan = plans.get(account.id);
      if (plan) plan.offsetMs = Math.floor((index * plan.intervalMs) / group.accounts.length);
    });
  }
  return { plans, warnings };
}
