// A card's price-move estimate from the LIVE figures: the account's latest totals, balances and lines (the stream,
// every couple of seconds) valued at the prices of the last risk report (the proxy's, every 10 s), with the same
// domain functions the proxy uses. The card's nearest danger and its what-if then start from the level the card
// shows, not from a report a few seconds older. Without live totals and balances, the report's own figures. Pure.
import type { RiskReport } from '../../contract/risk.ts';
import { parseDecimal, ZERO, type Dec } from '../../domain/decimal.ts';
import type { Band, CurrencyBalance, Level, Totals, VenueStatus } from '../../domain/model.ts';
import {
  estimateMoves,
  heldOwedOf,
  valuePosition,
  type LineMoves,
  type ValuedPosition,
} from '../../domain/price-moves.ts';
import { zoneOf } from '../../domain/risk.ts';
import { dangerWordsOf, lineMovesOf, type DangerWords, type Line } from './words.ts';

/** What the card knows live about the account (a slice of its snapshot). */
export interface LiveFigures {
  level: Level | null;
  bands: readonly Band[];
  totals: Totals | null;
  balances: readonly CurrencyBalance[] | null;
  venueStatus?: VenueStatus | undefined;
}

export type CardEstimate =
  /** No report yet, or the report has no totals to start from. */
  | { kind: 'none-yet' }
  /** The venue's data cannot support an estimate: the proxy's reason. */
  | { kind: 'unavailable'; reason: string }
  | {
      kind: 'estimate';
      /** `live`: the live totals and balances at the report's prices; `report`: the report's own figures. */
      source: 'live' | 'report';
      reference: string;
      assets: Dec;
      liabilities: Dec;
      moves: (LineMoves & { currency: string })[];
      market: LineMoves | null;
      /** The market's held and owed values (in the reference currency). */
      marketHeld: Dec;
      marketOwed: Dec;
      /** The live lines (empty before the first live figures). */
      bands: readonly Band[];
      /** The live level, which a move of 0 % gives and which says which lines are already reached. */
      level: Level | null;
      venue: VenueStatus | null;
      /** The report's balances × prices do not reconcile, or a live currency has no price in the report. */
      approximate: boolean;
    };

/** The report's price of each currency (lower-cased), where it has one. */
function reportPrices(report: RiskReport): Map<string, Dec> {
  const prices = new Map<string, Dec>();
  for (const m of report.moves) {
    const price = parseDecimal(m.price);
    if (price !== null) prices.set(m.currency.toLowerCase(), price);
  }
  for (const p of report.prices) {
    const price = p.price === null ? null : parseDecimal(p.price);
    if (price !== null && !prices.has(p.currency.toLowerCase())) prices.set(p.currency.toLowerCase(), price);
  }
  return prices;
}

/** The live balances valued at the report's prices; null when the live figures cannot be used. */
function liveValuation(
  report: RiskReport,
  reference: string,
  live: LiveFigures,
): { assets: Dec; liabilities: Dec; positions: ValuedPosition[]; missing: number } | null {
  const totals = live.totals;
  if (!totals || totals.assets === undefined || totals.liabilities === undefined || live.balances === null) {
    return null;
  }
  if (totals.currency.toLowerCase() !== reference.toLowerCase()) return null;
  const prices = reportPrices(report);
  const positions: ValuedPosition[] = [];
  let missing = 0;
  for (const row of live.balances) {
    const amounts = heldOwedOf(row);
    if (!amounts || (amounts.held.isZero() && amounts.owed.isZero())) continue;
    if (row.currency.toLowerCase() === reference.toLowerCase()) continue;
    const price = prices.get(row.currency.toLowerCase());
    if (price === undefined) {
      missing += 1;
      continue;
    }
    positions.push(valuePosition(row.currency, amounts, price));
  }
  // Nothing priced of what is held: the live figures say no more than the report does.
  if (positions.length === 0 && missing > 0) return null;
  return { assets: totals.assets, liabilities: totals.liabilities, positions, missing };
}

/**
 * The card's estimate: the report's prices applied to the live totals and balances (the report's own figures
 * when the live ones lack totals or balances), with the report's `unavailable` and `approximate` kept.
 */
export function cardEstimateOf(
  report: RiskReport | null | undefined,
  live: LiveFigures | null | undefined,
): CardEstimate {
  if (!report) return { kind: 'none-yet' };
  if (report.unavailable !== null) return { kind: 'unavailable', reason: report.unavailable };
  const reference = report.reference;
  const reportAssets = report.assets === null ? null : parseDecimal(report.assets);
  const reportLiabilities = report.liabilities === null ? null : parseDecimal(report.liabilities);
  if (reference === null || reportAssets === null || reportLiabilities === null) return { kind: 'none-yet' };
  const bands = live?.bands ?? [];
  const common = {
    kind: 'estimate' as const,
    reference,
    bands,
    level: live?.level ?? null,
    venue: live?.venueStatus ?? null,
  };
  const valued = live ? liveValuation(report, reference, live) : null;
  if (valued !== null) {
    const estimate = estimateMoves(valued.assets, valued.liabilities, valued.positions, bands);
    return {
      ...common,
      source: 'live',
      assets: valued.assets,
      liabilities: valued.liabilities,
      moves: estimate.moves,
      market: estimate.market,
      marketHeld: estimate.marketHeld,
      marketOwed: estimate.marketOwed,
      approximate: report.approximate !== null || valued.missing > 0,
    };
  }
  return {
    ...common,
    source: 'report',
    assets: reportAssets,
    liabilities: reportLiabilities,
    moves: report.moves.map((m) => ({ currency: m.currency, ...lineMovesOf(m) })),
    market: report.market ? lineMovesOf(report.market) : null,
    marketHeld: report.market ? (parseDecimal(report.market.heldValue) ?? ZERO) : ZERO,
    marketOwed: report.market ? (parseDecimal(report.market.owedValue) ?? ZERO) : ZERO,
    approximate: report.approximate !== null,
  };
}

const LINE_OF_ZONE: Partial<Record<ReturnType<typeof zoneOf>, Line>> = {
  caution: 'toMarginCall',
  liquidation: 'toLiquidation',
  takeover: 'toTakeover',
};

/**
 * The most severe line the live level is at or below (as the card's zone says it, before the venue's own word);
 * undefined when the live level cannot say (no level, no lines), null when it is above every line.
 */
export function lineReachedByLevel(level: Level | null, bands: readonly Band[]): Line | null | undefined {
  if (level === null) return undefined;
  if (level.kind === 'no-debt') return null;
  if (bands.length === 0) return undefined;
  return LINE_OF_ZONE[zoneOf(level, bands)] ?? null;
}

/**
 * The card's nearest danger from its estimate: the lines already reached as the live level says (so the phrase
 * never contradicts the card's zone), the next one from the moves.
 */
export function cardDangerWords(estimate: CardEstimate, exchangeName: string): DangerWords {
  if (estimate.kind === 'none-yet') return { kind: 'none-yet', text: 'No price estimate yet' };
  if (estimate.kind === 'unavailable') {
    return { kind: 'unavailable', text: `No price estimate for ${exchangeName}`, reason: estimate.reason };
  }
  return dangerWordsOf({
    moves: estimate.moves,
    market: estimate.market,
    below: lineReachedByLevel(estimate.level, estimate.bands),
  });
}
