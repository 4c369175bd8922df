import { Dec, parseDecimal, writtenDecimals } from './decimal.ts';
import type { Level, LevelUnit } from './model.ts';

export interface FormatOptions {
  /** Exactly this many decimal places (rounded half-even). Without it, all the digits the value has. */
  decimals?: number;
  /** BCP 47 locale for grouping and the decimal mark; the user's by default. */
  locale?: string;
  /** Prefix positive numbers with "+". */
  signed?: boolean;
}

const separators = new Map<string, { decimal: string; integer: Intl.NumberFormat }>();

function localeParts(locale: string | undefined): { decimal: string; integer: Intl.NumberFormat } {
  const key = locale ?? '';
  let parts = separators.get(key);
  if (!parts) {
    const decimal =
      new Intl.NumberFormat(locale).formatToParts(1.5).find((p) => p.type === 'decimal')?.value ?? '.';
    parts = {
      decimal,
      integer: new Intl.NumberFormat(locale, { useGrouping: true, maximumFractionDigits: 0 }),
    };
    separators.set(key, parts);
  }
  return parts;
}

/**
 * Formats a Decimal with locale grouping, exactly: the integer part is grouped through BigInt (no float),
 * the fraction is the Decimal's own digits. Never prints exponents ("1e-7") or float noise.
 */
export function formatDecimal(value: Dec, options: FormatOptions = {}): string {
  const fixed = options.decimals === undefined ? value.toFixed() : value.toFixed(options.decimals);
  const negative = fixed.startsWith('-');
  const unsigned = negative ? fixed.slice(1) : fixed;
  const [intPart = '0', fracPart] = unsigned.split('.');
  const { decimal, integer } = localeParts(options.locale);
  const isZero = /^[0.]*$/.test(unsigned);
  const sign = negative && !isZero ? '-' : options.signed && !isZero ? '+' : '';
  const grouped = integer.format(BigInt(intPart));
  return sign + grouped + (fracPart !== undefined && fracPart.length > 0 ? decimal + fracPart : '');
}

/** A fraction (0.56) as a percentage ("56.0%"). */
export function formatPercent(fraction: Dec, decimals = 1, locale?: string): string {
  return `${formatDecimal(fraction.times(100), { decimals, locale })}%`;
}

/** What follows a figure in a level's unit: " %" for percent levels, nothing for ratios and fractions. */
export function unitSign(unit: Pick<LevelUnit, 'kind'> | null | undefined): string {
  return unit?.kind === 'percent' ? ' %' : '';
}

/** A figure in a level's unit (a threshold), grouped, with the unit's sign: "100 %", "1.5". */
export function formatInUnit(
  value: Dec,
  unit: Pick<LevelUnit, 'kind'> | null | undefined,
  locale?: string,
): string {
  return formatDecimal(value, { locale }) + unitSign(unit);
}

/** A unit's name with its sign, for column headings and files: "Margin level (%)", "AD ratio". */
export function unitLabel(unit: LevelUnit): string {
  return unit.kind === 'percent' ? `${unit.name} (%)` : unit.name;
}

export interface LevelFormatOptions {
  locale?: string;
  /** The level's unit; a percent level gets " %". */
  unit?: Pick<LevelUnit, 'kind'> | null;
}

/** The headline level exactly as the exchange stated it, grouped for reading, with its unit's sign. */
export function formatLevel(level: Level, { locale, unit }: LevelFormatOptions = {}): string {
  if (level.kind === 'no-debt') return 'no debt';
  // The text, not the value: the value may be computed to more digits than the exchange printed (B2Prime
  // truncates equity / used margin), and rounding it would change the exchange's last digit.
  const text = parseDecimal(level.text);
  const digits =
    text === null
      ? formatDecimal(level.value, { locale })
      : formatDecimal(text, { decimals: writtenDecimals(level.text.trim()), locale });
  return digits + unitSign(unit);
}

