// One account's price-move report (GET /api/accounts/:id/risk): the venue's totals and lines, each held or owed
// currency valued at its ticker price, the moves to each line per currency and for the whole market, how well
// balances × prices reconcile with the venue's totals, and the level's trend. Where the venue's level cannot be
// tied to prices, or the figures are missing, the report says why instead of printing a number.
import { Dec, ONE } from '../../domain/decimal.ts';
import type { MarginSnapshot } from '../../domain/model.ts';
import {
  estimateMoves,
  heldOwedOf,
  nearestDanger,
  reconcile,
  valuePosition,
  type LineMoves,
  type NearestDanger,
  type ValuedPosition,
} from '../../domain/price-moves.ts';
import type { Trend } from '../../domain/trend.ts';
import type { PriceDto, RiskReportDto } from '../../contract/risk.ts';
import type { PriceMoveMethod } from '../../exchanges/server-types.ts';
import type { PriceView } from './prices.ts';

/** Decimal places of a move or a gap in the report: a millionth of the price is far below any ticker's step. */
export const MOVE_DECIMALS = 6;

export interface ReportInput {
  accountId: string;
  exchangeName: string;
  snapshot: MarginSnapshot | undefined;
  method: PriceMoveMethod | undefined;
  /** The price of one unit of `currency` in `reference`; undefined when the exchange has no ticker. */
  priceOf: (currency: string, reference: string) => PriceView | undefined;
  trend: Trend | null;
  now: number;
}

/**
 * A move as text: cut towards zero at MOVE_DECIMALS places (a danger never reads further away than it is), and a
 * non-zero move never becomes "0" ("already there"): a smaller one keeps its first significant digits.
 */
export function moveText(move: Dec | null): string | null {
  if (move === null) return null;
  const cut = move.toDecimalPlaces(MOVE_DECIMALS, Dec.ROUND_DOWN);
  if (cut.isZero() && !move.isZero()) return move.toSignificantDigits(3, Dec.ROUND_DOWN).toString();
  return cut.toString();
}

function movesDto(moves: LineMoves): {
  toMarginCall: string | null;
  toLiquidation: string | null;
  toTakeover: string | null;
} {
  return {
    toMarginCall: moveText(moves.toMarginCall),
    toLiquidation: moveText(moves.toLiquidation),
    toTakeover: moveText(moves.toTakeover),
  };
}

function priceDto(view: PriceView): PriceDto {
  return {
    currency: view.currency,
    price: view.price === null ? null : view.price.toString(),
    source: view.source,
    at: view.at,
    stale: view.stale,
    problem: view.price === null ? (view.problem ?? 'no price yet') : null,
  };
}

function trendDto(trend: Trend | null): RiskReportDto['trend'] {
  if (!trend) return null;
  return {
    perHour: trend.perHour.toSignificantDigits(6).toString(),
    window: trend.window,
    toMarginCallMs: trend.toMarginCallMs,
    toLiquidationMs: trend.toLiquidationMs,
  };
}

/** The currencies an account holds or owes, valued where a price is known. */
export interface Valuation {
  reference: string;
  assets: Dec;
  liabilities: Dec;
  /** Non-reference currencies with a price. */
  positions: ValuedPosition[];
  /** The reference currency's own rows (price 1). */
  referenceRows: ValuedPosition[];
  prices: PriceView[];
  /** Held or owed currencies without a price. */
  missing: number;
}

/**
 * Values the snapshot's balances, or says why it cannot: a string is the reason (no figures yet, nothing
 * borrowed, no totals). Currencies with nothing held and nothing owed are left out.
 */
export function valuation(
  snapshot: MarginSnapshot | undefined,
  priceOf: ReportInput['priceOf'],
): Valuation | string {
  if (!snapshot || snapshot.level === null) return 'No margin figures from the exchange yet.';
  if (snapshot.level.kind === 'no-debt') return 'Nothing is borrowed, so no price move can reach a line.';
  const totals = snapshot.totals;
  if (!totals || totals.assets === undefined || totals.liabilities === undefined) {
    return 'The exchange has not sent its total assets and liabilities yet.';
  }
  if (totals.liabilities.lte(0)) return 'Nothing is owed, so no price move can reach a line.';
  const reference = totals.currency;
  const positions: ValuedPosition[] = [];
  const referenceRows: ValuedPosition[] = [];
  const prices: PriceView[] = [];
  let missing = 0;
  for (const row of snapshot.balances ?? []) {
    const amounts = heldOwedOf(row);
    if (!amounts || (amounts.held.isZero() && amounts.owed.isZero())) continue;
    if (row.currency.toLowerCase() === reference.toLowerCase()) {
      referenceRows.push(valuePosition(row.currency, amounts, ONE));
      continue;
    }
    const view = priceOf(row.currency, reference);
    if (view) prices.push(view);
    if (!view || view.price === null) {
      missing += 1;
      continue;
    }
    positions.push(valuePosition(row.currency, amounts, view.price));
  }
  return {
    reference,
    assets: totals.assets,
    liabilities: totals.liabilities,
    positions,
    referenceRows,
    prices,
    missing,
  };
}

