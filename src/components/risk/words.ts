// The words of the price-move estimates: the nearest danger of an account (its move written by the domain's
// formatMoveFraction, as the drill-down and the alerts write it), the trend, the reconciliation gaps. Pure
// functions over the risk report (decimals stay decimal.js).
import type { RiskReport, TrendDto } from '../../contract/risk.ts';
import { ZERO, parseDecimal, type Dec } from '../../domain/decimal.ts';
import { formatDecimal, formatDuration, formatMoveFraction, unitSign } from '../../domain/format.ts';
import type { LevelUnit } from '../../domain/model.ts';
import { nearestDanger, type LineMoves } from '../../domain/price-moves.ts';

/** A line the estimate measures moves to. */
export type Line = keyof LineMoves;

/** Mildest first. */
export const LINES: readonly Line[] = ['toMarginCall', 'toLiquidation', 'toTakeover'];

/** A line's name inside a sentence. */
export const LINE_WORDS: Readonly<Record<Line, string>> = {
  toMarginCall: 'margin call',
  toLiquidation: 'liquidation',
  toTakeover: 'takeover',
};

/** A line's name as a column heading. */
export const LINE_HEADINGS: Readonly<Record<Line, string>> = {
  toMarginCall: 'To margin call',
  toLiquidation: 'To liquidation',
  toTakeover: 'To takeover',
};

const MINUS = '\u2212';
const NBSP = '\u00a0';

/** A decimal text of the report as a Dec; null stays null. */
function decOf(text: string | null): Dec | null {
  return text === null ? null : parseDecimal(text);
}

/** A gap (a fraction) as a signed percentage with one decimal: "+3.2 %", "−0.5 %". */
export function formatGap(gap: Dec, locale?: string): string {
  const text = formatDecimal(gap.times(100).abs(), { decimals: 1, locale });
  const zero = /^[0.,\s]*$/.test(text);
  return `${zero ? '' : gap.isNegative() ? MINUS : '+'}${text}${NBSP}%`;
}

/** One row's moves with decimals. */
export function lineMovesOf(row: Record<Line, string | null>): LineMoves {
  return {
    toMarginCall: decOf(row.toMarginCall),
    toLiquidation: decOf(row.toLiquidation),
    toTakeover: decOf(row.toTakeover),
  };
}

/** The nearest danger of an account in words, for its card. */
export type DangerWords =
  /** No report for the account (yet), or the venue's totals are not known yet. */
  | { kind: 'none-yet'; text: string }
  /** The venue's data cannot support an estimate: a short phrase, and the proxy's reason. */
  | { kind: 'unavailable'; text: string; reason: string }
  /** The smallest move to a line (after "Already below …" when the account is past a milder line). */
  | {
      kind: 'move';
      text: string;
      /** "Already below …": the live level's own say, never approximate; null when no line is reached. */
      lead: string | null;
      /** "BTC −8 % → liquidation": the estimated part. */
      phrase: string;
      currency: string | null;
      line: Line;
      move: Dec;
      below: Line | null;
    }
  /** Already past a line, and no move reaches a worse one. */
  | { kind: 'below'; text: string; below: Line }
  /** No price move of any one currency (or of the market) reaches any line. */
  | { kind: 'out-of-reach'; text: string };

/** The most severe line the account is already at or below, from the moves ("0" = already there). */
export function lineAlreadyReached(moves: readonly LineMoves[]): Line | null {
  let reached: Line | null = null;
  for (const line of LINES) {
    if (moves.some((m) => m[line]?.isZero() === true)) reached = line;
  }
  return reached;
}

/** The moves an account's nearest danger is read from. */
export interface DangerInput {
  moves: readonly (LineMoves & { currency: string })[];
  market: LineMoves | null;
  /**
   * The most severe line the account is already at or below, as its live level says (null: none); undefined to
   * read it from the moves ("0" = already there).
   */
  below?: Line | null | undefined;
}

/**
 * The phrase from the moves: "BTC −23 % → margin call", "Market −31 % → liquidation", "Already below margin
 * call", "Already below margin call · BTC −8 % → liquidation". Never a number the moves do not hold.
 */
