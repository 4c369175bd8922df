import { describe, expect, it } from 'vitest';
import { type Dec, dec } from './decimal.ts';
import type { Band } from './model.ts';
import {
  estimateMoves,
  gapOf,
  heldOwedOf,
  levelAfterMove,
  moveToLine,
  nearestDanger,
  reconcile,
  valuePosition,
} from './price-moves.ts';

const band = (kind: Band['kind'], threshold: string): Band => ({
  kind,
  threshold: dec(threshold),
  label: kind,
  source: 'exchange',
});
const BANDS = [band('caution', '1.5'), band('liquidation', '1.1')];

describe('moveToLine', () => {
  // assets, liabilities, held value, owed value, line → move
  const cases: [string, string, string, string, string, string, string | null][] = [
    ['long holding falls to the liquidation line', '10000', '4000', '8000', '0', '1.1', '-0.7'],
    ['long holding falls to the margin-call line', '10000', '4000', '8000', '0', '1.5', '-0.5'],
    ['a borrowed currency rises to the line', '10000', '4000', '0', '2000', '1.1', '2.5454545455'],
    ['a fall of more than 100 % cannot happen', '10000', '4000', '1000', '0', '1.1', null],
    ['holdings and debts balance at the line', '10000', '4000', '1100', '1000', '1.1', null],
    ['already at the line', '4400', '4000', '8000', '0', '1.1', '0'],
    ['already below the line', '4000', '4000', '8000', '0', '1.1', '0'],
    ['nothing owed: no level', '10000', '0', '8000', '0', '1.1', null],
    ['exactly −100 % is reachable', '10000', '4000', '5600', '0', '1.1', '-1'],
    // Figures that do not reconcile (one currency's debt worth twice all liabilities): the −50 % the formula gives
    // would take liabilities to zero, so no such move exists.
    ['no move past liabilities vanishing', '10000', '4000', '20000', '8000', '1.1', null],
  ];
  it.each(cases)('%s', (_, a, l, h, o, t, expected) => {
    const move = moveToLine(dec(a), dec(l), dec(h), dec(o), dec(t));
    expect(move === null ? null : move.toDecimalPlaces(10).toString()).toBe(expected);
    if (move !== null && !move.isZero()) {
      expect(levelAfterMove(dec(a), dec(l), dec(h), dec(o), move)?.toDecimalPlaces(30).toString()).toBe(
        dec(t).toString(),
      );
    }
  });
});

describe('levelAfterMove', () => {
  it('is the level itself for no move, and null once debts vanish', () => {
    expect(levelAfterMove(dec('10000'), dec('4000'), dec('8000'), dec('0'), dec('0'))?.toString()).toBe(
      '2.5',
    );
    expect(levelAfterMove(dec('10000'), dec('4000'), dec('0'), dec('4000'), dec('-1'))).toBeNull();
  });
  it('never goes below zero when holdings are wiped out', () => {
    expect(levelAfterMove(dec('100'), dec('400'), dec('200'), dec('0'), dec('-1'))?.toString()).toBe('0');
  });
});

describe('heldOwedOf', () => {
  it('reads borrowed rows as total held and borrowed + interest owed (BitoPro)', () => {
    const r = heldOwedOf({
      currency: 'USDT',
      total: dec('5000'),
      borrowed: dec('250000'),
      interest: dec('12.3456789'),
      decimals: 8,
    });
    expect(r?.held.toString()).toBe('5000');
    expect(r?.owed.toString()).toBe('250012.3456789');
  });
  it('reads net-only rows by their sign (Bitso)', () => {
    expect(heldOwedOf({ currency: 'btc', net: dec('0.5'), decimals: 8 })).toEqual({
      held: dec('0.5'),
      owed: dec('0'),
    });
    const short = heldOwedOf({ currency: 'usd', net: dec('-1000.00'), decimals: 2 });
    expect(short?.held.toString()).toBe('0');
    expect(short?.owed.toString()).toBe('1000');
  });
  it('reads a negative total as a debt, and a negative total beside a borrowed figure once', () => {
    const owed = heldOwedOf({ currency: 'usdt', total: dec('-250'), decimals: 2 });
    expect([owed?.held.toString(), owed?.owed.toString()]).toEqual(['0', '250']);
    const valr = heldOwedOf({ currency: 'USDC', total: dec('-6000'), borrowed: dec('6000'), decimals: 2 });
    expect([valr?.held.toString(), valr?.owed.toString()]).toEqual(['0', '6000']);
  });
  it('says nothing for a row without amounts', () => {
    expect(heldOwedOf({ currency: 'x', decimals: 0 })).toBeNull();
  });
});

