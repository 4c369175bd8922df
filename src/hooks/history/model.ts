// The margin history as the browser holds it: the /api/accounts/:id/history body (contract/history.ts; decimals
// stay strings, as the proxy sent them), the chart's ranges, and live snapshots folded into the buckets.
import { Dec, parseDecimal } from '../../domain/decimal.ts';
import type { Band, Level, MarginSnapshot, RiskZone } from '../../domain/model.ts';
import { cushionOf, zoneSeverity } from '../../domain/risk.ts';
import type { BandDto, BucketDto, HistoryData, LevelDto, ProfileDto } from '../../contract/history.ts';

export type { BandDto, BucketDto, HistoryData, LevelDto, ProfileDto };

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** The chart's range buttons. */
export const RANGE_PRESETS = ['1h', '24h', '7d', '30d', 'all'] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number];

/** Length of each preset; `all` is everything recorded (null). */
export const PRESET_SPAN_MS: Readonly<Record<RangePreset, number | null>> = {
  '1h': HOUR_MS,
  '24h': DAY_MS,
  '7d': 7 * DAY_MS,
  '30d': 30 * DAY_MS,
  all: null,
};

/**
 * The range a chart opens on: the smallest preset, up to `upTo`, that holds every sample of `data` (the history
 * of `upTo`) at `now`. A fresh install with minutes of data opens on 1 h rather than a sliver of 24 h.
 */
export function fittingPreset(data: HistoryData, now: number, upTo: RangePreset): RangePreset {
  const first = data.buckets[0]?.firstAt;
  if (first === undefined) return upTo;
  for (const preset of RANGE_PRESETS) {
    const span = PRESET_SPAN_MS[preset];
    if (preset === upTo || span === null) break;
    if (now - first <= span) return preset;
  }
  return upTo;
}

/** A preset ending now (it follows live samples), or a fixed window chosen by zooming. */
export type HistoryRange =
  { kind: 'preset'; preset: RangePreset } | { kind: 'window'; from: number; to: number };

/** The most points a chart series may hold (recharts stays fast at ~1k points). */
export const SERIES_LIMIT = 1000;

/** A level DTO as a domain Level (exact). */
export function levelOfDto(level: LevelDto): Level {
  return level.kind === 'no-debt'
    ? { kind: 'no-debt', text: level.text }
    : { kind: 'value', value: new Dec(level.text), text: level.text };
}

/** Bands of a profile as domain bands (exact thresholds). */
export function bandsOfProfile(profile: ProfileDto | undefined): Band[] {
  return (profile?.bands ?? []).map((b) => ({ ...b, threshold: new Dec(b.threshold) }));
}

/** Orders levels exactly: numbers by value, a level with no debt above every number. */
export function compareLevelDto(a: LevelDto, b: LevelDto): number {
  if (a.kind === 'no-debt' || b.kind === 'no-debt') {
    return (a.kind === 'no-debt' ? 1 : 0) - (b.kind === 'no-debt' ? 1 : 0);
  }
  return new Dec(a.text).comparedTo(new Dec(b.text));
}

/** The cushion at the bucket's lowest level, with the bands of its last sample (exact), or null. */
export function minCushionOf(bucket: BucketDto, profile: ProfileDto | undefined): Dec | null {
  return cushionOf(levelOfDto(bucket.min), bandsOfProfile(profile));
}

function worseZone(a: RiskZone, b: RiskZone): RiskZone {
  return zoneSeverity(b) > zoneSeverity(a) ? b : a;
}

/** Two buckets as one (adjacent, `a` first): exact min and max, `b`'s last sample. */
export function mergeBuckets(a: BucketDto, b: BucketDto): BucketDto {
  return {
    ...b,
    start: Math.min(a.start, b.start),
    end: Math.max(a.end, b.end),
    firstAt: Math.min(a.firstAt, b.firstAt),
    count: a.count + b.count,
    min: compareLevelDto(b.min, a.min) < 0 ? b.min : a.min,
    max: compareLevelDto(b.max, a.max) > 0 ? b.max : a.max,
    worstZone: worseZone(a.worstZone, b.worstZone),
    gapBefore: a.gapBefore || b.gapBefore,
  };
}

function profileOfSnapshot(snapshot: MarginSnapshot): ProfileDto {
  return {
    unit: snapshot.unit ? { name: snapshot.unit.name, kind: snapshot.unit.kind } : null,
    bands: snapshot.bands.map((b) => ({
      kind: b.kind,
      threshold: b.threshold.toFixed(),
      label: b.label,
      source: b.source,
    })),
    currency: snapshot.totals?.currency ?? null,
  };
}

