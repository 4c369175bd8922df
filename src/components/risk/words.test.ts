import { describe, expect, it } from 'vitest';
import { dec } from '../../domain/decimal.ts';
import { btcLong, estimateReport, unavailableReport } from './testing/reports.ts';
import { dangerWords, formatGap, gapWords, stalePriceCurrencies, trendWords } from './words.ts';

const norm = (text: string) => text.replace(/\u00a0/g, ' ');

describe('formatGap', () => {
  it.each([
    ['0.0321', '+3.2 %'],
    ['-0.005', '−0.5 %'],
    ['0.00001', '0.0 %'],
  ])('%s reads %s', (gap, words) => {
    expect(norm(formatGap(dec(gap), 'en-US'))).toBe(words);
  });
});

describe('dangerWords', () => {
  it('names the currency, its move and the line it reaches first', () => {
    // BTC reaches 1.5 at (1.5·6000 − 10000) / 6000 = −16.67 %.
    const words = dangerWords(btcLong(), 'Bitso');
    expect(norm(words.text)).toBe('BTC −16 % → margin call');
    expect(words.kind).toBe('move');
  });

  it('says "Market" when every currency moving together reaches a line first', () => {
    // BTC and ETH each hold 1 000 of the 3 000 USD of assets.
    const report = estimateReport({
      assets: '3000',
      liabilities: '1800',
      positions: [
        { currency: 'BTC', price: '50000', held: '0.02', owed: '0' },
        { currency: 'ETH', price: '2000', held: '0.5', owed: '0' },
      ],
    });
    // Market: (1.5·1800 − 3000) / 2000 = −15 %; BTC or ETH alone: −30 %.
    expect(norm(dangerWords(report, 'Bitso').text)).toBe('Market −15 % → margin call');
  });

  it('says a rise when a borrowed currency would reach a line by going up', () => {
    const report = estimateReport({
      assets: '10000',
      liabilities: '6000',
      positions: [{ currency: 'ETH', price: '2000', held: '0', owed: '1' }],
    });
    // (1.5·6000 − 10000) / (0 − 1.5·2000) = +33.3 %.
    expect(norm(dangerWords(report, 'BitoPro').text)).toBe('ETH +33 % → margin call');
  });

  it('says "Already below margin call", then the next line a move reaches', () => {
    // Level 8700 / 6000 = 1.45: below 1.5; BTC reaches 1.1 at (6600 − 8700) / 6000 = −35 %.
    const report = estimateReport({
      assets: '8700',
      liabilities: '6000',
      positions: [{ currency: 'BTC', price: '60000', held: '0.1', owed: '0' }],
    });
    expect(norm(dangerWords(report, 'Bitso').text)).toBe(
      'Already below margin call · BTC −35 % → liquidation',
    );
  });

  it('says "Already below liquidation" when past the last line', () => {
    const report = estimateReport({
      assets: '6000',
      liabilities: '6000',
      positions: [{ currency: 'BTC', price: '60000', held: '0.01', owed: '0' }],
    });
    expect(dangerWords(report, 'Bitso')).toMatchObject({
      kind: 'below',
      text: 'Already below liquidation',
    });
  });

  it('says no move reaches a line when the holdings cannot move the level there', () => {
    const report = estimateReport({
      assets: '10000',
      liabilities: '6000',
      positions: [{ currency: 'BTC', price: '60000', held: '0.001', owed: '0' }],
    });
    expect(dangerWords(report, 'Bitso')).toEqual({
      kind: 'out-of-reach',
      text: 'No price move reaches a line',
    });
  });

  it('gives the short reason when the venue cannot support an estimate, and the full reason beside it', () => {
    const reason = "B2Prime's account stream does not say which positions hold the margin.";
    expect(dangerWords(unavailableReport(reason), 'B2Prime')).toEqual({
      kind: 'unavailable',
      text: 'No price estimate for B2Prime',
      reason,
    });
  });

  it('makes up nothing before a report or before the totals', () => {
    expect(dangerWords(undefined, 'Bitso').text).toBe('No price estimate yet');
    expect(dangerWords(btcLong({ assets: null }), 'Bitso').text).toBe('No price estimate yet');
  });
});

describe('stalePriceCurrencies', () => {
  it('lists the currencies whose price is stale', () => {
    const report = estimateReport({
      assets: '3000',
      liabilities: '1800',
      positions: [
        { currency: 'BTC', price: '50000', held: '0.02', owed: '0', stale: true },
        { currency: 'ETH', price: '2000', held: '0.5', owed: '0' },
      ],
    });
    expect(stalePriceCurrencies(report)).toEqual(['BTC']);
    expect(stalePriceCurrencies(btcLong())).toEqual([]);
  });
});

describe('trendWords', () => {
  const trend = (extra: Partial<NonNullable<Parameters<typeof trendWords>[0]>>) => ({
    perHour: '-0.05',
    window: 1_800_000,
    toMarginCallMs: null,
    toLiquidationMs: null,
    ...extra,
  });

  it('says when the margin call comes at this pace, with the window', () => {
    expect(trendWords(trend({ toMarginCallMs: 7_800_000 }))).toBe(
      'At this pace, margin call in about 2 h 10 min (last 30 min)',
    );
  });

  it('adds liquidation when it comes too', () => {
    expect(trendWords(trend({ toMarginCallMs: 600_000, toLiquidationMs: 3_600_000 }))).toBe(
      'At this pace, margin call in about 10 min, liquidation in about 1 h (last 30 min)',
    );
  });

  it('names only liquidation once the margin-call line is already passed', () => {
    expect(trendWords(trend({ toMarginCallMs: 0, toLiquidationMs: 5_400_000 }))).toBe(
      'At this pace, liquidation in about 1 h 30 min (last 30 min)',
    );
  });

  it('says the pace of a falling level with no line ahead in time', () => {
    expect(trendWords(trend({ perHour: '-0.012345' }), { kind: 'percent' })).toBe(
      'The level is falling by 0.0123 % per hour (last 30 min)',
    );
  });

  it('says nothing without a trend or when the level is not falling', () => {
    expect(trendWords(null)).toBeNull();
    expect(trendWords(trend({ perHour: '0.02', toMarginCallMs: null }))).toBeNull();
  });
});

describe('gapWords', () => {
  it('shows the gaps between balances × prices and the venue totals', () => {
    const report = btcLong({ approximate: { assetsGap: '0.0321', liabilitiesGap: '-0.005' } });
    expect(norm(gapWords(report) ?? '')).toBe(
      "Balances × prices differ from the venue's totals in USD: assets +3.2 %, liabilities −0.5 %. The moves are approximate.",
    );
    expect(gapWords(btcLong())).toBeNull();
  });
});