/**
 * A level as plain text for messages, alerts and files: the exchange's text, ungrouped, with the unit's sign
 * ("496939.05 %", "1.52"); a level with nothing borrowed keeps its words ("no margin in use").
 */
export function levelText(level: Level, unit: Pick<LevelUnit, 'kind'> | null | undefined): string {
  return level.kind === 'no-debt' ? level.text : level.text + unitSign(unit);
}

/**
 * A duration in words, the one way every message and view writes one: "450 ms" under a second, then whole
 * seconds (rounded) in at most its two largest units, a zero second unit left out: "23 s", "2 min 5 s", "2 min",
 * "3 h 12 min", "2 d 4 h". A negative duration reads as "0 s".
 */
export function formatDuration(ms: number): string {
  if (!(ms > 0)) return '0 s';
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1000);
  const [major, majorUnit, minor, minorUnit] =
    seconds < 60
      ? [seconds, 's', 0, '']
      : seconds < 3600
        ? [Math.floor(seconds / 60), 'min', seconds % 60, 's']
        : seconds < 86_400
          ? [Math.floor(seconds / 3600), 'h', Math.floor(seconds / 60) % 60, 'min']
          : [Math.floor(seconds / 86_400), 'd', Math.floor(seconds / 3600) % 24, 'h'];
  return minor === 0 ? `${major} ${majorUnit}` : `${major} ${majorUnit} ${minor} ${minorUnit}`;
}

const MINUS = '\u2212';
const NBSP = '\u00a0';

export interface MoveFormatOptions {
  /** BCP 47 locale for grouping and the decimal mark; the user's by default. Not used with `plain`. */
  locale?: string;
  /**
   * Plain text for messages, alerts and files: no grouping, "." as the decimal mark and an ordinary space before
   * "%" (screens get a no-break space, so "%" never wraps away from its number).
   */
  plain?: boolean;
}

function moveText(sign: string, digits: Dec, options: MoveFormatOptions): string {
  const number = options.plain ? digits.toFixed() : formatDecimal(digits, { locale: options.locale });
  return `${sign}${number}${options.plain ? ' ' : NBSP}%`;
}

/**
 * A price move in words (a signed fraction of the price: −0.2345 is a fall of 23.45 %), the one way the cards, the
 * drill-down and the move-below alert messages write an estimated move, so an alert and a card never disagree.
 * Precision: whole percents from 10 % on ("−23 %"), at most two decimals below ("−5.67 %", "−5.6 %", "−5 %":
 * trailing zeros are dropped). Digits are cut toward zero, never rounded up, so a danger never looks further away
 * than estimated; a non-zero move under 0.01 % reads "−<0.01 %". Signed with a real minus "−" or "+"; zero is
 * "0 %".
 */
export function formatMoveFraction(fraction: Dec, options: MoveFormatOptions = {}): string {
  if (fraction.isZero()) return moveText('', fraction.abs(), options);
  const percent = fraction.times(100).abs();
  const cut = percent.toDecimalPlaces(percent.gte(10) ? 0 : 2, Dec.ROUND_DOWN);
  const sign = fraction.isNegative() ? MINUS : '+';
  if (cut.isZero()) return `${sign}<${moveText('', new Dec('0.01'), options)}`;
  return moveText(sign, cut, options);
}

/**
 * A move someone chose (the what-if control's), echoed exactly as chosen: a signed fraction written as a percentage
 * with up to two decimals, neither cut nor rounded to a coarser step ("−12.5 %", "+3 %", "−0.25 %"), signed like
 * `formatMoveFraction`. Only a move finer than 0.01 % is rounded (half-even) to two decimals. Not for estimated
 * moves: those are cut toward zero by `formatMoveFraction`.
 */
export function formatChosenMove(fraction: Dec, options: MoveFormatOptions = {}): string {
  const percent = fraction.times(100).toDecimalPlaces(2, Dec.ROUND_HALF_EVEN);
  if (percent.isZero()) return moveText('', percent.abs(), options);
  return moveText(percent.isNegative() ? MINUS : '+', percent.abs(), options);
}
