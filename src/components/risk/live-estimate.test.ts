import { describe, expect, it } from 'vitest';
import { dec } from '../../domain/decimal.ts';
import type { CurrencyBalance, Level } from '../../domain/model.ts';
import { cardDangerWords, cardEstimateOf, lineReachedByLevel, type LiveFigures } from './live-estimate.ts';
import { BANDS, btcLong, estimateReport, unavailableReport } from './testing/reports.ts';
import { whatIfOf } from './what-if.ts';

const level = (text: string): Level => ({ kind: 'value', value: dec(text), text });

/** Live figures: totals in USD, these balance rows, the fixture's lines. */
function live(
  assets: string,
  liabilities: string,
  rows: CurrencyBalance[],
  levelText = dec(assets).div(dec(liabilities)).toDecimalPlaces(4, 1).toFixed(4),
): LiveFigures {
  return {
    level: level(levelText),
    bands: BANDS,
    totals: { currency: 'USD', assets: dec(assets), liabilities: dec(liabilities), decimals: 2 },
    balances: rows,
  };
}

const row = (currency: string, total: string, borrowed?: string): CurrencyBalance => ({
  currency,
  total: dec(total),
  ...(borrowed === undefined ? {} : { borrowed: dec(borrowed) }),
  decimals: 8,
});

describe('cardEstimateOf', () => {
  it('values the live balances at the report’s prices and moves from the live totals', () => {
    // The report (10 s old) says 10 000 / 6 000; live, 9 000 / 6 000 = 1.5 with the same 0.1 BTC at 60 000.
    const estimate = cardEstimateOf(btcLong(), live('9000', '6000', [row('BTC', '0.1'), row('USD', '3000')]));
    expect(estimate).toMatchObject({ kind: 'estimate', source: 'live', approximate: false });
    if (estimate.kind !== 'estimate') return;
    expect(estimate.assets.toFixed()).toBe('9000');
    expect(estimate.marketHeld.toFixed()).toBe('6000');
    // (9 000 + r·6 000) / 6 000 = 1.1 at r = −0.4.
    expect(estimate.market?.toLiquidation?.toFixed()).toBe('-0.4');
    expect(estimate.moves.map((m) => m.currency)).toEqual(['BTC']);
  });

  it('counts what the live balances owe, and a currency the report has no price for makes it approximate', () => {
    const estimate = cardEstimateOf(
      btcLong(),
      live('10000', '6000', [row('BTC', '0.1', '0.05'), row('DOGE', '100'), row('usd', '4000')]),
    );
    expect(estimate).toMatchObject({ kind: 'estimate', source: 'live', approximate: true });
    if (estimate.kind !== 'estimate') return;
    expect(estimate.marketHeld.toFixed()).toBe('6000');
    expect(estimate.marketOwed.toFixed()).toBe('3000');
  });

  it('keeps the report’s approximation', () => {
    const report = btcLong({ approximate: { assetsGap: '0.03', liabilitiesGap: '0' } });
    expect(cardEstimateOf(report, live('10000', '6000', [row('BTC', '0.1')]))).toMatchObject({
      source: 'live',
      approximate: true,
    });
  });

  it('falls back to the report’s figures without live totals, balances or in another currency', () => {
    const noTotals: LiveFigures = {
      level: level('1.5'),
      bands: BANDS,
      totals: null,
      balances: [row('BTC', '1')],
    };
    const noBalances: LiveFigures = { ...live('9000', '6000', []), balances: null };
    const otherCurrency: LiveFigures = {
      ...live('9000', '6000', [row('BTC', '0.1')]),
      totals: { currency: 'EUR', assets: dec('9000'), liabilities: dec('6000'), decimals: 2 },
    };
    const onlyUnpriced = live('9000', '6000', [row('DOGE', '5')]);
    const report = btcLong();
    for (const figures of [noTotals, noBalances, otherCurrency, onlyUnpriced, null]) {
      const estimate = cardEstimateOf(report, figures);
      expect(estimate).toMatchObject({ kind: 'estimate', source: 'report' });
      if (estimate.kind !== 'estimate') continue;
      expect(estimate.assets.toFixed()).toBe('10000');
      // The report's moves as they are: −16.67 % to the margin call.
      expect(estimate.market?.toMarginCall?.toFixed()).toBe(report.market?.toMarginCall);
      expect(estimate.market?.toMarginCall?.toFixed(4)).toBe('-0.1667');
    }
  });

  it('says why there is no estimate, whatever the live figures', () => {
    const figures = live('9000', '6000', [row('BTC', '0.1')]);
    expect(cardEstimateOf(unavailableReport('No positions.'), figures)).toEqual({
      kind: 'unavailable',
      reason: 'No positions.',
    });
    expect(cardEstimateOf(null, figures)).toEqual({ kind: 'none-yet' });
    expect(cardEstimateOf(btcLong({ assets: null }), figures)).toEqual({ kind: 'none-yet' });
  });
});

