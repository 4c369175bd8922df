// Builders of history responses for the browser-side tests.
import type { BucketDto, HistoryData, LevelDto, ProfileDto } from './model.ts';

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