export function dangerWordsOf({ moves, market, below: known }: DangerInput): DangerWords {
  const below = known !== undefined ? known : lineAlreadyReached(market ? [...moves, market] : moves);
  const remaining = below === null ? LINES : LINES.slice(LINES.indexOf(below) + 1);
  const nearest = remaining.length === 0 ? null : nearestDanger({ moves: [...moves], market }, remaining);
  const lead = below === null ? null : `Already below ${LINE_WORDS[below]}`;
  // A zero move on a line the live level has not reached: the figures put the account on that line.
  if (nearest === null || (nearest.move.isZero() && known === undefined)) {
    if (below !== null) return { kind: 'below', text: lead ?? '', below };
    return { kind: 'out-of-reach', text: 'No price move reaches a line' };
  }
  const who = nearest.currency ?? 'Market';
  const phrase = nearest.move.isZero()
    ? `${who} at ${LINE_WORDS[nearest.line]}`
    : `${who} ${formatMoveFraction(nearest.move)} → ${LINE_WORDS[nearest.line]}`;
  return {
    kind: 'move',
    text: lead === null ? phrase : `${lead} · ${phrase}`,
    lead,
    phrase,
    currency: nearest.currency,
    line: nearest.line,
    move: nearest.move,
    below,
  };
}

/**
 * The phrase from a report alone (the drill-down's): the moves the proxy worked out, or why there is no estimate.
 */
export function dangerWords(report: RiskReport | null | undefined, exchangeName: string): DangerWords {
  if (!report) return { kind: 'none-yet', text: 'No price estimate yet' };
  if (report.unavailable !== null) {
    return { kind: 'unavailable', text: `No price estimate for ${exchangeName}`, reason: report.unavailable };
  }
  if (report.assets === null || report.liabilities === null || report.reference === null) {
    return { kind: 'none-yet', text: 'No price estimate yet' };
  }
  return dangerWordsOf({
    moves: report.moves.map((m) => ({ currency: m.currency, ...lineMovesOf(m) })),
    market: report.market ? lineMovesOf(report.market) : null,
  });
}

/** The currencies whose price is stale or missing, for a mark beside the estimate. */
export function stalePriceCurrencies(report: RiskReport | null | undefined): string[] {
  if (!report) return [];
  return report.prices.filter((p) => p.stale).map((p) => p.currency);
}

/** A move in the level's unit per hour: "−0.0231 per hour". Three significant digits. */
function paceWords(perHour: Dec, unit: Pick<LevelUnit, 'kind'> | null | undefined): string {
  const rounded = perHour.abs().toSignificantDigits(3);
  return `${formatDecimal(rounded)}${unitSign(unit)} per hour`;
}

/**
 * The trend in a sentence: "At this pace, margin call in about 2 h 10 min (last 30 min)", with liquidation
 * when it comes later; a falling level with no line ahead in time says its pace. Null when there is no trend or
 * the level is not falling: nothing is said then.
 */
export function trendWords(
  trend: TrendDto | null | undefined,
  unit?: Pick<LevelUnit, 'kind'> | null,
): string | null {
  if (!trend) return null;
  const perHour = parseDecimal(trend.perHour);
  if (perHour === null || perHour.gte(ZERO)) return null;
  const window = `(last ${formatDuration(trend.window)})`;
  const ahead: string[] = [];
  if (trend.toMarginCallMs !== null && trend.toMarginCallMs > 0) {
    ahead.push(`margin call in about ${formatDuration(trend.toMarginCallMs)}`);
  }
  if (trend.toLiquidationMs !== null && trend.toLiquidationMs > 0) {
    ahead.push(`liquidation in about ${formatDuration(trend.toLiquidationMs)}`);
  }
  if (ahead.length > 0) return `At this pace, ${ahead.join(', ')} ${window}`;
  return `The level is falling by ${paceWords(perHour, unit)} ${window}`;
}

/** The reconciliation gaps in words, or null when the estimate reconciles. */
export function gapWords(report: RiskReport): string | null {
  if (!report.approximate) return null;
  const assets = parseDecimal(report.approximate.assetsGap);
  const liabilities = parseDecimal(report.approximate.liabilitiesGap);
  const parts = [
    assets === null ? null : `assets ${formatGap(assets)}`,
    liabilities === null ? null : `liabilities ${formatGap(liabilities)}`,
  ].filter((p) => p !== null);
  return `Balances × prices differ from ${report.reference ? `the venue's totals in ${report.reference}` : "the venue's totals"}: ${parts.join(', ')}. The moves are approximate.`;
}