function sameProfile(a: ProfileDto, b: ProfileDto): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function levelDtoOf(level: Level): LevelDto {
  return level.kind === 'no-debt'
    ? { kind: 'no-debt', text: level.text }
    : { kind: 'value', text: level.text };
}

/** A total with the decimals the exchange wrote (Dec#toFixed() without places would drop trailing zeros). */
function decText(value: Dec | undefined, decimals: number): string | null {
  return value === undefined ? null : value.toFixed(decimals);
}

/**
 * Folds live snapshots (from the stream) into a history: a snapshot newer than the last bucket joins it while
 * it is within the bucket's width, else opens a new bucket; min and max stay exact. A snapshot arriving more
 * than `gapMs` after the previous one is marked as following an outage. With `windowMs`, buckets that fell out
 * of the window ending at the newest sample are dropped, so a preset range slides without refetching.
 * Returns `data` itself when nothing changed.
 */
export function appendLive(
  data: HistoryData,
  snapshots: readonly MarginSnapshot[],
  windowMs: number | null,
): HistoryData {
  let buckets = data.buckets;
  let profiles = data.profiles;
  let to = data.to;
  let changed = false;
  for (const snapshot of snapshots) {
    const level = snapshot.level;
    const last = buckets[buckets.length - 1];
    if (level === null || (last && snapshot.time <= last.lastAt)) continue;
    const profile = profileOfSnapshot(snapshot);
    let profileIndex = profiles.findIndex((p) => sameProfile(p, profile));
    if (profileIndex < 0) {
      profiles = [...profiles, profile];
      profileIndex = profiles.length - 1;
    }
    const t = snapshot.time;
    const sample: BucketDto = {
      start: 0,
      end: 0,
      firstAt: t,
      lastAt: t,
      count: 1,
      min: levelDtoOf(level),
      max: levelDtoOf(level),
      last: levelDtoOf(level),
      zone: snapshot.zone,
      worstZone: snapshot.zone,
      cushion: snapshot.cushion === null ? null : snapshot.cushion.toFixed(8),
      profile: profileIndex,
      assets: decText(snapshot.totals?.assets, snapshot.totals?.decimals ?? 0),
      liabilities: decText(snapshot.totals?.liabilities, snapshot.totals?.decimals ?? 0),
      equity: decText(snapshot.totals?.equity, snapshot.totals?.decimals ?? 0),
      gapBefore: last !== undefined && t - last.lastAt > data.gapMs,
    };
    if (last && t < last.end) {
      buckets = [
        ...buckets.slice(0, -1),
        mergeBuckets(last, { ...sample, start: last.start, end: last.end }),
      ];
    } else {
      const start = last
        ? last.start + Math.floor((t - last.start) / data.bucketMs) * data.bucketMs
        : Math.floor(t / data.bucketMs) * data.bucketMs;
      buckets = [...buckets, { ...sample, start, end: start + data.bucketMs }];
    }
    to = Math.max(to, t);
    changed = true;
  }
  if (!changed) return data;
  let from = data.from;
  if (windowMs !== null) {
    from = Math.max(from, to - windowMs);
    const kept = buckets.filter((b) => b.end > from);
    if (kept.length !== buckets.length) buckets = kept;
  }
  return { ...data, from, to, profiles, buckets };
}

/**
 * At most `limit` buckets, losing as little resolution as possible and never a min or max: the oldest
 * neighbours are merged in pairs, as many pairs as there are buckets too many (all pairs, repeatedly, when
 * that is not enough).
 */
export function thinBuckets(buckets: readonly BucketDto[], limit: number): BucketDto[] {
  let current = [...buckets];
  const target = Math.max(1, limit);
  while (current.length > target) {
    const pairs = Math.min(current.length - target, Math.floor(current.length / 2));
    const next: BucketDto[] = [];
    for (let i = 0; i < pairs; i += 1) {
      const a = current[2 * i];
      const b = current[2 * i + 1];
      if (a && b) next.push(mergeBuckets(a, b));
    }
    next.push(...current.slice(2 * pairs));
    current = next;
  }
  return current;
}

/** A decimal string from the API as a Dec (null stays null). */
export function decOf(text: string | null): Dec | null {
  return text === null ? null : parseDecimal(text);
}
