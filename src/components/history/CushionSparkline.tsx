// A small inline-SVG line of an account's cushion over the last 24 h, for the overview cards. Deliberately not
// recharts: the overview's first load stays small. Each point is the cushion at the lowest level of a
// 15-minute interval, so a brief dip shows; outages break the line; the dashed floor is the liquidation line.
import { toChartNumber, type Dec } from '../../domain/decimal.ts';
import { formatPercent } from '../../domain/format.ts';
import type { MarginSnapshot, RiskZone } from '../../domain/model.ts';
import { useCushionHistory } from '../../hooks/useHistory.ts';
import { useProxyNow } from '../../hooks/useProxyNow.ts';
import { DAY_MS, decOf, minCushionOf, type HistoryData } from '../../hooks/history/model.ts';
import { withGaps } from '../../hooks/history/series.ts';

export interface SparklineGeometry {
  /** SVG path data; one `M` per unbroken stretch. Empty when there is nothing to draw. */
  path: string;
  /** y of cushion 0 (the liquidation line). */
  floorY: number;
  lowest: Dec | null;
  latest: Dec | null;
  zone: RiskZone;
  points: number;
}

/**
 * Drawing of `data` in a width × height box (pure; numbers only as drawing coordinates). `span` is the time
 * range across the box; by default the data's own. A span ending at now leaves the stretch since the last sample
 * empty, so a level that stopped arriving shows.
 */
export function sparklineGeometry(
  data: HistoryData | undefined,
  width: number,
  height: number,
  span?: { from: number; to: number },
): SparklineGeometry {
  const empty: SparklineGeometry = {
    path: '',
    floorY: height - 1,
    lowest: null,
    latest: null,
    zone: 'unknown',
    points: 0,
  };
  if (!data || data.buckets.length === 0) return empty;
  const items = withGaps(
    data.buckets.map((b) => ({ ...b, value: minCushionOf(b, data.profiles[b.profile]) })),
    data.gapMs,
  );
  let lowest: Dec | null = null;
  for (const item of items) {
    if ('gap' in item || item.value === null) continue;
    if (lowest === null || item.value.lt(lowest)) lowest = item.value;
  }
  const newest = data.buckets[data.buckets.length - 1];
  const latest = newest?.cushion ?? null;
  const values = items.flatMap((i) => ('gap' in i || i.value === null ? [] : [toChartNumber(i.value)]));
  if (values.length === 0) return { ...empty, zone: newest?.zone ?? 'unknown' };
  const lo = Math.min(0, ...values);
  const hi = Math.max(lo + 0.05, ...values);
  const pad = 1.5;
  const start = span?.from ?? data.from;
  const length = Math.max(1, (span?.to ?? data.to) - start);
  const x = (t: number): number => pad + ((t - start) / length) * (width - 2 * pad);
  const y = (v: number): number => pad + ((hi - v) / (hi - lo)) * (height - 2 * pad);
  let path = '';
  let open = false;
  for (const item of items) {
    if ('gap' in item || item.value === null) {
      open = false;
      continue;
    }
    const px = x(item.lastAt).toFixed(1);
    const py = y(toChartNumber(item.value)).toFixed(1);
    path += `${open ? 'L' : 'M'}${px} ${py}`;
    if (!open) path += `l0.01 0`;
    open = true;
  }
  return {
    path,
    floorY: y(0),
    lowest,
    latest: decOf(latest),
    zone: newest?.zone ?? 'unknown',
    points: values.length,
  };
}

export interface CushionSparklineViewProps {
  data: HistoryData | undefined;
  /** The history could not be loaded (and nothing loaded earlier is shown). */
  failed?: boolean;
  /** Time range across the sparkline; by default the data's own. */
  span?: { from: number; to: number };
  width?: number;
  height?: number;
}

/** The sparkline for already-loaded history. */
export function CushionSparklineView({
  data,
  failed = false,
  span,
  width = 120,
  height = 28,
}: CushionSparklineViewProps) {
  const g = sparklineGeometry(data, width, height, span);
  const label =
    g.points === 0
      ? failed
        ? 'Cushion over the last 24 hours: history unavailable'
        : 'Cushion over the last 24 hours: nothing recorded yet'
      : `Cushion over the last 24 hours: lowest ${g.lowest ? formatPercent(g.lowest) : 'unknown'}, latest ${
          g.latest ? formatPercent(g.latest) : 'unknown'
        }`;
  return (
    <svg
      className="cushion-sparkline"
      data-testid="cushion-sparkline"
      data-points={g.points}
      data-state={g.points === 0 && failed ? 'failed' : undefined}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
    >
      <title>{label}</title>
      <line
        x1={0}
        x2={width}
        y1={g.floorY}
        y2={g.floorY}
        style={{ stroke: 'var(--liquidation)' }}
        strokeWidth={1}
        strokeDasharray="2 2"
        opacity={0.7}
      />
      {g.path && (
        <path
          d={g.path}
          fill="none"
          style={{ stroke: `var(--${g.zone})` }}
          strokeWidth={1.5}
          strokeLinecap="round"
          strokeLinejoin="round"
        />
      )}
    </svg>
  );
}

export interface CushionSparklineProps {
  accountId: string;
  /** The account's latest snapshot from the stream, appended as it changes. */
  live?: MarginSnapshot | null;
  width?: number;
  height?: number;
}

/** The sparkline's right edge follows the proxy's clock in steps of this (24 h over ~120 px: 12 min a pixel). */
const EDGE_STEP_MS = 60_000;

/** The last 24 h of an account's cushion up to now, kept current with `live`. */
export function CushionSparkline({ accountId, live, width, height }: CushionSparklineProps) {
  const query = useCushionHistory(accountId, live);
  const now = useProxyNow(EDGE_STEP_MS);
  const to = Math.max(now, query.data?.to ?? 0);
  return (
    <CushionSparklineView
      data={query.data}
      failed={query.isError}
      span={{ from: to - DAY_MS, to }}
      {...(width ? { width } : {})}
      {...(height ? { height } : {})}
    />
  );
}
