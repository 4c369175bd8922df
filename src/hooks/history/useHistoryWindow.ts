// What the history chart shows, and how it moves: the range (a preset ending at the proxy's now, or a zoomed
// window), the range the chart opens on, the data with live samples folded in, the visible span on the time
// axis, the alert markers in it, and whether the level has stopped arriving. The chart only renders this.
import { useMemo, useState } from 'react';
import type { MarginSnapshot } from '../../domain/model.ts';
import type { AlertMarker } from '../alerts/markers.ts';
import { useAlertMarkers } from '../useAlerts.ts';
import { useHistory, useLiveHistory } from '../useHistory.ts';
import { useProxyNow } from '../useProxyNow.ts';
import {
  PRESET_SPAN_MS,
  SERIES_LIMIT,
  fittingPreset,
  type HistoryData,
  type HistoryRange,
  type RangePreset,
} from './model.ts';
import { chartModel, type ChartModel } from './series.ts';

/** A drag shorter than this is a click, not a zoom; the zoom buttons stop there too. */
export const MIN_ZOOM_MS = 5_000;

/** How often the right edge of a preset range moves to the proxy's now: about 1/200 of the span, 5 s to 10 min. */
export function edgeStepMs(spanMs: number): number {
  return Math.min(600_000, Math.max(5_000, Math.floor(spanMs / 200)));
}

export interface HistoryWindow {
  range: HistoryRange;
  query: ReturnType<typeof useHistory>;
  data: HistoryData | undefined;
  model: ChartModel | null;
  /** The visible span of the time axis (ms epoch). */
  xFrom: number;
  xTo: number;
  /** False until the chart knows which preset it opens on (the first answer decides). */
  opened: boolean;
  /** The preset "Reset zoom" goes back to: the one the chart opened on. */
  homePreset: RangePreset;
  markers: AlertMarker[];
  /** Time of the last sample, and how long nothing arrived since when that is longer than an outage. */
  lastSampleAt: number | undefined;
  silentFor: number | null;
  canZoomIn: boolean;
  showPreset(preset: RangePreset): void;
  /** Zooms around the middle of the view (`factor` < 1 in, > 1 out); `shift` pans by spans. Never past now. */
  zoomBy(factor: number, shift?: number): void;
  /** Shows the window between two times (a drag across the chart); shorter than MIN_ZOOM_MS is ignored. */
  zoomToWindow(a: number, b: number): void;
}

/** The history window of one account, opening on the smallest preset up to `initialRange` that holds its data. */
export function useHistoryWindow(
  accountId: string,
  live: MarginSnapshot | null | undefined,
  initialRange: RangePreset,
): HistoryWindow {
  const [range, setRange] = useState<HistoryRange>({ kind: 'preset', preset: initialRange });
  /** The preset the chart opened on, once the history of `initialRange` showed which one holds the data. */
  const [opening, setOpening] = useState<RangePreset | null>(null);
  const query = useHistory(accountId, range, { maxPoints: SERIES_LIMIT });
  useLiveHistory(accountId, range, SERIES_LIMIT, live);
  const data = query.data;
  const model = useMemo(() => (data ? chartModel(data) : null), [data]);

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

  return {
    range,
    query,
    data,
    model,
    xFrom,
    xTo,
    opened: opening !== null || range.kind === 'window',
    homePreset: opening ?? initialRange,
    markers,
    lastSampleAt,
    silentFor,
    canZoomIn: data !== undefined && xTo - xFrom > MIN_ZOOM_MS,
    showPreset: (preset) => {
      setOpening((current) => current ?? preset);
      setRange({ kind: 'preset', preset });
    },
    zoomBy: (factor, shift = 0) => {
      const width = Math.round(Math.max(MIN_ZOOM_MS, (xTo - xFrom) * factor));
      const middle = (xFrom + xTo) / 2 + shift * (xTo - xFrom);
      const end = Math.min(Math.round(middle + width / 2), Math.max(proxyNow, data?.to ?? 0));
      const from = Math.max(0, end - width);
      setRange({ kind: 'window', from, to: from + width });
    },
    zoomToWindow: (a, b) => {
      if (Math.abs(b - a) < MIN_ZOOM_MS) return;
      setRange({ kind: 'window', from: Math.min(a, b), to: Math.max(a, b) });
    },
  };
}
