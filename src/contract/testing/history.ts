// Test support: builders of history responses (the contract's shapes) and of live snapshots in the same
// profile, for the tests of every browser layer and of the contract itself.
import { dec } from '../../domain/decimal.ts';
import type { Band, MarginSnapshot, Totals } from '../../domain/model.ts';
import { NO_DEBT, levelOf, snapshotOf } from '../../domain/testing/snapshots.ts';
import type { BucketDto, HistoryData, LevelDto, ProfileDto } from '../history.ts';

export const PROFILE: ProfileDto = {
  unit: { name: 'Margin fraction', kind: 'fraction' },
  bands: [
    { kind: 'caution', threshold: '1.5', label: 'marginCall', source: 'config' },
    { kind: 'liquidation', threshold: '1.1', label: 'maintenance', source: 'exchange' },
    { kind: 'takeover', threshold: '1.05', label: 'autoClose', source: 'exchange' },
  ],
  currency: 'USDC',
};

export const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);
/** The wall clock the chart tests run at: three hours after T0, so T0's samples sit inside every preset range. */
export const NOW = T0 + 3 * 3_600_000;

export function value(text: string): LevelDto {
  return { kind: 'value', text };
}

/** A one-sample-wide bucket at `start` (width `width`). */
export function bucket(
  start: number,
  last: string,
  extra: Partial<BucketDto> = {},
  width = 60_000,
): BucketDto {
  return {
    start,
    end: start + width,
    firstAt: start + 1000,
    lastAt: start + width - 1000,
    count: 10,
    min: value(last),
    max: value(last),
    last: value(last),
    zone: 'safe',
    worstZone: 'safe',
    cushion: '0.40000000',
    profile: 0,
    assets: '1000.5',
    liabilities: '400',
    equity: null,
    gapBefore: false,
    ...extra,
  };
}

/** A history of `buckets` (60 s wide by default) with one profile. */
export function history(buckets: BucketDto[], extra: Partial<HistoryData> = {}): HistoryData {
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  return {
    accountId: 'valr-1',
    from: first?.start ?? T0,
    to: last?.lastAt ?? T0,
    bucketMs: 60_000,
    source: '1m',
    gapMs: 90_000,
    profiles: [PROFILE],
    buckets,
    ...extra,
  };
}

/** PROFILE's bands as the domain model holds them. */
export const BANDS: Band[] = PROFILE.bands.map((b) => ({ ...b, threshold: dec(b.threshold) }));

/** A live snapshot of a VALR-like account at `time` with the level `text` (null: no debt), in PROFILE. */
export function liveSnapshot(
  time: number,
  text: string | null,
  options: { accountId?: string; totals?: Totals | null } = {},
): MarginSnapshot {
  return snapshotOf({
    accountId: options.accountId ?? 'valr-1',
    exchange: 'valr',
    time,
    level: text === null ? NO_DEBT : levelOf(text),
    unit: PROFILE.unit,
    bands: BANDS,
    totals: options.totals ?? null,
  });
}
