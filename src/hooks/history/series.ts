// From history buckets to what the chart draws: points (numbers only as chart coordinates), breaks for
// outages, the y range, and the risk-band areas and threshold lines. Pure functions, no React.
import { toChartNumber, type Dec } from '../../domain/decimal.ts';
import type { BandKind, RiskZone } from '../../domain/model.ts';
import { SERIES_LIMIT, decOf, thinBuckets, type BandDto, type BucketDto, type HistoryData } from './model.ts';

/** One point of the chart. `bucket` is null for the break inserted at an outage. */
export interface ChartPoint {
  /** x: time of the bucket's last sample (ms epoch). */
  t: number;
  /** The bucket's last level; null at a break or when the account had no debt. */
  level: number | null;
  /** The bucket's [min, max] envelope over its numeric levels; null at a break or without any. */
  envelope: [number, number] | null;
  /** Drawn along the top edge while the account has no debt; null otherwise. */
  noDebt: number | null;
  bucket: BucketDto | null;
}

/** A numeric level as a chart coordinate, or null for no debt. */
function coordinate(level: BucketDto['min']): number | null {
  if (level.kind === 'no-debt') return null;
  const value = decOf(level.text);
  return value === null ? null : toChartNumber(value);
}

/**
 * Inserts a break (a point with nothing to draw) between two buckets when the later one follows an outage,
 * so the line stops at the last sample before the outage and resumes after it instead of crossing it.
 * A bucket also follows an outage when it starts more than `gapMs` after the previous bucket's last sample.
 */
export function withGaps<T extends { firstAt: number; lastAt: number; gapBefore: boolean }>(
  buckets: readonly T[],
  gapMs: number,
): (T | { gap: true; t: number })[] {
  const out: (T | { gap: true; t: number })[] = [];
  let previous: T | undefined;
  for (const bucket of buckets) {
    if (previous && (bucket.gapBefore || bucket.firstAt - previous.lastAt > gapMs)) {
      out.push({
        gap: true,
        t: previous.lastAt + Math.max(1, Math.floor((bucket.firstAt - previous.lastAt) / 2)),
      });
    }
    out.push(bucket);
    previous = bucket;
  }
  return out;
}

