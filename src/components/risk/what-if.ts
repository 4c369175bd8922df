// The what-if arithmetic of the overview: every account's level, zone and cushion if the whole market (every
// currency but the reference) moved by the same fraction, from the card's estimate (live figures at the report's
// prices) and its live lines. Pure.
import { Dec, ZERO, parseDecimal, writtenDecimals } from '../../domain/decimal.ts';
import type { Level, LevelUnit, RiskZone } from '../../domain/model.ts';
import { levelAfterMove } from '../../domain/price-moves.ts';
import { cushionOf, zoneOf } from '../../domain/risk.ts';
import type { CardEstimate } from './live-estimate.ts';

/** The slider's range and step, in percent: falls of most of a price happen in crypto, so most of it is in reach. */
export const WHAT_IF_MIN = -90;
export const WHAT_IF_MAX = 90;
export const WHAT_IF_STEP = 1;
/** Typed moves may carry this many decimals of a percent. */
export const WHAT_IF_DECIMALS = 2;

export type MoveInput = { ok: true; percent: Dec } | { ok: false; problem: string };

const RANGE_WORDS = `between \u2212${-WHAT_IF_MIN} % and +${WHAT_IF_MAX} %`;

/**
 * A typed move in percent: an optional sign (+, - or −), digits, an optional decimal point or comma with up to
 * two decimals, an optional "%". Within the slider's range.
 */
export function parseMovePercent(text: string): MoveInput {
  const trimmed = text
    .trim()
    .replace(/\s*%$/, '')
    .replace(/^\u2212/, '-')
    .replace(/\s+/g, '');
  if (trimmed === '') return { ok: false, problem: 'Enter a move in percent, e.g. −10.' };
  if (/^[+-]$/.test(trimmed)) return { ok: false, problem: 'Type the number after the sign, e.g. −10.' };
  const normalized = trimmed.includes('.') ? trimmed : trimmed.replace(',', '.');
  const value = /^[+-]?\d+(\.\d*)?$|^[+-]?\.\d+$/.test(normalized) ? parseDecimal(normalized) : null;
  if (value === null) return { ok: false, problem: `“${text.trim()}” is not a number of percent.` };
  if (writtenDecimals(normalized) > WHAT_IF_DECIMALS) {
    return { ok: false, problem: `Use at most ${WHAT_IF_DECIMALS} decimals.` };
  }
  if (value.lt(WHAT_IF_MIN) || value.gt(WHAT_IF_MAX)) {
    return { ok: false, problem: `Enter a move ${RANGE_WORDS}.` };
  }
  return { ok: true, percent: value.isZero() ? ZERO : value };
}

/** The slider's position for a move: the nearest whole step (the typed value may carry decimals). */
export function sliderValue(percent: Dec): string {
  return percent.toDecimalPlaces(0, Dec.ROUND_HALF_UP).toFixed(0);
}

/** An account's figures under a move of the market. */
export type WhatIf =
  | {
      kind: 'estimate';
      level: Level;
      zone: RiskZone;
      /** Null when unknown; never negative: below the liquidation line `belowLiquidation` says so instead. */
      cushion: Dec | null;
      /** The level is below the liquidation line: no cushion is left. */
      belowLiquidation: boolean;
      /** The report's balances × prices do not reconcile with the venue's totals. */
      approximate: boolean;
    }
  /** The venue's data cannot support an estimate; the proxy's reason. */
  | { kind: 'unavailable'; reason: string }
  /** No report yet, or no totals to start from. */
  | { kind: 'none-yet' };

/** What the account's live figures say about the level's unit and precision. */
export interface LiveProfile {
  unit: Pick<LevelUnit, 'kind'> | null;
  /** The live level's text, for the number of decimals the estimate is written with. */
  levelText?: string | null | undefined;
}

/** Decimals an estimated level is written with: the live level's, at least two. */
function decimalsOf(text: string | null | undefined): number {
  return Math.max(2, text ? writtenDecimals(text.trim()) : 0);
}

/**
 * The level after every currency but the reference moves by `move` (a fraction, −0.1 = −10 %):
 * (A + r·H) ÷ (L + r·O) with the estimate's totals A, L and the market's held and owed values H, O, in the
 * account's unit (a percent unit is ×100); its zone (made worse by the venue's own word, as the live zone is) and
 * cushion against the live lines. Written with its digits cut, not rounded up (as venues write levels), marked
 * with the estimate's approximation. A move of 0 % is the live level itself.
 */
export function whatIfOf(estimate: CardEstimate, profile: LiveProfile, move: Dec): WhatIf {
  if (estimate.kind !== 'estimate') return estimate;
  let level: Level;
  if (move.isZero() && estimate.level !== null) {
    level = estimate.level;
  } else {
    const ratio = levelAfterMove(
      estimate.assets,
      estimate.liabilities,
      estimate.marketHeld,
      estimate.marketOwed,
      move,
    );
    if (ratio === null) {
      level = { kind: 'no-debt', text: 'no debt' };
    } else {
      const value = profile.unit?.kind === 'percent' ? ratio.times(100) : ratio;
      const decimals = decimalsOf(profile.levelText);
      level = {
        kind: 'value',
        value,
        text: value.toDecimalPlaces(decimals, Dec.ROUND_DOWN).toFixed(decimals),
      };
    }
  }
  const liquidation = estimate.bands.find((b) => b.kind === 'liquidation');
  const belowLiquidation =
    liquidation !== undefined && level.kind === 'value' && level.value.lt(liquidation.threshold);
  const cushion = cushionOf(level, estimate.bands);
  return {
    kind: 'estimate',
    level,
    zone: zoneOf(level, estimate.bands, estimate.venue),
    cushion: belowLiquidation || cushion === null ? null : Dec.max(ZERO, cushion),
    belowLiquidation,
    approximate: estimate.approximate,
  };
}
