import { describe, expect, it } from 'vitest';
import type { AccountConfig, RequestBudget } from '../exchanges/server-types.ts';
import { planPolls } from './request-budget.ts';

const BITSO: RequestBudget = {
  limits: [{ perMinute: 300, scope: 'key' }],
  requestsPerPoll: 1,
  keyField: 'apiKey',
};
const VALR: RequestBudget = {
  limits: [
    { perMinute: 2_000, scope: 'key' },
    { perMinute: 1_200, scope: 'ip' },
  ],
  requestsPerPoll: 2,
  keyField: 'apiKey',
};

function account(id: string, exchange: string, apiKey: string, pollSeconds = 5): AccountConfig {
  return {
    id,
    exchange,
    label: id,
    credentials: { apiKey, apiSecret: 'not-a-real-secret' },
    endpoints: { rest: 'http://127.0.0.1:1' },
    pollSeconds,
    options: {},
  };
}

const budgets = (exchange: string) =>
  exchange === 'bitso'
    ? { name: 'Bitso', budget: BITSO }
    : exchange === 'valr'
      ? { name: 'VALR', budget: VALR }
      : undefined;

describe('planPolls', () => {
  it('50 Bitso accounts on one key at 5 s: stretched to fit 80 % of 300/min and spread over the interval', () => {
    const accounts = Array.from({ length: 50 }, (_, i) => account(`bitso-${i}`, 'bitso', 'shared-key'));
    const { plans, warnings } = planPolls(accounts, budgets);
    // 50 × 12/min = 600/min against 240/min: every 12.5 s, i.e. exactly 240/min.
    expect(plans.get('bitso-0')).toEqual({ intervalMs: 12_500, offsetMs: 0 });
    expect(plans.get('bitso-1')).toEqual({ intervalMs: 12_500, offsetMs: 250 });
    expect(plans.get('bitso-49')).toEqual({ intervalMs: 12_500, offsetMs: 12_250 });
    const perMinute = accounts.reduce((sum, a) => sum + 60_000 / (plans.get(a.id)?.intervalMs ?? 1), 0);
    expect(perMinute).toBeLessThanOrEqual(300 * 0.8 + 1e-9);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^Bitso accounts bitso-0, bitso-1, .*bitso-49 share one API key: at pollSeconds 5 they would send 600 requests\/min, over Bitso's limit of 300\/min per API key \(polls use at most 80 % of it\); each now polls every 12\.5 s$/,
    );
    expect(warnings[0]).not.toContain('shared-key');
  });

  it('accounts that fit keep their interval; separate keys are separate budgets; other exchanges are untouched', () => {
    const { plans, warnings } = planPolls(
      [
        account('a', 'bitso', 'key-a'),
        account('b', 'bitso', 'key-b'),
        account('c', 'bitso', 'key-b', 10),
        account('x', 'b2prime', 'token'),
      ],
      budgets,
    );
    expect(warnings).toEqual([]);
    expect(plans.get('a')).toEqual({ intervalMs: 5_000, offsetMs: 0 });
    expect(plans.get('b')).toEqual({ intervalMs: 5_000, offsetMs: 0 });
    expect(plans.get('c')).toEqual({ intervalMs: 10_000, offsetMs: 5_000 });
    expect(plans.has('x')).toBe(false);
  });

  it('a limit per IP address binds every account of the exchange, whatever its key', () => {
    // 100 VALR accounts on their own keys, two requests per poll every 5 s: 2,400/min against 1,200 per IP.
    const accounts = Array.from({ length: 100 }, (_, i) => account(`valr-${i}`, 'valr', `key-${i}`));
    const { plans, warnings } = planPolls(accounts, budgets);
    expect(plans.get('valr-7')?.intervalMs).toBe(12_500);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("share this machine's address");
    expect(warnings[0]).toContain("VALR's limit of 1200/min per IP address");
  });
});
