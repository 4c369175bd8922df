// The drill-down's margin history: level over time with its min/max envelope, the exchange's risk bands as
// coloured areas and labelled lines, range buttons, drag-to-zoom, an exact tooltip, outages as breaks, live
// samples appended as they arrive, and CSV export of what is in view. Default export for React.lazy: this
// module (and recharts) loads only when the chart is shown.
import { useMemo, useRef, useState, type ReactNode } from 'react';
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
import { formatDuration, formatLevel, formatPercent, unitSign } from '../../domain/format.ts';
import type { MarginSnapshot } from '../../domain/model.ts';
import { useAlertMarkers } from '../../hooks/useAlerts.ts';
import { useHistory, useLiveHistory } from '../../hooks/useHistory.ts';
import { useProxyNow } from '../../hooks/useProxyNow.ts';
import { BAND_WORDS, ZONE_WORDS, formatUtc } from '../words.ts';
import { csvFileName, historyCsv } from './csv.ts';
import {
  PRESET_SPAN_MS,
  RANGE_PRESETS,
  fittingPreset,
  SERIES_LIMIT,
  decOf,
  levelOfDto,
  type BucketDto,
  type HistoryData,
  type HistoryRange,
  type LevelDto,
  type ProfileDto,
  type RangePreset,
} from '../../hooks/history/model.ts';
import { chartModel, lineLabelPositions, type ChartPoint } from '../../hooks/history/series.ts';
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

const PRESET_LABELS: Record<RangePreset, string> = {
  '1h': '1 h',
  '24h': '24 h',
  '7d': '7 d',
  '30d': '30 d',
  all: 'All',
};
/** The chart's margins and the x axis's height, in px: what is left of `height` is the plot. */
const CHART_MARGIN = { top: 8, right: 16, bottom: 8, left: 8 } as const;
const X_AXIS_HEIGHT = 30;
/** A drag shorter than this is a click, not a zoom; the zoom buttons stop there too. */
const MIN_ZOOM_MS = 5_000;

/** How often the right edge of a preset range moves to the proxy's now: about 1/200 of the span, 5 s to 10 min. */
function edgeStepMs(spanMs: number): number {
  return Math.min(600_000, Math.max(5_000, Math.floor(spanMs / 200)));
}

function levelWords(level: LevelDto, unit: ProfileDto['unit'] | undefined): string {
  return formatLevel(levelOfDto(level), { unit });
}

function cushionWords(text: string | null): string {
  const value = decOf(text);
  return value === null ? 'unknown' : formatPercent(value);
}

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

