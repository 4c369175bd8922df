import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec, dec } from '../../domain/decimal.ts';
import type { Band, Level, RiskZone } from '../../domain/model.ts';
import { cushionOf, zoneOf, zoneSeverity } from '../../domain/risk.ts';
import { openHistory, type HistoryDb } from '../db/open.ts';
import { createReader, planBuckets, type BucketDto, type HistoryResult } from './query.ts';
import { rebuildRollups } from './rollup.ts';
import { ROLLUP_PERIODS, ZONE_CODES } from './schema.ts';
import { NO_DEBT, TEST_BANDS, TEST_UNIT, bulkLoad, levelOf } from './testing/samples.ts';
import { createWriter, type SampleInput } from './writer.ts';

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const T0 = Date.UTC(2026, 9, 1, 0, 0, 7);
const LOWER_BANDS: Band[] = TEST_BANDS.map((b) => ({ ...b, threshold: b.threshold.minus('0.1') }));

function sample(t: number, level: Level, bands: Band[], gapBefore = false): SampleInput {
  return {
    accountId: 'acct',
    exchange: 'valr',
    t,
    level,
    unit: TEST_UNIT,
    bands,
    zone: zoneOf(level, bands),
    cushion: cushionOf(level, bands),
    totals: { currency: 'USDC', equity: dec(`${t % 1000}.25`), decimals: 2 },
    gapBefore,
  };
}

/** About three days of samples every ~30 s, with outages, no-debt stretches and a change of bands. */
function generate(): SampleInput[] {
  const next = random(42);
  const out: SampleInput[] = [];
  let t = T0;
  for (let i = 0; i < 8000; i += 1) {
    const outage = next() < 0.003;
    t += outage ? 600_000 + Math.floor(next() * 3_600_000) : 1 + Math.floor(next() * 60_000);
    const level = next() < 0.04 ? NO_DEBT : levelOf((0.9 + next() * 1.6).toFixed(4));
    out.push(sample(t, level, i < 4000 ? TEST_BANDS : LOWER_BANDS, outage));
  }
  return out;
}

/** Orders levels: numbers by value, no debt above all. */
function levelCompare(a: Level, b: Level): number {
  if (a.kind === 'no-debt' || b.kind === 'no-debt')
    return (a.kind === 'no-debt' ? 1 : 0) - (b.kind === 'no-debt' ? 1 : 0);
  return a.value.comparedTo(b.value);
}

function dto(level: Level): { kind: string; text: string } {
  return { kind: level.kind, text: level.text };
}

/** What a bucket must say, computed from the raw samples it covers. */
function expectedBucket(
  samples: SampleInput[],
): Omit<BucketDto, 'start' | 'end' | 'profile'> & { bands: string[] } {
  const sorted = [...samples].sort((a, b) => a.t - b.t);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (!first || !last) throw new Error('empty bucket');
  let min = first.level;
  let max = first.level;
  let worst: RiskZone = first.zone;
  for (const s of sorted) {
    if (levelCompare(s.level, min) < 0) min = s.level;
    if (levelCompare(s.level, max) > 0) max = s.level;
    if (zoneSeverity(s.zone) > zoneSeverity(worst)) worst = s.zone;
  }
  return {
    firstAt: first.t,
    lastAt: last.t,
    count: sorted.length,
    min: dto(min) as BucketDto['min'],
    max: dto(max) as BucketDto['max'],
    last: dto(last.level) as BucketDto['last'],
    zone: last.zone,
    worstZone: worst,
    cushion: last.cushion === null ? null : last.cushion.toFixed(8),
    assets: null,
    liabilities: null,
    equity: last.totals?.equity?.toFixed() ?? null,
    gapBefore: sorted.some((s) => s.gapBefore),
    bands: last.bands.map((b) => `${b.kind}:${b.threshold.toFixed()}`),
  };
}

