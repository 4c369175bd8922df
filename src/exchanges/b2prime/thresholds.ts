// B2Prime's rule for config thresholds: its margin-call and stop-out levels are set in percent (B2Trader back
// office), like the level it shows. Pure; used by the proxy's config check through server.ts.
import { Dec, parseDecimal } from '../../domain/decimal.ts';
import type { ThresholdProblem, ThresholdTexts } from '../server-types.ts';

/**
 * At or below this a B2Prime line is surely a ratio typed by mistake: a stop-out at 10 % would let equity fall to a
 * tenth of the used margin, and ratio-style lines (1.0, 0.5) all sit below it.
 */
export const RATIO_LOOKALIKE_MAX = new Dec(10);

const KEYS = ['marginCall', 'liquidation', 'takeover'] as const;

/** Refuses thresholds of 10 or less, suggesting the same line in percent ("1.0" → "did you mean 100?"). */
export function checkB2primeThresholds(thresholds: ThresholdTexts): ThresholdProblem[] {
  const problems: ThresholdProblem[] = [];
  for (const key of KEYS) {
    const text = thresholds[key];
    const value = text === undefined ? null : parseDecimal(text);
    if (text === undefined || value === null || value.gt(RATIO_LOOKALIKE_MAX)) continue;
    problems.push({
      key,
      message: `B2Prime levels are in percent; ${text} looks like a ratio — did you mean ${value.times(100).toFixed()}?`,
    });
  }
  return problems;
}
