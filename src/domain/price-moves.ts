// How far prices can move before an account reaches its lines, for venues whose headline level is total assets ÷
// total liabilities (Bitso's margin level, BitoPro's AD ratio). Pure functions, decimal.js throughout.
//
// With A the assets and L the liabilities the venue reports, and a currency whose holdings are worth H and whose
// debts (borrowed + interest) are worth O at today's price, a move r of that price (−0.2 = −20 %) makes
//   level(r) = (A + r·H) / (L + r·O)
// and the level meets a line T at r = (T·L − A) / (H − T·O). The same holds for "the market" (every currency but
// the reference moving together) with H and O summed over those currencies.
import { Dec, ONE, ZERO } from './decimal.ts';
import type { Band, BandKind, CurrencyBalance } from './model.ts';

/** A move of −100 %: a price cannot fall further. */
const FLOOR = ONE.neg();

/** What one currency holds and owes, in its own units. */
export interface HeldOwed {
  held: Dec;
  owed: Dec;
}

/**
 * What a balance row holds and owes. Rows with a borrowed figure (BitoPro) hold their total and owe the borrowed
 * amount plus interest; rows with only a net figure (Bitso), or only a total, hold it when positive and owe it
 * when negative. Null when the row says neither.
 */
export function heldOwedOf(row: CurrencyBalance): HeldOwed | null {
  if (row.borrowed !== undefined || row.interest !== undefined) {
    const held = row.total ?? (row.available ?? ZERO).plus(row.locked ?? ZERO);
    const owed = (row.borrowed ?? ZERO).plus(row.interest ?? ZERO);
    // A negative total is already net of the borrowing (VALR): the debt is counted once, as owed.
    return { held: Dec.max(ZERO, held), owed };
  }
  const signed = row.net ?? row.total;
  if (signed === undefined) return null;
  // A negative net (or total) is a debt in that currency, never negative holdings.
  return signed.isNegative() ? { held: ZERO, owed: signed.neg() } : { held: signed, owed: ZERO };
}

/** One currency valued at its price (in the reference currency). */
export interface ValuedPosition extends HeldOwed {
  currency: string;
  price: Dec;
  heldValue: Dec;
  owedValue: Dec;
}

export function valuePosition(currency: string, amounts: HeldOwed, price: Dec): ValuedPosition {
  return {
    currency,
    price,
    ...amounts,
    heldValue: amounts.held.times(price),
    owedValue: amounts.owed.times(price),
  };
}

/** The moves (fractions, −0.23 = −23 %) that bring the level to each line; null where that move cannot. */
export interface LineMoves {
  toMarginCall: Dec | null;
  toLiquidation: Dec | null;
  toTakeover: Dec | null;
}

/** The level after a move `r` of a price whose holdings are worth `held` and debts `owed`; null without debt. */
export function levelAfterMove(assets: Dec, liabilities: Dec, held: Dec, owed: Dec, r: Dec): Dec | null {
  const l = liabilities.plus(r.times(owed));
  if (l.lte(0)) return null;
  return Dec.max(ZERO, assets.plus(r.times(held))).div(l);
}

/**
 * The move of a price that brings assets ÷ liabilities to `line`. Zero when the level is already at or below the
 * line; null when no move can: the currency's holdings and debts balance at that level, or the price would have
 * to fall by more than 100 %.
 */
export function moveToLine(assets: Dec, liabilities: Dec, held: Dec, owed: Dec, line: Dec): Dec | null {
  if (liabilities.lte(0)) return null;
  if (assets.div(liabilities).lte(line)) return ZERO;
  const denominator = held.minus(line.times(owed));
  if (denominator.isZero()) return null;
  const r = line.times(liabilities).minus(assets).div(denominator);
  if (r.lt(FLOOR)) return null;
  // Figures that do not reconcile (a currency's debt worth more than all liabilities) can give a move past the
  // point where liabilities or assets would turn negative: no such move exists.
  if (liabilities.plus(r.times(owed)).lte(0) || assets.plus(r.times(held)).lt(0)) return null;
  return r;
}

const LINE_OF: Readonly<Record<keyof LineMoves, BandKind>> = {
  toMarginCall: 'caution',
  toLiquidation: 'liquidation',
  toTakeover: 'takeover',
};