/** The tooltip: exact figures of the bucket under the pointer. */
export function BucketDetails({ bucket, profile }: { bucket: BucketDto; profile: ProfileDto | undefined }) {
  const single = bucket.count === 1;
  const unit = profile?.unit?.name ?? 'Level';
  const sign = unitSign(profile?.unit);
  return (
    <div className="history-tooltip" data-testid="history-tooltip">
      <p className="history-tooltip__time">
        {single ? formatUtc(bucket.lastAt) : `${formatUtc(bucket.firstAt)} – ${formatUtc(bucket.lastAt)}`}
        {!single && <span className="muted"> · {bucket.count} samples</span>}
      </p>
      <dl>
        <dt>{unit}</dt>
        <dd data-testid="tooltip-last">{levelWords(bucket.last, profile?.unit)}</dd>
        {!single && (
          <>
            <dt>Lowest</dt>
            <dd data-testid="tooltip-min">{levelWords(bucket.min, profile?.unit)}</dd>
            <dt>Highest</dt>
            <dd>{levelWords(bucket.max, profile?.unit)}</dd>
          </>
        )}
        <dt>Zone</dt>
        <dd data-testid="tooltip-zone">
          {ZONE_WORDS[bucket.zone].name}
          {bucket.worstZone !== bucket.zone && ` (worst: ${ZONE_WORDS[bucket.worstZone].name})`}
        </dd>
        <dt>Cushion</dt>
        <dd>{cushionWords(bucket.cushion)}</dd>
        {profile?.bands.map((band) => (
          <div key={band.kind} className="history-tooltip__band">
            <dt>{BAND_WORDS[band.kind]}</dt>
            <dd>
              {band.threshold}
              {sign} <span className="muted">({band.label})</span>
            </dd>
          </div>
        ))}
      </dl>
      {bucket.gapBefore && <p className="muted">Follows an outage (no data before it).</p>}
    </div>
  );
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

function downloadCsv(
  data: HistoryData,
  buckets: readonly BucketDto[],
  accountId: string,
  from: number,
  to: number,
): void {
  const blob = new Blob([historyCsv(data, from, to, buckets)], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = csvFileName(accountId, from, to);
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
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
  const [range, setRange] = useState<HistoryRange>({ kind: 'preset', preset: initialRange });
  /** The preset the chart opened on, once the history of `initialRange` showed which one holds the data. */
  const [opening, setOpening] = useState<RangePreset | null>(null);
  const [drag, setDrag] = useState<{ from: number; to: number } | null>(null);
  const presetButtons = useRef(new Map<RangePreset, HTMLButtonElement>());
  const query = useHistory(accountId, range, { maxPoints: SERIES_LIMIT });
  useLiveHistory(accountId, range, SERIES_LIMIT, live);
  const data = query.data;
  const model = useMemo(() => (data ? chartModel(data) : null), [data]);
  const profiles = data?.profiles ?? [];

  // A preset ends at the proxy's now, not at the last sample: when the level stops arriving, the line stops
  // and the empty stretch up to now shows it.
  const span = range.kind === 'preset' ? PRESET_SPAN_MS[range.preset] : range.to - range.from;
  const edgeStep = edgeStepMs(span ?? (data ? data.to - data.from : 0));
  const proxyNow = useProxyNow(edgeStep);
  let xFrom: number;
  let xTo: number;
  if (range.kind === 'window') {
    xFrom = range.from;
    xTo = range.to;
  } else {
    xTo = Math.max(data?.to ?? 0, proxyNow);
    xFrom = span === null ? (data?.from ?? 0) : xTo - span;
  }
  const formatTick = useMemo(() => tickFormatter(xTo - xFrom), [xFrom, xTo]);
  const markers = useAlertMarkers(
    accountId,
    { key: range.kind === 'preset' ? range.preset : `${range.from}-${range.to}`, from: xFrom },
    { from: xFrom, to: xTo },
  );
  if (opening === null && data && !query.isPlaceholderData && range.kind === 'preset') {
    // First answer for the initial range: open on the smallest preset that holds it all. proxyNow is rounded
    // down by up to a step; a step later is at or after the proxy's now, so no sample is left out.
    const preset = fittingPreset(data, proxyNow + edgeStep, initialRange);
    setOpening(preset);
    if (preset !== range.preset) setRange({ kind: 'preset', preset });
  }
  const lastSampleAt = data?.buckets[data.buckets.length - 1]?.lastAt;
  const silentFor =
    range.kind === 'preset' && data && lastSampleAt !== undefined && proxyNow - lastSampleAt > data.gapMs
      ? proxyNow - lastSampleAt
      : null;

  const showPreset = (preset: RangePreset) => {
    setOpening((current) => current ?? preset);
    setRange({ kind: 'preset', preset });
    // "Reset zoom" disappears with the zoom: keep the keyboard on the range now shown.
    presetButtons.current.get(preset)?.focus();
  };
  /**
   * Keyboard zoom: `factor` < 1 zooms in around the middle of the view, > 1 out; `shift` pans by spans. The
   * window never reaches past now.
   */
  const zoomTo = (factor: number, shift = 0) => {
    const width = Math.round(Math.max(MIN_ZOOM_MS, (xTo - xFrom) * factor));
    const middle = (xFrom + xTo) / 2 + shift * (xTo - xFrom);
    const end = Math.min(Math.round(middle + width / 2), Math.max(proxyNow, data?.to ?? 0));
    const from = Math.max(0, end - width);
    setRange({ kind: 'window', from, to: from + width });
  };

  const pointTime = (e: MouseHandlerDataParam): number | null => {
    const index = Number(e.activeTooltipIndex ?? e.activeIndex);
    const point = Number.isInteger(index) ? model?.points[index] : undefined;
    return point ? point.t : null;
  };

  const toolbar = (
    <div className="toolbar toolbar--small history__toolbar">
      <div role="group" aria-label="Range">
        {RANGE_PRESETS.map((preset) => (
          <button
            key={preset}
            ref={(el) => {
              if (el) presetButtons.current.set(preset, el);
              else presetButtons.current.delete(preset);
            }}
            type="button"
            className="button button--quiet"
            aria-pressed={range.kind === 'preset' && range.preset === preset}
            onClick={() => showPreset(preset)}
          >
            {PRESET_LABELS[preset]}
          </button>
        ))}
      </div>
      <div role="group" aria-label="Zoom">
        <button
          type="button"
          className="button button--quiet"
          disabled={!data || xTo - xFrom <= MIN_ZOOM_MS}
          onClick={() => zoomTo(0.5)}
        >
          Zoom in
        </button>
        <button type="button" className="button button--quiet" disabled={!data} onClick={() => zoomTo(2)}>
          Zoom out
        </button>
        <button
          type="button"
          className="button button--quiet"
          disabled={!data}
          aria-label="Earlier"
          onClick={() => zoomTo(1, -0.5)}
        >
          ←
        </button>
        <button
          type="button"
          className="button button--quiet"
          disabled={!data}
          aria-label="Later"
          onClick={() => zoomTo(1, 0.5)}
        >
          →
        </button>
        {range.kind === 'window' && (
          <button
            type="button"
            className="button button--quiet"
            onClick={() => showPreset(opening ?? initialRange)}
          >
            Reset zoom
          </button>
        )}
      </div>
      <button
        type="button"
        className="button button--quiet"
        disabled={!data || !model || data.buckets.length === 0}
        onClick={() => data && model && downloadCsv(data, model.buckets, accountId, xFrom, xTo)}
      >
        Export CSV
      </button>
    </div>
  );

  if (query.isError && !data) {
    return (
      <Frame toolbar={toolbar}>
        <p className="notice notice--error" role="alert">
          Could not load the history: {query.error.message}{' '}
          <button type="button" className="button button--quiet" onClick={() => void query.refetch()}>
            Retry
          </button>
        </p>
      </Frame>
    );
  }
  if (!data || !model || (opening === null && range.kind === 'preset')) {
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
            Lowest {unitName.toLowerCase()} in view: <strong>{levelWords(lowest.min, lastUnit)}</strong> (
            {ZONE_WORDS[lowest.worstZone].name}) between {formatUtc(lowest.firstAt)} and{' '}
            {formatUtc(lowest.lastAt)}.
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
            if (drag && Math.abs(drag.to - drag.from) >= MIN_ZOOM_MS) {
              setRange({
                kind: 'window',
                from: Math.min(drag.from, drag.to),
                to: Math.max(drag.from, drag.to),
              });
            }
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
          {markers.map((marker) => (
            <ReferenceLine
              key={marker.id}
              x={marker.t}
              ifOverflow="hidden"
              stroke={marker.kind === 'fired' ? 'var(--liquidation)' : 'var(--safe)'}
              strokeWidth={1.5}
              className={`history-alert history-alert--${marker.kind}`}
              label={{
                value: marker.label,
                position: 'insideTopLeft',
                fill: marker.kind === 'fired' ? 'var(--liquidation)' : 'var(--safe)',
                fontSize: 11,
              }}
            />
          ))}
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
                value: `lowest ${lowest.min.text}`,
                position: 'bottom',
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
        Line: {unitName.toLowerCase()} at the end of each interval · shaded: lowest to highest within it ·
        dotted along the top: no debt · breaks: no data (outage) · drag across the chart, or use the zoom
        buttons, to zoom.
      </p>
    </Frame>
  );
}
