import { describe, expect, it } from 'vitest';
import { PROFILE, T0, bucket, history, value } from '../../contract/testing/history.ts';
import { bandAreas, chartModel, thresholdLines, withGaps, yDomain, yTicks } from './series.ts';

describe('withGaps', () => {
  const at = (firstAt: number, lastAt: number, gapBefore = false) => ({ firstAt, lastAt, gapBefore });
  const cases: [string, ReturnType<typeof at>[], (number | 'gap')[]][] = [
    ['no outage', [at(0, 10), at(20, 30), at(40, 50)], [0, 1, 2]],
    ['an outage flagged by the recorder', [at(0, 10), at(20, 30, true)], [0, 'gap', 1]],
    ['a silence longer than gapMs between buckets', [at(0, 10), at(111, 120)], [0, 'gap', 1]],
    ['a silence of exactly gapMs is not an outage', [at(0, 10), at(110, 120)], [0, 1]],
    ['a flag on the first bucket draws nothing before it', [at(0, 10, true), at(20, 30)], [0, 1]],
    ['two outages in a row', [at(0, 10), at(500, 510, true), at(1000, 1010)], [0, 'gap', 1, 'gap', 2]],
  ];
  it.each(cases)('%s', (_, buckets, expected) => {
    const out = withGaps(buckets, 100);
    expect(out.map((item) => ('gap' in item ? 'gap' : buckets.indexOf(item)))).toEqual(expected);
  });

  it('places the break between the last sample before and the first after the outage', () => {
    const out = withGaps([at(0, 10), at(1000, 1010, true)], 100);
    expect(out[1]).toEqual({ gap: true, t: 505 });
  });
});

describe('yDomain', () => {
  it('always includes every threshold, even when the levels never come near them', () => {
    const [lo, hi] = yDomain([bucket(T0, '3.20'), bucket(T0 + 60_000, '3.40')], PROFILE.bands);
    expect(lo).toBeLessThan(1.05);
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeGreaterThan(3.4);
  });

  it('ignores levels without debt and has a range even for one value', () => {
    const [lo, hi] = yDomain([bucket(T0, '2', { max: { kind: 'no-debt', text: '0' } })], []);
    expect(lo).toBeLessThan(2);
    expect(hi).toBeGreaterThan(2);
  });

  it('ends on round values', () => {
    expect(yDomain([bucket(T0, '3.20'), bucket(T0 + 60_000, '3.40')], PROFILE.bands)).toEqual([0.5, 4]);
    expect(yDomain([bucket(T0, '0.031')], [{ ...PROFILE.bands[1]!, threshold: '0.017' }])).toEqual([
      0.016, 0.032,
    ]);
  });

  it('has round ticks from end to end', () => {
    expect(yTicks([0.5, 3])).toEqual([0.5, 1, 1.5, 2, 2.5, 3]);
    expect(yTicks([0.016, 0.032])).toEqual([0.016, 0.018, 0.02, 0.022, 0.024, 0.026, 0.028, 0.03, 0.032]);
  });

  it('goes below zero only when a level does', () => {
    expect(yDomain([bucket(T0, '-0.25')], [])[0]).toBeLessThan(-0.25);
  });
});

describe('bandAreas and thresholdLines', () => {
  it('cover the whole range with the zone of each band, top to bottom', () => {
    const areas = bandAreas(PROFILE.bands, [0.9, 3]);
    expect(areas).toEqual([
      { zone: 'safe', y1: 1.5, y2: 3 },
      { zone: 'caution', y1: 1.1, y2: 1.5 },
      { zone: 'liquidation', y1: 1.05, y2: 1.1 },
      { zone: 'takeover', y1: 0.9, y2: 1.05 },
    ]);
    expect(thresholdLines(PROFILE.bands).map((l) => [l.kind, l.y, l.label, l.threshold])).toEqual([
      ['caution', 1.5, 'marginCall', '1.5'],
      ['liquidation', 1.1, 'maintenance', '1.1'],
      ['takeover', 1.05, 'autoClose', '1.05'],
    ]);
  });

  it('with only a liquidation line: safe above, liquidation below', () => {
    const only = PROFILE.bands.filter((b) => b.kind === 'liquidation');
    expect(bandAreas(only, [0, 2]).map((a) => a.zone)).toEqual(['safe', 'liquidation']);
    expect(bandAreas([], [0, 2])).toEqual([]);
  });
});

describe('chartModel', () => {
  it('draws the last level, the min/max envelope, no-debt along the top and breaks at outages', () => {
    const data = history([
      bucket(T0, '1.7', { min: value('1.2'), max: value('1.8') }),
      bucket(T0 + 60_000, '1.6', { max: { kind: 'no-debt', text: '0' } }),
      bucket(T0 + 600_000, '0', {
        gapBefore: true,
        min: { kind: 'no-debt', text: '0' },
        max: { kind: 'no-debt', text: '0' },
        last: { kind: 'no-debt', text: '0' },
      }),
    ]);
    const model = chartModel(data);
    const top = model.noDebtY;
    expect(top).toBeGreaterThan(1.8);
    expect(top).toBeLessThan(model.domain[1]);
    expect(model.points.map((p) => [p.level, p.envelope, p.noDebt, p.bucket === null])).toEqual([
      [1.7, [1.2, 1.8], null, false],
      [1.6, [1.6, 1.6], null, false],
      [null, null, null, true],
      [null, null, top, false],
    ]);
    expect(model.lowest?.min).toEqual(value('1.2'));
    expect(model.areas.map((a) => a.zone)).toEqual(['safe', 'caution', 'liquidation', 'takeover']);
  });

  it('never gives a series more than 1,000 points, even with an outage after every bucket', () => {
    const buckets = Array.from({ length: 1000 }, (_, i) =>
      bucket(T0 + i * 60_000, `1.${6000 + i}`, {
        gapBefore: i % 2 === 1,
        min: value(i === 777 ? '1.0001' : `1.${6000 + i}`),
      }),
    );
    const model = chartModel(history(buckets));
    expect(model.points.length).toBeLessThanOrEqual(1000);
    expect(model.points.filter((p) => p.bucket === null).length).toBeGreaterThan(0);
    expect(model.lowest?.min).toEqual(value('1.0001'));
  });

  it('keeps 1,000 buckets without outages as they are', () => {
    const buckets = Array.from({ length: 1000 }, (_, i) => bucket(T0 + i * 60_000, `1.${6000 + i}`));
    expect(chartModel(history(buckets)).points).toHaveLength(1000);
  });
});
