// The drill-down's margin history: level over time with its min/max envelope, the exchange's risk bands as
// coloured areas and labelled lines, drag-to-zoom, an exact tooltip (BucketDetails), outages as breaks and
// alert markers. What is shown and how it moves is useHistoryWindow's; the range, zoom and CSV buttons are
// HistoryToolbar's. Default export for React.lazy: this module (and recharts) loads only when the chart is shown.
import { useMemo, useState, type ReactNode } from 'react';
import {
  Area,
  CartesianGrid,
  ComposedChart,
  Line,
  ReferenceArea,
  ReferenceDot,
  ReferenceLine,
  Tooltip,
  XAxis,
  YAxis,
  type MouseHandlerDataParam,
} from 'recharts';
import { formatDuration, unitSign } from '../../domain/format.ts';
import type { MarginSnapshot } from '../../domain/model.ts';
import type { ProfileDto, RangePreset } from '../../hooks/history/model.ts';
import { lineLabelPositions, lowestLabelPosition, type ChartPoint } from '../../hooks/history/series.ts';
import { useHistoryWindow } from '../../hooks/history/useHistoryWindow.ts';
import { QueryProblem } from '../QueryProblem.tsx';
import { BAND_WORDS, ZONE_WORDS, formatUtc, unitInSentence, whenWords } from '../words.ts';
import { BucketDetails, levelWords } from './BucketDetails.tsx';
import { AlertMarkerLines } from './AlertMarkerLines.tsx';
import { HistoryToolbar } from './HistoryToolbar.tsx';
import './history-chart.css';

export interface HistoryChartProps {
  accountId: string;
  /** The account's latest snapshot from the stream: appended to the chart as it changes (preset ranges). */
  live?: MarginSnapshot | null;
  /**
   * The longest range shown first (default 24 h): the chart opens on the smallest preset up to it that holds
   * everything recorded, so a fresh install's few minutes fill the plot instead of a sliver at its edge.
   */
  initialRange?: RangePreset;
  /** Chart height in px. Default 320. */
  height?: number;
  /** Fixed chart width in px; by default the chart fills its container. */
  width?: number;
}

/** The chart's margins and the x axis's height, in px: what is left of `height` is the plot. */
const CHART_MARGIN = { top: 8, right: 16, bottom: 8, left: 8 } as const;
const X_AXIS_HEIGHT = 30;
function tickFormatter(spanMs: number): (t: number) => string {
  const options: Intl.DateTimeFormatOptions =
    spanMs <= 36 * 3_600_000
      ? { hour: '2-digit', minute: '2-digit', hour12: false }
      : spanMs <= 14 * 86_400_000
        ? { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hour12: false }
        : { day: 'numeric', month: 'short', year: '2-digit' };
  const format = new Intl.DateTimeFormat(undefined, options);
  return (t) => format.format(new Date(t));
}

function isChartPoint(value: unknown): value is ChartPoint {
  return typeof value === 'object' && value !== null && 't' in value && 'bucket' in value;
}

function ChartTooltip({
  active,
  payload,
  profiles,
}: {
  active?: boolean;
  payload?: readonly { payload?: unknown }[];
  profiles: ProfileDto[];
}) {
  const point = payload?.[0]?.payload;
  if (!active || !isChartPoint(point) || !point.bucket) return null;
  return <BucketDetails bucket={point.bucket} profile={profiles[point.bucket.profile]} />;
}

function Frame({ children, toolbar }: { children: ReactNode; toolbar: ReactNode }) {
  return (
    <section className="panel history" aria-labelledby="history-heading" data-testid="history">
      <header className="history__head">
        <h3 id="history-heading">History</h3>
        {toolbar}
      </header>
      {children}
    </section>
  );
}

