// The what-if arithmetic of the overview: every account's level, zone and cushion if the whole market (every
// currency but the reference) moved by the same fraction, from its risk report and its live bands. Pure.
import type { RiskReport } from '../../contract/risk.ts';
import { Dec, ZERO, parseDecimal, writtenDecimals } from '../../domain/decimal.ts';
import type { Band, Level, LevelUnit, RiskZone } from '../../domain/model.ts';
import { levelAfterMove } from '../../domain/price-moves.ts';
import { cushionOf, zoneOf } from '../../domain/risk.ts';

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
      cushion: Dec | null;
      /** The report's balances × prices do not reconcile with the venue's totals. */
      approximate: boolean;
    }
  /** The venue's data cannot support an estimate; the proxy's reason. */
  | { kind: 'unavailable'; reason: string }
  /** No report yet, or no totals to start from. */
  | { kind: 'none-yet' };

/** What the account's live figures say about the level's unit, lines and precision. */
export interface LiveProfile {
  bands: readonly Band[];
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
 * (A + r·H) ÷ (L + r·O) with the venue's totals A, L and the market's held and owed values H, O, in the account's
 * unit (a percent unit is ×100); its zone and cushion against the live bands. Written with its digits cut, not
 * rounded up (as venues write levels), marked with the report's approximation.
 */
export function whatIfOf(report: RiskReport | null | undefined, profile: LiveProfile, move: Dec): WhatIf {
  if (!report) return { kind: 'none-yet' };
  if (report.unavailable !== null) return { kind: 'unavailable', reason: report.unavailable };
  const assets = report.assets === null ? null : parseDecimal(report.assets);
  const liabilities = report.liabilities === null ? null : parseDecimal(report.liabilities);
  if (assets === null || liabilities === null) return { kind: 'none-yet' };
  const held = report.market ? (parseDecimal(report.market.heldValue) ?? ZERO) : ZERO;
  const owed = report.market ? (parseDecimal(report.market.owedValue) ?? ZERO) : ZERO;
  const ratio = levelAfterMove(assets, liabilities, held, owed, move);
  let level: Level;
  if (ratio === null) {
    level = { kind: 'no-debt', text: 'no debt' };
  } else {
    const value = profile.unit?.kind === 'percent' ? ratio.times(100) : ratio;
    const text = value.toDecimalPlaces(decimalsOf(profile.levelText), Dec.ROUND_DOWN);
    level = { kind: 'value', value, text: text.toFixed(decimalsOf(profile.levelText)) };
  }
  return {
    kind: 'estimate',
    level,
    zone: zoneOf(level, profile.bands),
    cushion: cushionOf(level, profile.bands),
    approximate: report.approximate !== null,
  };
}
