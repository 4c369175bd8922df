import { describe, expect, it } from 'vitest';
import { dec } from '../../domain/decimal.ts';
import { formatPercent } from '../../domain/format.ts';
import { BANDS, btcLong, estimateReport, unavailableReport } from './testing/reports.ts';
import { cardEstimateOf, type LiveFigures } from './live-estimate.ts';
import { parseMovePercent, sliderValue, whatIfOf } from './what-if.ts';
import type { RiskReport } from '../../contract/risk.ts';
import type { Band } from '../../domain/model.ts';

describe('parseMovePercent', () => {
  it.each([
    ['-10', '-10'],
    ['−12.5', '-12.5'],
    ['+7', '7'],
    [' -3,25 % ', '-3.25'],
    ['90', '90'],
    ['-90', '-90'],
    ['0', '0'],
    ['-0', '0'],
    ['.5', '0.5'],
  ])('reads %j as %s %%', (text, percent) => {
    const parsed = parseMovePercent(text);
    expect(parsed.ok && parsed.percent.toFixed()).toBe(percent);
  });

  it.each([
    ['', 'Enter a move in percent, e.g. −10.'],
    ['−', 'Type the number after the sign, e.g. −10.'],
    ['+ %', 'Type the number after the sign, e.g. −10.'],
    ['ten', '“ten” is not a number of percent.'],
    ['1e2', '“1e2” is not a number of percent.'],
    ['--5', '“--5” is not a number of percent.'],
    ['-90.01', 'Enter a move between −90 % and +90 %.'],
    ['91', 'Enter a move between −90 % and +90 %.'],
    ['-1.234', 'Use at most 2 decimals.'],
  ])('refuses %j: %s', (text, problem) => {
    expect(parseMovePercent(text)).toEqual({ ok: false, problem });
  });
});

describe('sliderValue', () => {
  it('puts a typed value on the nearest whole step', () => {
    expect(sliderValue(dec('-12.5'))).toBe('-13');
    expect(sliderValue(dec('7.4'))).toBe('7');
    expect(sliderValue(dec('-10'))).toBe('-10');
  });
});

describe('whatIfOf', () => {
  const profile = { unit: { kind: 'ratio' as const }, levelText: '1.6667' };
  /** Live figures without totals: the report's own figures, against these lines. */
  const linesOnly = (bands: readonly Band[] = BANDS): LiveFigures => ({
    level: null,
    bands,
    totals: null,
    balances: null,
  });
  const of = (report: RiskReport | null, bands?: readonly Band[]) => cardEstimateOf(report, linesOnly(bands));

  it('gives the level (A + r·H) / (L + r·O), its zone and cushion under a market move', () => {
    // (10000 − 0.1·6000) / 6000 = 1.56666…: still Safe; cushion 1 − 1.1 / 1.5666… = 29.8 %.
    const outcome = whatIfOf(of(btcLong()), profile, dec('-0.1'));
    expect(outcome.kind).toBe('estimate');
    if (outcome.kind !== 'estimate') return;
    expect(outcome.level).toMatchObject({ kind: 'value', text: '1.5666' });
    expect(outcome.zone).toBe('safe');
    expect(outcome.cushion && formatPercent(outcome.cushion)).toBe('29.8%');
    expect(outcome.approximate).toBe(false);
  });

  it('crosses into Caution and Liquidation as the move grows', () => {
    // −20 %: 8800 / 6000 = 1.4666 (Caution); −50 %: 7000 / 6000 = 1.1666 (Caution); −57 %: 6580/6000 = 1.0966.
    expect(whatIfOf(of(btcLong()), profile, dec('-0.2'))).toMatchObject({
      zone: 'caution',
      level: { text: '1.4666' },
    });
    expect(whatIfOf(of(btcLong()), profile, dec('-0.57'))).toMatchObject({
      zone: 'liquidation',
      level: { text: '1.0966' },
    });
  });

  it('moves liabilities with a borrowed currency', () => {
    const report = estimateReport({
      assets: '10000',
      liabilities: '6000',
      positions: [{ currency: 'ETH', price: '2000', held: '0', owed: '1' }],
    });
    // +50 %: 10000 / (6000 + 0.5·2000) = 1.428571…: Caution.
    expect(whatIfOf(of(report), profile, dec('0.5'))).toMatchObject({
      zone: 'caution',
      level: { text: '1.4285' },
    });
  });

  it('writes a percent unit ×100', () => {
    const outcome = whatIfOf(of(btcLong(), []), { unit: { kind: 'percent' } }, dec('-0.1'));
    expect(outcome).toMatchObject({ level: { text: '156.66' }, zone: 'unknown', cushion: null });
  });

  it('marks an estimate from balances that do not reconcile', () => {
    const report = btcLong({ approximate: { assetsGap: '0.03', liabilitiesGap: '0' } });
    expect(whatIfOf(of(report), profile, dec('-0.1'))).toMatchObject({ approximate: true });
  });

  it('says why when the venue cannot support an estimate, and nothing before a report', () => {
    expect(whatIfOf(of(unavailableReport('No positions.')), profile, dec('-0.1'))).toEqual({
      kind: 'unavailable',
      reason: 'No positions.',
    });
    expect(whatIfOf(of(null), profile, dec('-0.1'))).toEqual({ kind: 'none-yet' });
  });
});