/** The report for one account. */
export function buildRiskReport(input: ReportInput): RiskReportDto {
  const snapshot = input.snapshot;
  const base: RiskReportDto = {
    accountId: input.accountId,
    at: input.now,
    reference: snapshot?.totals?.currency ?? null,
    assets: snapshot?.totals?.assets?.toString() ?? null,
    liabilities: snapshot?.totals?.liabilities?.toString() ?? null,
    prices: [],
    moves: [],
    market: null,
    approximate: null,
    trend: trendDto(input.trend),
    unavailable: null,
  };
  const valued = valuation(snapshot, input.priceOf);
  if (input.method?.kind !== 'assets-over-liabilities') {
    const reason =
      input.method?.reason ??
      `Margin Watch has no way yet to tie ${input.exchangeName}'s margin level to prices.`;
    return {
      ...base,
      prices: typeof valued === 'string' ? [] : valued.prices.map(priceDto),
      unavailable: reason,
    };
  }
  if (typeof valued === 'string') return { ...base, unavailable: valued };
  if (valued.positions.length === 0 && valued.missing > 0) {
    return {
      ...base,
      prices: valued.prices.map(priceDto),
      unavailable: 'No prices for the currencies this account holds yet.',
    };
  }
  const bands = snapshot?.bands ?? [];
  const estimate = estimateMoves(valued.assets, valued.liabilities, valued.positions, bands);
  const check = reconcile(
    valued.assets,
    valued.liabilities,
    [...valued.positions, ...valued.referenceRows],
    valued.missing,
  );
  return {
    ...base,
    prices: valued.prices.map(priceDto),
    moves: estimate.moves.map((m, i) => {
      const p = valued.positions[i];
      if (!p) throw new Error('positions and moves out of step');
      return {
        currency: m.currency,
        price: p.price.toString(),
        held: p.held.toString(),
        owed: p.owed.toString(),
        heldValue: p.heldValue.toString(),
        owedValue: p.owedValue.toString(),
        ...movesDto(m),
      };
    }),
    market: estimate.market
      ? {
          ...movesDto(estimate.market),
          heldValue: estimate.marketHeld.toString(),
          owedValue: estimate.marketOwed.toString(),
        }
      : null,
    approximate: check.approximate
      ? {
          assetsGap: check.assetsGap.toDecimalPlaces(MOVE_DECIMALS, Dec.ROUND_DOWN).toString(),
          liabilitiesGap: check.liabilitiesGap.toDecimalPlaces(MOVE_DECIMALS, Dec.ROUND_DOWN).toString(),
        }
      : null,
  };
}

/** What the move-below alert rule needs: the nearest move to liquidation, or that none reaches it. */
export interface LiquidationEstimate {
  /** Null: the estimate exists, and no move of any currency nor of the market reaches liquidation. */
  danger: NearestDanger | null;
  approximate: boolean;
  /** A price the estimate rests on is stale. */
  stale: boolean;
}

/** The smallest move that reaches liquidation; null when there is no estimate at all (why: see the report). */
export function nearestLiquidation(input: Omit<ReportInput, 'trend' | 'now'>): LiquidationEstimate | null {
  if (input.method?.kind !== 'assets-over-liabilities') return null;
  const valued = valuation(input.snapshot, input.priceOf);
  if (typeof valued === 'string' || valued.positions.length === 0) return null;
  const estimate = estimateMoves(
    valued.assets,
    valued.liabilities,
    valued.positions,
    input.snapshot?.bands ?? [],
  );
  if (!input.snapshot?.bands.some((b) => b.kind === 'liquidation')) return null;
  const check = reconcile(
    valued.assets,
    valued.liabilities,
    [...valued.positions, ...valued.referenceRows],
    valued.missing,
  );
  return {
    danger: nearestDanger(estimate, ['toLiquidation']),
    approximate: check.approximate,
    stale: valued.prices.some((p) => p.stale),
  };
}