/** The margin level history of one account. */
export default function HistoryChart({
  accountId,
  live,
  initialRange = '24h',
  height = 320,
  width,
}: HistoryChartProps) {
  const view = useHistoryWindow(accountId, live, initialRange);
  const [drag, setDrag] = useState<{ from: number; to: number } | null>(null);
  const { query, data, model, xFrom, xTo, markers, silentFor, lastSampleAt } = view;
  const profiles = data?.profiles ?? [];
  const formatTick = useMemo(() => tickFormatter(xTo - xFrom), [xFrom, xTo]);

  const pointTime = (e: MouseHandlerDataParam): number | null => {
    const index = Number(e.activeTooltipIndex ?? e.activeIndex);
    const point = Number.isInteger(index) ? model?.points[index] : undefined;
    return point ? point.t : null;
  };

  const toolbar = <HistoryToolbar view={view} accountId={accountId} />;

  if (query.isError && !data) {
    return (
      <Frame toolbar={toolbar}>
        <QueryProblem what="the history" error={query.error} onRetry={() => void query.refetch()} />
      </Frame>
    );
  }
  if (!data || !model || !view.opened) {
    return (
      <Frame toolbar={toolbar}>
        <p className="muted" role="status">
          Loading history…
        </p>
      </Frame>
    );
  }
  if (data.buckets.length === 0) {
    return (
      <Frame toolbar={toolbar}>
        <p className="muted" data-testid="history-empty">
          Nothing recorded in this range yet. Margin Watch records every account while it runs, whether or not
          a tab is open.
        </p>
      </Frame>
    );
  }

  const [yLow, yHigh] = model.domain;
  const lowest = model.lowest;
  const lastUnit = data.profiles[data.buckets[data.buckets.length - 1]?.profile ?? 0]?.unit ?? null;
  const unitName = lastUnit?.name ?? 'Level';
  const labelPositions = lineLabelPositions(
    model.lines,
    model.domain,
    height - CHART_MARGIN.top - CHART_MARGIN.bottom - X_AXIS_HEIGHT,
    model.lowestPoint && xTo > xFrom
      ? { x: (model.lowestPoint.t - xFrom) / (xTo - xFrom), y: model.lowestPoint.y }
      : null,
  );
  return (
    <Frame toolbar={toolbar}>
      <p className="history__summary" data-testid="history-summary">
        {lowest ? (
          <>
            Lowest {unitInSentence(unitName)} in view: <strong>{levelWords(lowest.min, lastUnit)}</strong> (
            {ZONE_WORDS[lowest.worstZone].name}) {whenWords(lowest.firstAt, lowest.lastAt)}.
          </>
        ) : (
          'No borrowing in view.'
        )}
        {query.isFetching && <span className="muted"> Updating…</span>}
      </p>
      {silentFor !== null && lastSampleAt !== undefined && (
        <p className="notice notice--warn" data-testid="history-silent">
          No level received since {formatUtc(lastSampleAt)} ({formatDuration(silentFor)} ago): the line stops
          there.
        </p>
      )}
      {model.bands.length === 0 && (
        <p className="muted">
          No risk lines are known for this account: the exchange sends none and none are configured.
        </p>
      )}
      <div className="history__chart" data-testid="history-chart">
        <ComposedChart
          data={model.points}
          {...(width === undefined ? { responsive: true, width: '100%', height } : { width, height })}
          margin={CHART_MARGIN}
          onMouseDown={(e) => {
            const t = pointTime(e);
            if (t !== null) setDrag({ from: t, to: t });
          }}
          onMouseMove={(e) => {
            if (!drag) return;
            const t = pointTime(e);
            if (t !== null && t !== drag.to) setDrag({ from: drag.from, to: t });
          }}
          onMouseUp={() => {
            if (drag) view.zoomToWindow(drag.from, drag.to);
            setDrag(null);
          }}
          onMouseLeave={() => setDrag(null)}
        >
          <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={[xFrom, xTo]}
            allowDataOverflow
            tickFormatter={formatTick}
            stroke="var(--muted)"
            minTickGap={24}
            height={X_AXIS_HEIGHT}
          />
          <YAxis
            type="number"
            domain={[yLow, yHigh]}
            ticks={model.ticks}
            allowDataOverflow
            stroke="var(--muted)"
            width={64}
          />
          {model.areas.map((area) => (
            <ReferenceArea
              key={`${area.zone}-${area.y2}`}
              y1={area.y1}
              y2={area.y2}
              ifOverflow="extendDomain"
              fill={`var(--${area.zone})`}
              fillOpacity={0.12}
              stroke="none"
              className={`history-band history-band--${area.zone}`}
            />
          ))}
          {model.lines.map((line, index) => (
            <ReferenceLine
              key={line.kind}
              y={line.y}
              ifOverflow="extendDomain"
              stroke={`var(--${line.kind})`}
              strokeDasharray="6 3"
              className={`history-line history-line--${line.kind}`}
              label={{
                value: `${BAND_WORDS[line.kind]} ${line.threshold}${unitSign(lastUnit)}`,
                position: labelPositions[index] ?? 'insideBottomRight',
                fill: `var(--${line.kind})`,
                fontSize: 11,
              }}
            />
          ))}
          <AlertMarkerLines markers={markers} />
          <Area
            dataKey="envelope"
            name="Lowest–highest"
            stroke="var(--link)"
            strokeOpacity={0.6}
            strokeWidth={0.75}
            fill="var(--link)"
            fillOpacity={0.35}
            isAnimationActive={false}
            connectNulls={false}
            activeDot={false}
          />
          <Line
            dataKey="level"
            name={unitName}
            stroke="var(--text)"
            strokeWidth={1.5}
            dot={false}
            isAnimationActive={false}
            connectNulls={false}
          />
          <Line
            dataKey="noDebt"
            name="No debt"
            stroke="var(--safe)"
            strokeWidth={2}
            strokeDasharray="4 3"
            dot={false}
            isAnimationActive={false}
            connectNulls={false}
          />
          {model.lowestPoint && lowest && (
            <ReferenceDot
              x={model.lowestPoint.t}
              y={model.lowestPoint.y}
              r={4}
              ifOverflow="extendDomain"
              fill={`var(--${lowest.worstZone})`}
              stroke="var(--text)"
              label={{
                value: `lowest ${levelWords(lowest.min, lastUnit)}`,
                position: lowestLabelPosition(
                  xTo > xFrom ? (model.lowestPoint.t - xFrom) / (xTo - xFrom) : 0.5,
                ),
                fill: 'var(--text)',
                fontSize: 11,
              }}
            />
          )}
          <Tooltip
            content={(props) => (
              <ChartTooltip active={props.active} payload={props.payload} profiles={profiles} />
            )}
            isAnimationActive={false}
          />
          {drag && drag.from !== drag.to && (
            <ReferenceArea
              x1={drag.from}
              x2={drag.to}
              fill="var(--focus)"
              fillOpacity={0.15}
              stroke="var(--focus)"
            />
          )}
        </ComposedChart>
      </div>
      <p className="history__legend muted">
        Line: {unitInSentence(unitName)} at the end of each interval · shaded: lowest to highest within it ·
        dotted along the top: no debt · breaks: no data (outage) · drag across the chart, or use the zoom
        buttons, to zoom.
      </p>
    </Frame>
  );
}
