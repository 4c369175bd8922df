import { describe, expect, it } from 'vitest';
import { dec } from '../../domain/decimal.ts';
import type { MarginSnapshot } from '../../domain/model.ts';
import { BANDS, PROFILE, T0, bucket, history, liveSnapshot, value } from '../../contract/testing/history.ts';
import { appendLive, compareLevelDto, minCushionOf, thinBuckets } from './model.ts';

function snapshot(time: number, text: string | null): MarginSnapshot {
  return liveSnapshot(time, text, {
    totals: { currency: 'USDC', assets: dec('1000.50'), liabilities: dec('400'), decimals: 2 },
  });
}

describe('compareLevelDto', () => {
  it('orders exactly, with no debt above every number', () => {
    expect(compareLevelDto(value('1.00000000000000000001'), value('1.00000000000000000002'))).toBe(-1);
    expect(compareLevelDto(value('1.50'), value('1.5'))).toBe(0);
    expect(compareLevelDto({ kind: 'no-debt', text: '0' }, value('999'))).toBe(1);
    expect(compareLevelDto(value('999'), { kind: 'no-debt', text: '0' })).toBe(-1);
  });
});

describe('minCushionOf', () => {
  it('is the cushion at the lowest level of the bucket, exactly', () => {
    const b = bucket(T0, '1.7', { min: value('1.375') });
    expect(minCushionOf(b, PROFILE)?.toFixed()).toBe('0.2'); // 1 − 1.1 / 1.375
    expect(minCushionOf(b, undefined)).toBeNull();
  });
});

describe('appendLive', () => {
  const base = (): ReturnType<typeof history> =>
    history([bucket(T0, '1.7000'), bucket(T0 + 60_000, '1.6000')]);

  it('folds a snapshot within the last bucket into it, keeping the exact minimum', () => {
    const data = base();
    const last = data.buckets[1];
    if (!last) throw new Error('fixture');
    const next = appendLive(
      data,
      [snapshot(last.lastAt + 100, '1.0400'), snapshot(last.lastAt + 200, '1.2000')],
      3_600_000,
    );
    expect(next.buckets).toHaveLength(2);
    expect(next.buckets[1]).toMatchObject({
      start: T0 + 60_000,
      count: 12,
      min: value('1.0400'),
      max: value('1.6000'),
      last: value('1.2000'),
      zone: 'caution',
      worstZone: 'takeover',
      cushion: '0.08333333',
      lastAt: last.lastAt + 200,
    });
    expect(next.to).toBe(last.lastAt + 200);
    expect(data.buckets[1]).toEqual(last); // the cached object is not mutated
  });

  it('keeps the decimals the exchange wrote for live totals (no trailing zero dropped)', () => {
    const data = base();
    const next = appendLive(data, [snapshot(T0 + 200_000, '1.7000')], null);
    expect(next.buckets.at(-1)).toMatchObject({ assets: '1000.50', liabilities: '400.00', equity: null });
  });

  it('opens aligned buckets for later snapshots and marks one after a silence as following an outage', () => {
    const data = base();
    const t1 = T0 + 120_000 + 5_000;
    const t2 = T0 + 600_000 + 1;
    const next = appendLive(data, [snapshot(t1, '1.5500'), snapshot(t2, null)], null);
    expect(next.buckets.map((b) => [b.start, b.gapBefore, b.last.kind])).toEqual([
      [T0, false, 'value'],
      [T0 + 60_000, false, 'value'],
      [T0 + 120_000, false, 'value'],
      [T0 + 600_000, true, 'no-debt'],
    ]);
    expect(next.buckets[3]?.cushion).toBe('1.00000000');
  });

  it('ignores snapshots without a level or not newer than the history, returning the same object', () => {
    const data = base();
    const old = snapshot(T0 + 1, '0.5');
    const noLevel = { ...snapshot(T0 + 999_999, '1'), level: null };
    expect(appendLive(data, [old, noLevel], null)).toBe(data);
  });

  it('slides a preset window: buckets that fell out of it are dropped', () => {
    const data = base();
    const next = appendLive(data, [snapshot(T0 + 150_000, '1.7')], 60_000);
    expect(next.from).toBe(T0 + 90_000);
    expect(next.buckets.map((b) => b.start)).toEqual([T0 + 60_000, T0 + 120_000]);
  });

  it('adds a profile when the bands change', () => {
    const data = base();
    const changed = { ...snapshot(T0 + 200_000, '1.7'), bands: BANDS.slice(1) };
    const next = appendLive(data, [changed], null);
    expect(next.profiles).toHaveLength(2);
    expect(next.buckets[2]?.profile).toBe(1);
    expect(next.profiles[1]?.bands.map((b) => b.kind)).toEqual(['liquidation', 'takeover']);
  });
});

describe('thinBuckets', () => {
  it('merges neighbours until under the limit without losing the extremes', () => {
    const buckets = Array.from({ length: 2500 }, (_, i) => bucket(T0 + i * 60_000, `1.${5000 + (i % 100)}`));
    buckets[1234] = bucket(T0 + 1234 * 60_000, '1.7', { min: value('1.0001'), worstZone: 'takeover' });
    buckets[2000] = bucket(T0 + 2000 * 60_000, '1.7', {
      max: { kind: 'no-debt', text: '0' },
      gapBefore: true,
    });
    const thin = thinBuckets(buckets, 1000);
    expect(thin.length).toBeLessThanOrEqual(1000);
    expect(thin.reduce((n, b) => n + b.count, 0)).toBe(25_000);
    expect(thin.filter((b) => b.min.text === '1.0001')).toHaveLength(1);
    expect(thin.filter((b) => b.worstZone === 'takeover')).toHaveLength(1);
    expect(thin.filter((b) => b.max.kind === 'no-debt' && b.gapBefore)).toHaveLength(1);
    expect(thin[thin.length - 1]?.last).toEqual(value('1.5099'));
  });

  it('merges only as many of the oldest pairs as there are buckets too many', () => {
    const buckets = Array.from({ length: 1003 }, (_, i) => bucket(T0 + i * 60_000, '1.6'));
    const thin = thinBuckets(buckets, 1000);
    expect(thin).toHaveLength(1000);
    expect(thin.map((b) => b.count).slice(0, 4)).toEqual([20, 20, 20, 10]);
    expect(thin[0]).toMatchObject({ start: T0, end: T0 + 120_000 });
    expect(thin.slice(3)).toEqual(buckets.slice(6));
  });
});