/** Moves to each of the account's lines (null for a line the account does not have). */
export function movesToLines(
  assets: Dec,
  liabilities: Dec,
  held: Dec,
  owed: Dec,
  bands: readonly Band[],
): LineMoves {
  const out: LineMoves = { toMarginCall: null, toLiquidation: null, toTakeover: null };
  for (const key of Object.keys(LINE_OF) as (keyof LineMoves)[]) {
    const band = bands.find((b) => b.kind === LINE_OF[key]);
    out[key] = band ? moveToLine(assets, liabilities, held, owed, band.threshold) : null;
  }
  return out;
}

export interface MoveEstimate {
  /** Per currency (never the reference currency), in the order given. */
  moves: (LineMoves & { currency: string })[];
  /** Every non-reference currency moving together; null when there is none. */
  market: LineMoves | null;
  /** The summed holdings and debts of the market move. */
  marketHeld: Dec;
  marketOwed: Dec;
}

/** Moves per currency and for the whole market, from the venue's totals and the valued non-reference positions. */
export function estimateMoves(
  assets: Dec,
  liabilities: Dec,
  positions: readonly ValuedPosition[],
  bands: readonly Band[],
): MoveEstimate {
  let marketHeld = ZERO;
  let marketOwed = ZERO;
  const moves = positions.map((p) => {
    marketHeld = marketHeld.plus(p.heldValue);
    marketOwed = marketOwed.plus(p.owedValue);
    return { currency: p.currency, ...movesToLines(assets, liabilities, p.heldValue, p.owedValue, bands) };
  });
  const market =
    positions.length === 0 ? null : movesToLines(assets, liabilities, marketHeld, marketOwed, bands);
  return { moves, market, marketHeld, marketOwed };
}

/** How far a figure worked out from balances × prices is from the venue's, as a fraction of the venue's. */
export function gapOf(computed: Dec, reported: Dec): Dec {
  if (reported.isZero()) return computed.isZero() ? ZERO : computed.isNegative() ? FLOOR : ONE;
  return computed.minus(reported).div(reported);
}

/** Reconciliation tolerance: beyond a 2 % gap on assets or liabilities the estimate is approximate. */
export const RECONCILE_TOLERANCE = new Dec('0.02');

export interface Reconciliation {
  assetsGap: Dec;
  liabilitiesGap: Dec;
  /** True when either gap exceeds RECONCILE_TOLERANCE. */
  approximate: boolean;
}

/**
 * Compares balances × prices with the venue's totals. `valued` must include the reference currency (price 1);
 * `missing` counts currencies that could not be valued (they make the estimate approximate whatever the gaps).
 */
export function reconcile(
  assets: Dec,
  liabilities: Dec,
  valued: readonly ValuedPosition[],
  missing: number,
): Reconciliation {
  let held = ZERO;
  let owed = ZERO;
  for (const p of valued) {
    held = held.plus(p.heldValue);
    owed = owed.plus(p.owedValue);
  }
  const assetsGap = gapOf(held, assets);
  const liabilitiesGap = gapOf(owed, liabilities);
  const approximate =
    missing > 0 || assetsGap.abs().gt(RECONCILE_TOLERANCE) || liabilitiesGap.abs().gt(RECONCILE_TOLERANCE);
  return { assetsGap, liabilitiesGap, approximate };
}

/** Which line a move reaches first, for words like "BTC −23 % → margin call". */
export interface NearestDanger {
  /** A currency, or null for the whole market. */
  currency: string | null;
  line: keyof LineMoves;
  move: Dec;
}

/**
 * The smallest move (by size) that reaches a line, over every currency and the market, preferring the mildest
 * line when moves tie. `lines` limits which lines count (default all). Null when no move reaches any line.
 */
export function nearestDanger(
  estimate: Pick<MoveEstimate, 'moves' | 'market'>,
  lines: readonly (keyof LineMoves)[] = ['toMarginCall', 'toLiquidation', 'toTakeover'],
): NearestDanger | null {
  let best: NearestDanger | null = null;
  const candidates: [string | null, LineMoves][] = estimate.moves.map((m) => [m.currency, m]);
  if (estimate.market) candidates.push([null, estimate.market]);
  for (const [currency, moves] of candidates) {
    for (const line of lines) {
      const move = moves[line];
      if (move === null) continue;
      if (best === null || move.abs().lt(best.move.abs())) best = { currency, line, move };
    }
  }
  return best;
}
