// Bitso margin messages as they arrive on the wire: the body of GET /margin_trading/v1alpha/account
// (documented), the newer v2alpha account shape (seen only in third-party client code) and the margin
// error body. Browser-safe: schemas only. Unknown extra fields are accepted and dropped.
import { z } from 'zod';
import { arrayOf, decimalString, objectOf, textString } from '../wire-kit.ts';

/** A JSON string that is not a decimal (status, currency codes). Must not be empty. */
const text = textString('a string');

/**
 * The headline level as sent: anything at all here. With zero liabilities Bitso's value is ignored (what it
 * sends for assets / 0 is not documented); with debt normalize requires a decimal string.
 */
const levelText = z.unknown().optional();

const obj = objectOf;

/** Documented account statuses (v1alpha) and the extra ones the v2alpha shape uses. */
export const ACCOUNT_STATUSES = [
  'ACTIVE',
  'INACTIVE',
  'BLOCKED',
  'LIQUIDATING',
  'ONBOARDING',
  'ONBOARDED',
] as const;

/** One row of `balances` (v1alpha): the net position per currency; negative is a net liability. */
export const balanceV1Schema = obj({
  currency: text,
  net_amount: decimalString,
});
export type BalanceV1 = z.infer<typeof balanceV1Schema>;

/** GET /margin_trading/v1alpha/account response body (root-level object, no envelope). */
export const accountV1Schema = obj({
  /** ACTIVE, INACTIVE or BLOCKED (being liquidated). */
  status: text,
  margin_levels: obj({
    /** total assets / total liabilities. */
    current: levelText,
    /** New margin orders are allowed only while current is above this. */
    safe: decimalString,
    /** Below this the account is liquidated. */
    maintenance: decimalString,
  }),
  margin_figures: obj({
    /** Currency of the figures, lowercase as Bitso writes it ("usd"). */
    currency: text,
    total_assets: decimalString,
    total_liabilities: decimalString,
    /** The most that can be used to place orders while borrowing. */
    trading_power: decimalString,
  }),
  balances: arrayOf(balanceV1Schema, 'an array of balances'),
});
export type AccountV1 = z.infer<typeof accountV1Schema>;

/**
 * One row of `balances` (v2alpha). What `total_amount` means is UNCONFIRMED (only third-party code shows it);
 * it is read as the currency's total, beside `available_amount`.
 */
export const balanceV2Schema = obj({
  currency: text,
  total_amount: decimalString,
  unrealized_amount: decimalString.optional(),
  available_amount: decimalString.optional(),
});
export type BalanceV2 = z.infer<typeof balanceV2Schema>;

/**
 * GET /margin_trading/v2alpha/account (UNCONFIRMED: known only from a third-party client). Singular
 * `margin_level` / `margin_figure`, `_amount` suffixes, and extra levels and figures.
 */
export const accountV2Schema = obj({
  status: text,
  margin_level: obj({
    current: levelText,
    initial: decimalString.optional(),
    safe: decimalString,
    maintenance: decimalString,
    realized: decimalString.optional(),
    unrealized: decimalString.optional(),
  }),
  margin_figure: obj({
    currency: text,
    total_assets_amount: decimalString,
    gross_assets_amount: decimalString.optional(),
    total_liabilities_amount: decimalString,
    trading_power_amount: decimalString,
  }),
  balances: arrayOf(balanceV2Schema, 'an array of balances'),
});
export type AccountV2 = z.infer<typeof accountV2Schema>;

/**
 * Bitso's documented error envelope, e.g. an authentication failure (HTTP 401):
 * {"success": false, "error": {"code": "0201", "message": "Invalid Nonce or Invalid Credentials"}}.
 */
export const errorEnvelopeSchema = obj({
  success: z.literal(false),
  error: obj({ code: z.string(), message: z.string().optional() }),
});
export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;

/**
 * The other error body seen from the margin API (some HTTP 400s in third-party client code), e.g.
 * {"errors":[{"code":"not_eligible_user","message":"…"}]}. Read when the documented envelope is not there.
 */
export const marginErrorSchema = obj({
  errors: z
    .array(obj({ code: z.string(), message: z.string().optional() }))
    .min(1, { error: 'expected at least one error' }),
});
export type MarginError = z.infer<typeof marginErrorSchema>;

/**
 * GET /v3/ticker/?book=<major>_<minor> (public): Bitso's v3 success envelope around the book's ticker. Only
 * `book` and `last` (the last traded price, in the minor currency) are read; the other documented fields (high,
 * low, vwap, ask, bid, volume, change_24, rolling_average_change, created_at) are dropped.
 */
export const tickerSchema = obj({
  success: z.literal(true, { error: 'expected success true' }),
  payload: obj({
    book: text,
    last: decimalString,
  }),
});
export type Ticker = z.infer<typeof tickerSchema>;