function checkAgainstSamples(result: HistoryResult, all: SampleInput[], maxPoints: number): void {
  const period = { samples: 0, '1m': 60_000, '15m': 900_000, '4h': 14_400_000 }[result.source];
  expect(result.buckets.length).toBeLessThanOrEqual(maxPoints);
  if (period > 0) expect(result.bucketMs % period).toBe(0);
  // Raw samples cover [from, to] exactly; rollups cover whole periods.
  const lo = period === 0 ? result.from : Math.floor(result.from / period) * period;
  const hi = period === 0 ? result.to : Math.floor(result.to / period) * period + period - 1;
  const covered = all.filter((s) => s.t >= lo && s.t <= hi);
  const groups = new Map<number, SampleInput[]>();
  const origin = result.buckets[0]?.start ?? 0;
  for (const s of covered) {
    const index = Math.floor((s.t - origin) / result.bucketMs);
    const group = groups.get(index);
    if (group) group.push(s);
    else groups.set(index, [s]);
  }
  expect(result.buckets.map((b) => Math.floor((b.start - origin) / result.bucketMs))).toEqual([
    ...groups.keys(),
  ]);
  for (const bucket of result.buckets) {
    const index = Math.floor((bucket.start - origin) / result.bucketMs);
    const { bands, ...expected } = expectedBucket(groups.get(index) ?? []);
    const { start, end, profile, ...actual } = bucket;
    expect(end - start).toBe(result.bucketMs);
    expect(actual).toEqual(expected);
    expect(result.profiles[profile]?.bands.map((b) => `${b.kind}:${b.threshold}`)).toEqual(bands);
    expect(result.profiles[profile]?.unit).toEqual(TEST_UNIT);
  }
}

describe('bucketing', () => {
  let history: HistoryDb;
  let all: SampleInput[];
  beforeAll(() => {
    history = openHistory(':memory:');
    all = generate();
    const writer = createWriter(history);
    // Written out of order in batches, as a restart or late messages would.
    for (let i = 0; i < all.length; i += 700) writer.write(all.slice(i, i + 700).reverse());
  });
  afterAll(() => history.close());

  const last = (): number => all[all.length - 1]?.t ?? 0;
  // [name, range, rows a query may read, expected source]
  const cases: [string, () => [number | undefined, number | undefined, number], number, string][] = [
    ['one hour from raw samples', () => [T0 + 86_400_000, T0 + 90_000_000, 100], 500, 'samples'],
    ['a day from 1-minute rollups', () => [T0 + 3_600_000, T0 + 90_000_000, 200], 500, '1m'],
    ['everything from 15-minute rollups', () => [undefined, undefined, 60], 500, '15m'],
    ['everything from 4-hour rollups', () => [undefined, undefined, 4], 50, '4h'],
    ['a window ending mid-period', () => [T0 + 123_456, T0 + 7_777_777, 20], 100, '1m'],
    [
      'everything from raw samples when they fit the budget',
      () => [undefined, undefined, 1000],
      20_000,
      'samples',
    ],
  ];
  it.each(cases)(
    '%s: exact min, max and last, worst zone, bands of the last sample',
    (_, range, rowBudget, source) => {
      const [from, to, maxPoints] = range();
      const reader = createReader(history, { rowBudget });
      const result = reader.query({
        accountId: 'acct',
        maxPoints,
        now: last(),
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
      });
      expect(result.source).toBe(source);
      expect(result.buckets.length).toBeGreaterThan(1);
      if (from === undefined) expect(result.from).toBe(all[0]?.t);
      checkAgainstSamples(result, all, maxPoints);
    },
  );

  it('random ranges never exceed maxPoints and always agree with the samples', () => {
    const next = random(7);
    const readers = [10, 100, 300, 20_000].map((rowBudget) => createReader(history, { rowBudget }));
    const sources = new Set<string>();
    const span = last() - T0;
    for (let i = 0; i < 60; i += 1) {
      const a = T0 + Math.floor(next() * span);
      const b = T0 + Math.floor(next() * span);
      const maxPoints = 2 + Math.floor(next() ** 3 * 999);
      const reader = readers[Math.floor(next() * readers.length)] ?? createReader(history);
      const result = reader.query({
        accountId: 'acct',
        from: Math.min(a, b),
        to: Math.max(a, b),
        maxPoints,
        now: 0,
      });
      checkAgainstSamples(result, all, maxPoints);
      sources.add(result.source);
    }
    expect([...sources].sort()).toEqual(['15m', '1m', '4h', 'samples']);
  });

  it('a level with no debt is the safest: the max of a mixed bucket, never a 0', () => {
    const mem = openHistory(':memory:');
    createWriter(mem).write([
      sample(T0, levelOf('1.2000'), TEST_BANDS),
      sample(T0 + 1000, NO_DEBT, TEST_BANDS),
      sample(T0 + 2000, levelOf('1.3000'), TEST_BANDS),
      sample(T0 + 120_000, NO_DEBT, TEST_BANDS),
    ]);
    const result = createReader(mem).query({
      accountId: 'acct',
      from: T0,
      to: T0 + 179_999,
      maxPoints: 3,
      now: 0,
    });
    expect(result.buckets.map((b) => [b.min, b.max, b.last, b.cushion])).toEqual([
      [
        { kind: 'value', text: '1.2000' },
        { kind: 'no-debt', text: '0' },
        { kind: 'value', text: '1.3000' },
        '0.15384615',
      ],
      [
        { kind: 'no-debt', text: '0' },
        { kind: 'no-debt', text: '0' },
        { kind: 'no-debt', text: '0' },
        '1.00000000',
      ],
    ]);
    mem.close();
  });

  it('an account without samples, or unknown to the database, gets no buckets', () => {
    const reader = createReader(history);
    expect(reader.query({ accountId: 'nobody', maxPoints: 100, now: T0 })).toMatchObject({
      from: T0,
      to: T0,
      buckets: [],
      profiles: [],
    });
  });
});

