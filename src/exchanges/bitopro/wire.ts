// BitoPro margin messages as they arrive on the wire (REST GET /margin/balances and the private
// WebSocket stream /ws/v1/pub/auth/margin/account-info). Browser-safe: schemas only.
import { z } from 'zod';
import { decimalString, describe, intNumber, objectOf, textString } from '../wire-kit.ts';

/** A JSON string that is not a decimal (labels, ids, currency codes). */
const text = textString('a string', { allowEmpty: true });

/** An object; anything else is reported as what it was ("nothing (field missing)", "an array" …). */
const object = objectOf;

/** The event name of the margin account stream's pushes. */
export const MARGIN_BALANCE_INFO = 'MARGIN_BALANCE_INFO';

/** One currency row of GET /margin/balances. `totalAmount` = available + traded. */
export const restCurrencyBalanceSchema = object({
  availableAmount: decimalString,
  tradedAmount: decimalString,
  borrowAmount: decimalString,
  borrowInterestAmount: decimalString,
  /** 0 = off, 1 = on, 2 = under maintenance. */
  borrowStatus: intNumber,
  /** 0 = off, 1 = on, 2 = under maintenance. */
  transferStatus: intNumber,
  totalAmount: decimalString,
});
export type RestCurrencyBalance = z.infer<typeof restCurrencyBalanceSchema>;

/** One currency row of the stream: only the borrowed amount and its interest. */
export const wsCurrencyBalanceSchema = object({
  borrowAmount: decimalString,
  borrowInterestAmount: decimalString,
});
export type WsCurrencyBalance = z.infer<typeof wsCurrencyBalanceSchema>;

/**
 * Fields both the REST answer and the stream's `data` carry. `adRatio` is validated as a decimal in
 * normalize, because what it reads when nothing is borrowed is not documented.
 */
const accountFields = {
  adRatio: text,
  adRatioLabel: text,
  accountID: text,
  accountStatus: intNumber,
  marginStatus: intNumber,
  calculateUnit: text,
  totalAssetAmount: decimalString,
  totalDebtAmount: decimalString,
};

/** GET /margin/balances response body. */
export const marginBalancesSchema = object({
  ...accountFields,
  balances: z.record(z.string(), restCurrencyBalanceSchema, {
    error: (issue) => `expected an object of currencies, got ${describe(issue.input)}`,
  }),
});
export type MarginBalances = z.infer<typeof marginBalancesSchema>;

/** `data` of a MARGIN_BALANCE_INFO push. */
export const marginAccountInfoDataSchema = object({
  ...accountFields,
  balances: z.record(z.string(), wsCurrencyBalanceSchema, {
    error: (issue) => `expected an object of currencies, got ${describe(issue.input)}`,
  }),
  /** "MARGIN_INIT" on the first push; other values are not documented. */
  action: text.optional(),
  timestamp: intNumber.optional(),
});
export type MarginAccountInfoData = z.infer<typeof marginAccountInfoDataSchema>;

/** Any stream frame: only the event name is looked at before deciding whether to parse further. */
export const streamEventSchema = object({ event: text });

/** A MARGIN_BALANCE_INFO push. */
export const marginAccountInfoSchema = object({
  event: z.literal(MARGIN_BALANCE_INFO),
  /** Unix time in ms. */
  timestamp: intNumber,
  /** ISO 8601 form of `timestamp`; not used. */
  datetime: text.optional(),
  data: marginAccountInfoDataSchema,
});
export type MarginAccountInfo = z.infer<typeof marginAccountInfoSchema>;

/** BitoPro's error body, e.g. {"error":"Invalid Signature"}. */
export const errorBodySchema = object({ error: z.string() });

/**
 * GET /v3/tickers/{pair} (public): one pair's ticker under `data`. Only `pair` and `lastPrice` (the last traded
 * price, in the quote currency) are read; high24hr, low24hr, volume24hr, priceChange24hr and isBuyer are dropped.
 */
export const tickerSchema = object({
  data: object({
    pair: text,
    lastPrice: decimalString,
  }),
});
export type Ticker = z.infer<typeof tickerSchema>;
