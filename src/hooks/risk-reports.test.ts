import { describe, expect, it } from 'vitest';
import { riskOverviewSchema, type RiskOverview, type RiskReportDto } from '../contract/risk.ts';
import { accountReportSelector, reportsById, sameReportButAt } from './risk-reports.ts';

function report(accountId: string, at: number, toMarginCall: string | null = '-0.2'): RiskReportDto {
  return {
    accountId,
    at,
    reference: 'USD',
    assets: '10000',
    liabilities: '6000',
    prices: [{ currency: 'BTC', price: '60000', source: 'ticker', at: 900, stale: false }],
    moves: [
      {
        currency: 'BTC',
        price: '60000',
        held: '0.1',
        owed: '0',
        heldValue: '6000',
        owedValue: '0',
        toMarginCall,
        toLiquidation: null,
        toTakeover: null,
      },
    ],
    market: null,
    approximate: null,
    trend: null,
    unavailable: null,
  };
}

const answer = (...reports: RiskReportDto[]): RiskOverview => riskOverviewSchema.parse({ accounts: reports });

describe('reportsById', () => {
  it('maps an answer by account once, and a new answer anew', () => {
    const first = answer(report('a', 1), report('b', 1));
    const map = reportsById(first);
    expect([...map.keys()]).toEqual(['a', 'b']);
    expect(map.get('b')).toBe(first.accounts[1]);
    expect(reportsById(first)).toBe(map);
    const second = answer(report('a', 2));
    expect(reportsById(second)).not.toBe(map);
    expect([...reportsById(second).keys()]).toEqual(['a']);
  });
});

describe('sameReportButAt', () => {
  it('ignores the moment of the answer, and nothing else', () => {
    const [a1, a2, moved, priced] = answer(report('a', 1), report('a', 2), report('a', 2, '-0.3'), {
      ...report('a', 2),
      prices: [{ currency: 'BTC', price: '60000', source: 'ticker', at: 950, stale: false }],
    }).accounts;
    if (!a1 || !a2 || !moved || !priced) throw new Error('four reports');
    expect(sameReportButAt(a1, a2)).toBe(true);
    expect(sameReportButAt(a1, moved)).toBe(false);
    expect(sameReportButAt(a1, priced)).toBe(false);
    expect(
      sameReportButAt(a1, {
        ...a1,
        market: {
          heldValue: '6000',
          owedValue: '0',
          toMarginCall: null,
          toLiquidation: null,
          toTakeover: null,
        },
      }),
    ).toBe(false);
    expect(sameReportButAt(a1, { ...a1, moves: [] })).toBe(false);
  });
});

describe('accountReportSelector', () => {
  it("keeps the account's report object while only `at` changes, and follows a change", () => {
    const select = accountReportSelector('a');
    const first = select(answer(report('a', 1), report('b', 1)));
    expect(first?.at).toBe(1);
    expect(select(answer(report('a', 2), report('b', 2, '-0.5')))).toBe(first);
    const changed = select(answer(report('a', 3, '-0.25')));
    expect(changed).not.toBe(first);
    expect(changed?.moves[0]?.toMarginCall).toBe('-0.25');
    expect(select(answer(report('b', 4)))).toBeNull();
    expect(select(answer(report('a', 5, '-0.25')))?.at).toBe(5);
  });
});
