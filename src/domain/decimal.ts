import Decimal from 'decimal.js';

/**
 * The one Decimal constructor used for money and ratios. Construction from a string is always exact;
 * arithmetic keeps 64 significant digits, so 30-digit amounts and their ratios are never rounded, and
 * toString() never switches to exponent notation.
 */
export const Dec = Decimal.clone({
  precision: 64,
  rounding: Decimal.ROUND_HALF_EVEN,
  toExpNeg: -9e15,
  toExpPos: 9e15,
});
export type Dec = InstanceType<typeof Dec>;

const DECIMAL_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** True when `text` is a plain decimal number: optional sign, digits, optional fraction. No exponent, no grouping. */
export function isDecimalText(text: string): boolean {
  return DECIMAL_TEXT.test(text);
}

/** Parses a plain decimal string exactly, or returns null (never NaN, never Infinity). */
export function parseDecimal(text: string): Dec | null {
  const trimmed = text.trim();
  if (!isDecimalText(trimmed)) return null;
  return new Dec(trimmed);
}

/** Like parseDecimal but throws; for literals in code and tests. */
export function dec(text: string): Dec {
  const value = parseDecimal(text);
  if (value === null) throw new Error(`not a decimal: ${JSON.stringify(text)}`);
  return value;
}

/** Number of decimal places as written on the wire ("9.99990000" → 8). */
export function writtenDecimals(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/**
 * A decimal text with its point moved `places` to the right, keeping the digits written: "4969.3905" →
 * "496939.05", "1.5" → "150", "0.5" → "50" (places 2). A text that is not a plain decimal is returned unchanged.
 */
export function movePoint(text: string, places: number): string {
  const value = parseDecimal(text);
  if (value === null) return text;
  const decimals = writtenDecimals(text.trim());
  return value.times(new Dec(10).pow(places)).toFixed(Math.max(decimals - places, 0));
}

export const ZERO = new Dec(0);
export const ONE = new Dec(1);

/** The only place a Decimal becomes a JS number: chart coordinates. */
export function toChartNumber(value: Dec): number {
  return value.toNumber();
}
