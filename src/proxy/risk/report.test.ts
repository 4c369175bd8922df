import { describe, expect, it } from 'vitest';
import { riskReportSchema } from '../../contract/risk.ts';
import { dec } from '../../domain/decimal.ts';
import type { Band, CurrencyBalance } from '../../domain/model.ts';
import { levelOf, NO_DEBT, snapshotOf } from '../../domain/testing/snapshots.ts';
import { levelAfterMove } from '../../domain/price-moves.ts';
import type { PriceView } from './prices.ts';
import { buildRiskReport, nearestLiquidation, type ReportInput } from './report.ts';

const BANDS: Band[] = [
  { kind: 'caution', threshold: dec('1.5'), label: 'safe', source: 'exchange' },
  { kind: 'liquidation', threshold: dec('1.1'), label: 'maintenance', source: 'exchange' },
];
const NOW = 1_700_000_000_000;

function price(currency: string, value: string | null, extra: Partial<PriceView> = {}): PriceView {
  return {
    currency,
    reference: 'usd',
    pair: `${currency}_usd`,
    price: value === null ? null : dec(value),
    source: `Bitso ticker ${currency}_usd (last)`,
    at: value === null ? null : NOW - 5_000,
    stale: false,
    problem: value === null ? 'Bitso does not list this book' : null,
    ...extra,
  };
}

/** Bitso-like: 0.5 BTC and 3 ETH held, 4000 USD owed; assets 10000 at BTC 14000 and ETH 1000. */
function input(
  overrides: Partial<ReportInput> = {},
  balances?: CurrencyBalance[],
  assets = '10000',
): ReportInput {
  const prices: Record<string, PriceView> = {
    btc: price('btc', '14000'),
    eth: price('eth', '1000'),
    doge: price('doge', null),
  };
  return {
    accountId: 'bitso-1',
    exchangeName: 'Bitso',
    snapshot: snapshotOf({
      accountId: 'bitso-1',
      exchange: 'bitso',
      level: levelOf('2.5'),
      bands: BANDS,
      totals: { currency: 'usd', assets: dec(assets), liabilities: dec('4000'), decimals: 2 },
      balances: balances ?? [
        { currency: 'btc', net: dec('0.5'), decimals: 8 },
        { currency: 'eth', net: dec('3'), decimals: 8 },
        { currency: 'usd', net: dec('-4000'), decimals: 2 },
      ],
    }),
    method: { kind: 'assets-over-liabilities' },
    priceOf: (currency) => prices[currency],
    trend: null,
    now: NOW,
    ...overrides,
  };
}

describe('buildRiskReport', () => {
  it('reports each currency and the market, every move landing on its line', () => {
    const report = riskReportSchema.parse(buildRiskReport(input()));
    expect(report.unavailable).toBeNull();
    expect(report.approximate).toBeNull();
    expect(report.reference).toBe('usd');
    expect(report.prices.map((p) => [p.currency, p.price, p.stale])).toEqual([
      ['btc', '14000', false],
      ['eth', '1000', false],
    ]);
    // BTC worth 7000: (1.5·4000 − 10000) / 7000 and (4400 − 10000) / 7000.
    const btc = report.moves.find((m) => m.currency === 'btc');
    expect(btc).toMatchObject({
      held: '0.5',
      owed: '0',
      heldValue: '7000',
      toMarginCall: '-0.571428',
      toLiquidation: '-0.8',
      toTakeover: null,
    });
    // ETH worth 3000 cannot fall far enough: −4000 / 3000 < −100 %.
    expect(report.moves.find((m) => m.currency === 'eth')).toMatchObject({
      toMarginCall: null,
      toLiquidation: null,
    });
    // The market (10000 held): −0.4 to margin call, −0.56 to liquidation.
    expect(report.market).toMatchObject({
      toMarginCall: '-0.4',
      toLiquidation: '-0.56',
      heldValue: '10000',
      owedValue: '0',
    });
    const after = levelAfterMove(
      dec('10000'),
      dec('4000'),
      dec('10000'),
      dec('0'),
      dec(report.market?.toLiquidation ?? '0'),
    );
    expect(after?.toString()).toBe('1.1');
  });

  it('says approximate with the gaps when balances × prices miss the totals by more than 2 %', () => {
    const report = buildRiskReport(input({}, undefined, '10500'));
    expect(report.approximate).toEqual({ assetsGap: '-0.047619', liabilitiesGap: '0' });
    expect(report.moves.length).toBe(2);
  });

  it('says a missing price and marks the estimate approximate rather than guessing', () => {
    const report = buildRiskReport(
      input({}, [
        { currency: 'btc', net: dec('0.5'), decimals: 8 },
        { currency: 'doge', net: dec('100'), decimals: 8 },
        { currency: 'usd', net: dec('-4000'), decimals: 2 },
      ]),
    );
    expect(report.prices.find((p) => p.currency === 'doge')).toMatchObject({
      price: null,
      problem: 'Bitso does not list this book',
    });
    expect(report.moves.map((m) => m.currency)).toEqual(['btc']);
    expect(report.approximate).not.toBeNull();
  });

  it('carries stale prices as stale', () => {
    const stale = price('btc', '14000', { stale: true });
    const report = buildRiskReport(input({ priceOf: (c) => (c === 'btc' ? stale : price(c, '1000')) }));
    expect(report.prices.find((p) => p.currency === 'btc')?.stale).toBe(true);
  });

  it('says why not for a venue whose level cannot be tied to prices, keeping prices and trend', () => {
    const report = buildRiskReport(
      input({
        method: {
          kind: 'unavailable',
          reason: 'VALR does not publish how its margin fraction is worked out.',
        },
        trend: {
          perHour: dec('-0.1'),
          window: 1_800_000,
          fit: dec('0.9'),
          toMarginCallMs: 3_600_000,
          toLiquidationMs: null,
        },
      }),
    );
    expect(report.unavailable).toBe('VALR does not publish how its margin fraction is worked out.');
    expect(report.moves).toEqual([]);
    expect(report.market).toBeNull();
    expect(report.prices.length).toBe(2);
    expect(report.trend).toEqual({
      perHour: '-0.1',
      window: 1_800_000,
      toMarginCallMs: 3_600_000,
      toLiquidationMs: null,
    });
  });

  it('says why not before figures, with nothing borrowed, or without totals', () => {
    expect(buildRiskReport(input({ snapshot: undefined })).unavailable).toBe(
      'No margin figures from the exchange yet.',
    );
    const noDebt = snapshotOf({ level: NO_DEBT, bands: BANDS });
    expect(buildRiskReport(input({ snapshot: noDebt })).unavailable).toMatch(/Nothing is borrowed/);
    const noTotals = snapshotOf({ level: levelOf('2'), bands: BANDS, balances: [] });
    expect(buildRiskReport(input({ snapshot: noTotals })).unavailable).toMatch(
      /total assets and liabilities/,
    );
  });
});

describe('nearestLiquidation', () => {
  it('is the smallest move to liquidation over currencies and the market', () => {
    const found = nearestLiquidation(input());
    expect(found?.danger?.currency).toBeNull();
    expect(found?.danger?.move.toString()).toBe('-0.56');
    expect(found?.approximate).toBe(false);
  });
  it('is null where the estimate is unavailable', () => {
    expect(nearestLiquidation(input({ method: { kind: 'unavailable', reason: 'x' } }))).toBeNull();
  });
});