describe('lineReachedByLevel', () => {
  it('reads the lines reached as the card’s zone does', () => {
    expect(lineReachedByLevel(level('1.6'), BANDS)).toBeNull();
    expect(lineReachedByLevel(level('1.5'), BANDS)).toBe('toMarginCall');
    expect(lineReachedByLevel(level('1.09'), BANDS)).toBe('toLiquidation');
    expect(lineReachedByLevel({ kind: 'no-debt', text: 'no debt' }, BANDS)).toBeNull();
    expect(lineReachedByLevel(level('1.09'), [])).toBeUndefined();
    expect(lineReachedByLevel(null, BANDS)).toBeUndefined();
  });
});

describe('cardDangerWords', () => {
  it('follows the live level, not the older report', () => {
    // The report still says BTC −16 % → margin call; live the level is at the margin-call line.
    const words = cardDangerWords(
      cardEstimateOf(btcLong(), live('9000', '6000', [row('BTC', '0.1'), row('USD', '3000')])),
      'FakeX',
    );
    expect(words).toMatchObject({
      kind: 'move',
      text: 'Already below margin call · BTC −40\u00a0% → liquidation',
      lead: 'Already below margin call',
      phrase: 'BTC −40\u00a0% → liquidation',
    });
  });

  it('says "Already below" from the live level when the report’s figures (no live totals) lag behind', () => {
    const figures: LiveFigures = { level: level('1.45'), bands: BANDS, totals: null, balances: null };
    expect(cardDangerWords(cardEstimateOf(btcLong(), figures), 'FakeX')).toMatchObject({
      text: 'Already below margin call · BTC −56\u00a0% → liquidation',
    });
  });

  it('names a line the figures put the account on while the live level is still above it', () => {
    const report = estimateReport({
      assets: '8700',
      liabilities: '6000',
      positions: [{ currency: 'BTC', price: '60000', held: '0.1', owed: '0' }],
    });
    const figures: LiveFigures = { level: level('1.51'), bands: BANDS, totals: null, balances: null };
    expect(cardDangerWords(cardEstimateOf(report, figures), 'FakeX')).toMatchObject({
      kind: 'move',
      text: 'BTC at margin call',
    });
  });

  it('says only "Already below" past the last line', () => {
    const figures = live('6000', '6000', [row('BTC', '0.1'), row('USD', '0')], '1');
    expect(cardDangerWords(cardEstimateOf(btcLong(), figures), 'FakeX')).toEqual({
      kind: 'below',
      text: 'Already below liquidation',
      below: 'toLiquidation',
    });
  });
});

describe('the what-if from live figures', () => {
  const profile = { unit: { kind: 'ratio' as const }, levelText: '1.5000' };
  const figures = live('9000', '6000', [row('BTC', '0.1'), row('USD', '3000')], '1.5000');

  it('gives the live level and zone at 0 %', () => {
    const outcome = whatIfOf(cardEstimateOf(btcLong(), figures), profile, dec('0'));
    expect(outcome).toMatchObject({ kind: 'estimate', level: { text: '1.5000' }, zone: 'caution' });
  });

  it('moves from the live totals', () => {
    // (9 000 − 0.1·6 000) / 6 000 = 1.4.
    const outcome = whatIfOf(cardEstimateOf(btcLong(), figures), profile, dec('-0.1'));
    expect(outcome).toMatchObject({ level: { text: '1.4000' }, zone: 'caution', belowLiquidation: false });
  });

  it('says below liquidation instead of a negative cushion', () => {
    // (9 000 − 0.8·6 000) / 6 000 = 0.7, under the 1.1 line.
    const outcome = whatIfOf(cardEstimateOf(btcLong(), figures), profile, dec('-0.8'));
    expect(outcome).toMatchObject({
      level: { text: '0.7000' },
      zone: 'liquidation',
      cushion: null,
      belowLiquidation: true,
    });
  });

  it('makes the zone worse with the venue’s own word, as the live zone is', () => {
    const liquidating: LiveFigures = {
      ...figures,
      venueStatus: { kind: 'liquidating', text: 'being liquidated by FakeX' },
    };
    const outcome = whatIfOf(cardEstimateOf(btcLong(), liquidating), profile, dec('0.1'));
    expect(outcome).toMatchObject({ zone: 'liquidation' });
  });
});