/** A round step for about `count` ticks over `range` (1, 2 or 5 × a power of ten). */
function niceStep(range: number, count: number): number {
  const raw = range / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

/** Rounds away float noise from a tick value built from a decimal step. */
function tidy(value: number): number {
  return Number(value.toPrecision(12));
}

/** Round tick values across a domain from yDomain. */
export function yTicks([low, high]: [number, number]): number[] {
  const step = niceStep(high - low, 8);
  const ticks: number[] = [];
  for (let i = Math.ceil(low / step - 1e-9); i * step <= high + step * 1e-9 && ticks.length < 50; i += 1) {
    ticks.push(tidy(i * step));
  }
  return ticks;
}

/**
 * The y range: every level in view and every threshold, with a margin, extended to round tick values, never
 * below 0 when nothing is. `headroom` adds room at the top (for the no-debt line).
 */
export function yDomain(
  buckets: readonly BucketDto[],
  bands: readonly BandDto[],
  headroom = false,
): [number, number] {
  const values: number[] = [];
  for (const b of buckets) {
    for (const level of [b.min, b.max, b.last]) {
      const y = coordinate(level);
      if (y !== null) values.push(y);
    }
  }
  for (const band of bands) {
    const y = decOf(band.threshold);
    if (y !== null) values.push(toChartNumber(y));
  }
  if (values.length === 0) return [0, 1];
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = hi > lo ? (hi - lo) * 0.06 : Math.abs(hi) * 0.1 || 1;
  const low = lo >= 0 ? Math.max(0, lo - pad) : lo - pad;
  const high = hi + pad * (headroom ? 3 : 1);
  const step = niceStep(high - low, 8);
  return [tidy(Math.floor(low / step) * step), tidy(Math.ceil(high / step) * step)];
}

export interface BandArea {
  zone: RiskZone;
  y1: number;
  y2: number;
}

export interface ThresholdLine {
  kind: BandKind;
  y: number;
  /** The exchange's (or the config's) name for the line, e.g. `initialMarginFraction` (the tooltip shows it). */
  label: string;
  /** The line's exact value. */
  threshold: string;
}

function sortedBands(bands: readonly BandDto[]): { band: BandDto; y: number }[] {
  return bands
    .flatMap((band) => {
      const value = decOf(band.threshold);
      return value === null ? [] : [{ band, value }];
    })
    .sort((a, b) => b.value.comparedTo(a.value))
    .map(({ band, value }) => ({ band, y: toChartNumber(value) }));
}

/**
 * The zone areas for the bands in force, covering the whole y range: safe above the highest line, then each
 * band's zone below its line down to the next line (or the bottom). Levels exactly at a line belong to the zone
 * of the area above it except for caution — the domain rule; an area edge has no width, so it does not matter
 * for drawing.
 */
export function bandAreas(bands: readonly BandDto[], domain: [number, number]): BandArea[] {
  const sorted = sortedBands(bands);
  if (sorted.length === 0) return [];
  const [bottom, top] = domain;
  const areas: BandArea[] = [];
  const first = sorted[0];
  if (first) areas.push({ zone: 'safe', y1: first.y, y2: Math.max(top, first.y) });
  sorted.forEach(({ band, y }, i) => {
    const below = sorted[i + 1]?.y ?? Math.min(bottom, y);
    areas.push({ zone: band.kind, y1: below, y2: y });
  });
  return areas;
}

/** The labelled threshold lines, highest first. */
export function thresholdLines(bands: readonly BandDto[]): ThresholdLine[] {
  return sortedBands(bands).map(({ band, y }) => ({
    kind: band.kind,
    y,
    label: band.label,
    threshold: band.threshold,
  }));
}

/** Where a threshold line's label sits: above or below its line, at the right or the left end. */
export type LineLabelPosition = 'insideBottomRight' | 'insideTopRight' | 'insideBottomLeft' | 'insideTopLeft';

/** Height a label takes (11 px text and its padding), in px. */
export const LABEL_HEIGHT_PX = 14;

/** Share of the plot's width at either edge where the "lowest" label goes beside its point rather than under it. */
const EDGE_SHARE = 0.15;

/**
 * Where the "lowest" mark's label goes so it stays inside the plot: under the point, or beside it (towards the
 * middle) when the point is near the left or right edge. `x` runs from 0 (left) to 1 (right).
 */
export function lowestLabelPosition(x: number): 'bottom' | 'left' | 'right' {
  if (x > 1 - EDGE_SHARE) return 'left';
  if (x < EDGE_SHARE) return 'right';
  return 'bottom';
}

/**
 * Where each threshold line's label goes so that no two labels overlap and none covers the "lowest" mark's label
 * (drawn under the lowest point): above its line at the right end when there is room, else below it, else the
 * same at the left end. `lowest` is the lowest point's place: `x` from 0 (left) to 1 (right), `y` a level.
 * Positions are in the order of `lines` (highest first).
 */
export function lineLabelPositions(
  lines: readonly ThresholdLine[],
  domain: [number, number],
  plotHeightPx: number,
  lowest: { x: number; y: number } | null,
): LineLabelPosition[] {
  const [low, high] = domain;
  const px = (y: number): number => (high > low ? ((high - y) / (high - low)) * plotHeightPx : 0);
  type Box = { right: boolean; top: number; bottom: number };
  const taken: Box[] = [];
  if (lowest) {
    // Under the point (its 4 px radius and the label offset), or beside it near either edge.
    const top =
      lowestLabelPosition(lowest.x) === 'bottom' ? px(lowest.y) + 6 : px(lowest.y) - LABEL_HEIGHT_PX / 2;
    taken.push({ right: lowest.x >= 0.5, top, bottom: top + LABEL_HEIGHT_PX });
  }
  const clear = (box: Box): boolean =>
    box.top >= 0 &&
    box.bottom <= plotHeightPx &&
    taken.every((t) => t.right !== box.right || box.bottom <= t.top || box.top >= t.bottom);
  const lineBoxes = lines.map((line) => px(line.y));
  return lines.map((line) => {
    const y = px(line.y);
    const candidates: [LineLabelPosition, Box][] = [true, false].flatMap(
      (right): [LineLabelPosition, Box][] => [
        [right ? 'insideBottomRight' : 'insideBottomLeft', { right, top: y - LABEL_HEIGHT_PX, bottom: y }],
        [right ? 'insideTopRight' : 'insideTopLeft', { right, top: y, bottom: y + LABEL_HEIGHT_PX }],
      ],
    );
    // A label must not be crossed by another line either.
    const uncrossed = ([, box]: [LineLabelPosition, Box]): boolean =>
      lineBoxes.every((other) => other === y || other <= box.top || other >= box.bottom);
    const chosen =
      candidates.find((c) => clear(c[1]) && uncrossed(c)) ??
      candidates.find((c) => clear(c[1])) ??
      candidates[0];
    if (!chosen) return 'insideBottomRight';
    taken.push(chosen[1]);
    return chosen[0];
  });
}

export interface ChartModel {
  points: ChartPoint[];
  /** The buckets drawn (neighbours merged when there were more than the point limit), oldest first. */
  buckets: BucketDto[];
  domain: [number, number];
  /** Bands of the newest bucket in view (the ones in force now, for a range ending now). */
  bands: BandDto[];
  areas: BandArea[];
  lines: ThresholdLine[];
  /** The bucket holding the lowest level in view, for the summary line. */
  lowest: BucketDto | null;
  /** Where the no-debt line is drawn (just under the top edge). */
  noDebtY: number;
  /** Round values for the y axis. */
  ticks: number[];
  /** Where the lowest level in view is marked. */
  lowestPoint: { t: number; y: number } | null;
}

/**
 * Everything the chart draws for `data`, limited to `limit` points per series: when buckets plus outage breaks
 * would exceed it, neighbouring buckets are merged (exact min and max kept) until they fit.
 */
export function chartModel(data: HistoryData, limit = SERIES_LIMIT): ChartModel {
  let buckets: BucketDto[] = [...data.buckets];
  let items = withGaps(buckets, data.gapMs);
  while (items.length > limit && buckets.length > 1) {
    buckets = thinBuckets(buckets, buckets.length - (items.length - limit));
    items = withGaps(buckets, data.gapMs);
  }
  const newest = buckets[buckets.length - 1];
  const bands = newest ? (data.profiles[newest.profile]?.bands ?? []) : [];
  const anyNoDebt = buckets.some((b) => b.max.kind === 'no-debt');
  const domain = yDomain(buckets, bands, anyNoDebt);
  // No debt is drawn just under the top edge, in the headroom left for it.
  const top = domain[1] - (domain[1] - domain[0]) * 0.04;
  const points: ChartPoint[] = items.map((item) => {
    if ('gap' in item) return { t: item.t, level: null, envelope: null, noDebt: null, bucket: null };
    const min = coordinate(item.min);
    const max = coordinate(item.max);
    const last = coordinate(item.last);
    // The envelope spans the numeric levels only; stretches without debt show as the line along the top.
    const high = max ?? last ?? min;
    return {
      t: item.lastAt,
      level: last,
      envelope: min !== null && high !== null ? [min, high] : null,
      noDebt: item.last.kind === 'no-debt' ? top : null,
      bucket: item,
    };
  });
  let lowest: BucketDto | null = null;
  let lowestValue: Dec | null = null;
  for (const b of buckets) {
    const value = b.min.kind === 'value' ? decOf(b.min.text) : null;
    if (value !== null && (lowestValue === null || value.lt(lowestValue))) {
      lowest = b;
      lowestValue = value;
    }
  }
  return {
    points,
    buckets,
    domain,
    bands,
    areas: bandAreas(bands, domain),
    lines: thresholdLines(bands),
    lowest,
    noDebtY: top,
    ticks: yTicks(domain),
    lowestPoint: lowest && lowestValue ? { t: lowest.lastAt, y: toChartNumber(lowestValue) } : null,
  };
}