describe('planBuckets', () => {
  it('never plans more than maxPoints buckets; reads raw samples when they fit the budget, else the finest fitting rollup', () => {
    const next = random(3);
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i += 1) {
      const from = Math.floor(next() * 2e12);
      const to = from + Math.floor(next() ** 3 * 400 * 86_400_000);
      const maxPoints = 2 + Math.floor(next() * 999);
      const samples = Math.floor(next() ** 2 * 2_000_000);
      const { period, origin, width } = planBuckets(from, to, maxPoints, samples, 20_000);
      seen.add(period);
      const count = Math.floor((to - origin) / width) + 1;
      const ideal = Math.ceil((to - from + 1) / maxPoints);
      expect(count).toBeLessThanOrEqual(maxPoints);
      expect(origin).toBeLessThanOrEqual(from);
      if (samples <= 20_000) expect(period).toBe(0);
      if (period === 0) {
        expect(origin).toBe(from);
        continue;
      }
      expect(period).toBeLessThanOrEqual(ideal);
      expect(width % period).toBe(0);
      expect(origin % period).toBe(0);
      expect(width).toBeLessThanOrEqual(2 * Math.ceil((to - origin + 1) / maxPoints));
      // A finer allowed period would have read more rows than the budget.
      const finer = ROLLUP_PERIODS.filter((p) => p < period);
      for (const p of finer)
        expect(Math.min(samples, Math.ceil((to - from + 1) / p) + 1)).toBeGreaterThan(20_000);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([0, ...ROLLUP_PERIODS]);
  });
});

describe('a single deep dip among a million samples', () => {
  it('is the minimum of exactly one bucket, with its exact text and zone', () => {
    const mem = openHistory(':memory:');
    const db = mem.sqlite;
    const count = 1_000_000;
    const account = bulkLoad(db, 'acct', T0, count, 1000);
    const dipAt = T0 + 654_321 * 1000;
    db.prepare(
      'UPDATE samples SET level_text = ?, level_key = ?, zone = ? WHERE account_id = ? AND t = ?',
    ).run('1.0312', 1.0312, ZONE_CODES.takeover, account, dipAt);
    rebuildRollups(db);

    const reader = createReader(mem);
    const started = performance.now();
    const result = reader.query({ accountId: 'acct', maxPoints: 1000, now: T0 + count * 1000 });
    const elapsed = performance.now() - started;
    expect(result.buckets.length).toBeLessThanOrEqual(1000);
    expect(result.buckets.length).toBeGreaterThan(900);
    expect(result.buckets.reduce((n, b) => n + b.count, 0)).toBe(count);
    const dipped = result.buckets.filter((b) => new Dec(b.min.text).lt(2));
    expect(dipped).toHaveLength(1);
    expect(dipped[0]).toMatchObject({ min: { kind: 'value', text: '1.0312' }, worstZone: 'takeover' });
    expect(dipped[0]?.start).toBeLessThanOrEqual(dipAt);
    expect(dipped[0]?.end).toBeGreaterThan(dipAt);
    expect(result.buckets.filter((b) => b.worstZone !== 'safe')).toHaveLength(1);
    // A loose bound only (shared CI machines); `npm run bench` reports the real figure.
    expect(elapsed).toBeLessThan(2000);
    mem.close();
  });
});
