// The pace at which a level is falling, from its recent samples: a least-squares line through (time, level) over a
// window, and when the fall is steady enough to mean something, how long until the level meets each line at that
// pace. Pure, decimal.js throughout (times are whole milliseconds, exact in a Decimal).
import { Dec, ZERO } from './decimal.ts';

export interface LevelSample {
  /** ms epoch. */
  at: number;
  value: Dec;
}

export interface TrendOptions {
  /** The window's end (ms epoch): samples after it are ignored. */
  now: number;
  /** The window's length, ms (e.g. 30 minutes). */
  windowMs: number;
  /** Lines in the level's unit; a line already reached gives 0 ms, a missing one null. */
  marginCall: Dec | null;
  liquidation: Dec | null;
  /** Fewest samples a fit needs (default 6). */
  minSamples?: number;
  /** The samples must span at least this long, ms (default 5 minutes). */
  minSpanMs?: number;
  /** Least share of the level's variance the line must explain (R², default 0.6): below it the level is noise. */
  minFit?: number;
}

export interface Trend {
  /** Change of the level per hour (negative: falling), in the level's unit. */
  perHour: Dec;
  /** How long the samples the pace was measured over span, ms (at most the window). */
  window: number;
  /** Share of the variance the line explains (0–1). */
  fit: Dec;
  /** At this pace, ms from the last sample until the margin-call line; 0 when already at or below it. */
  toMarginCallMs: number | null;
  toLiquidationMs: number | null;
}

const HOUR = new Dec(3_600_000);
/** The shortest stretch of samples a pace is measured over. */
export const DEFAULT_MIN_SPAN_MS = 5 * 60_000;

/**
 * The level's trend over the window, or null when it is not falling, when the samples are too few or too short a
 * span, or when the line explains too little of the movement to be called a pace.
 */
export function levelTrend(samples: readonly LevelSample[], options: TrendOptions): Trend | null {
  const from = options.now - options.windowMs;
  const inWindow = samples.filter((s) => s.at >= from && s.at <= options.now).sort((a, b) => a.at - b.at);
  const minSamples = options.minSamples ?? 6;
  if (inWindow.length < Math.max(2, minSamples)) return null;
  const first = inWindow[0];
  const last = inWindow[inWindow.length - 1];
  if (!first || !last) return null;
  const span = last.at - first.at;
  if (span <= 0 || span < Math.min(options.windowMs, options.minSpanMs ?? DEFAULT_MIN_SPAN_MS)) return null;

  // Least squares on times relative to the first sample.
  const n = new Dec(inWindow.length);
  let sumT = ZERO;
  let sumV = ZERO;
  for (const s of inWindow) {
    sumT = sumT.plus(s.at - first.at);
    sumV = sumV.plus(s.value);
  }
  const meanT = sumT.div(n);
  const meanV = sumV.div(n);
  let stt = ZERO;
  let stv = ZERO;
  let svv = ZERO;
  for (const s of inWindow) {
    const dt = new Dec(s.at - first.at).minus(meanT);
    const dv = s.value.minus(meanV);
    stt = stt.plus(dt.times(dt));
    stv = stv.plus(dt.times(dv));
    svv = svv.plus(dv.times(dv));
  }
  if (stt.isZero() || svv.isZero()) return null;
  const slope = stv.div(stt); // level per ms
  if (slope.gte(0)) return null;
  const fit = stv.times(stv).div(stt.times(svv));
  if (fit.lt(options.minFit ?? 0.6)) return null;

  const untilLine = (line: Dec | null): number | null => {
    if (line === null) return null;
    if (last.value.lte(line)) return 0;
    return last.value.minus(line).div(slope.neg()).round().toNumber();
  };
  return {
    perHour: slope.times(HOUR),
    window: span,
    fit,
    toMarginCallMs: untilLine(options.marginCall),
    toLiquidationMs: untilLine(options.liquidation),
  };
}