describe('estimateMoves', () => {
  it('gives each currency and the market its moves to every line', () => {
    // A = 10000, L = 4000 (level 2.5): BTC worth 6000 held, ETH worth 2000 held and 500 owed.
    const btc = valuePosition('BTC', { held: dec('0.1'), owed: dec('0') }, dec('60000'));
    const eth = valuePosition('ETH', { held: dec('1'), owed: dec('0.25') }, dec('2000'));
    const e = estimateMoves(dec('10000'), dec('4000'), [btc, eth], BANDS);
    const six = (v: Dec | null) => (v === null ? null : v.toDecimalPlaces(6).toString());
    // BTC: (1.5·4000 − 10000) / 6000 and (1.1·4000 − 10000) / 6000.
    // ETH: (6000 − 10000) / (2000 − 1.5·500) = −3.2 and (4400 − 10000) / (2000 − 550): beyond −100 %.
    expect(e.moves.map((m) => [m.currency, six(m.toMarginCall), six(m.toLiquidation)])).toEqual([
      ['BTC', '-0.666667', '-0.933333'],
      ['ETH', null, null],
    ]);
    // Market: held 8000, owed 500: (6000 − 10000) / (8000 − 750) and (4400 − 10000) / (8000 − 550).
    expect(e.market?.toMarginCall?.toDecimalPlaces(6).toString()).toBe('-0.551724');
    expect(e.market?.toLiquidation?.toDecimalPlaces(6).toString()).toBe('-0.751678');
    expect(e.market?.toTakeover).toBeNull();
    expect(e.marketHeld.toString()).toBe('8000');
    expect(e.marketOwed.toString()).toBe('500');
  });
  it('has no market move without non-reference currencies', () => {
    expect(estimateMoves(dec('10'), dec('5'), [], BANDS).market).toBeNull();
  });
});

describe('reconcile', () => {
  const usd = valuePosition('usd', { held: dec('0'), owed: dec('4000') }, dec('1'));
  it('is exact when balances × prices meet the totals', () => {
    const btc = valuePosition('btc', { held: dec('0.5'), owed: dec('0') }, dec('20000'));
    const r = reconcile(dec('10000'), dec('4000'), [btc, usd], 0);
    expect([r.assetsGap.toString(), r.liabilitiesGap.toString(), r.approximate]).toEqual(['0', '0', false]);
  });
  it('tolerates a 2 % gap and no more', () => {
    const within = valuePosition('btc', { held: dec('0.5'), owed: dec('0') }, dec('20400'));
    expect(reconcile(dec('10000'), dec('4000'), [within, usd], 0).approximate).toBe(false);
    const beyond = valuePosition('btc', { held: dec('0.5'), owed: dec('0') }, dec('20401'));
    const r = reconcile(dec('10000'), dec('4000'), [beyond, usd], 0);
    expect(r.approximate).toBe(true);
    expect(r.assetsGap.toString()).toBe('0.02005');
  });
  it('is approximate when a currency has no price', () => {
    const btc = valuePosition('btc', { held: dec('0.5'), owed: dec('0') }, dec('20000'));
    expect(reconcile(dec('10000'), dec('4000'), [btc, usd], 1).approximate).toBe(true);
  });
  it('measures a gap against zero without dividing by it', () => {
    expect(gapOf(dec('0'), dec('0')).toString()).toBe('0');
    expect(gapOf(dec('5'), dec('0')).toString()).toBe('1');
  });
});

describe('nearestDanger', () => {
  it('picks the smallest move by size, the mildest line on a tie', () => {
    const d = nearestDanger({
      moves: [
        { currency: 'BTC', toMarginCall: dec('-0.3'), toLiquidation: dec('-0.4'), toTakeover: null },
        { currency: 'USDT', toMarginCall: dec('0.25'), toLiquidation: dec('0.5'), toTakeover: null },
      ],
      market: { toMarginCall: dec('-0.25'), toLiquidation: dec('-0.35'), toTakeover: null },
    });
    expect(d).toEqual({ currency: 'USDT', line: 'toMarginCall', move: dec('0.25') });
  });
  it('can be limited to one line, and is null when nothing reaches it', () => {
    const estimate = {
      moves: [{ currency: 'BTC', toMarginCall: dec('-0.1'), toLiquidation: null, toTakeover: null }],
      market: { toMarginCall: dec('-0.1'), toLiquidation: dec('-0.6'), toTakeover: null },
    };
    expect(nearestDanger(estimate, ['toLiquidation'])).toEqual({
      currency: null,
      line: 'toLiquidation',
      move: dec('-0.6'),
    });
    expect(nearestDanger({ moves: [], market: null })).toBeNull();
  });
});
