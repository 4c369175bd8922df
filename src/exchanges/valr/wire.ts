// VALR wire messages, validated at the edge. Browser-safe: no IO, no node modules.
import { z } from 'zod';
import { arrayOf, decimalString, describe, objectOf, textString } from '../wire-kit.ts';

/**
 * A JSON number that must be finite. VALR sends exactly one number among the margin figures,
 * `leverageMultiple`; every other figure is a decimal string.
 */
export const finiteNumber = z.number({
  error: (issue) =>
    typeof issue.input === 'number'
      ? `expected a finite number, got ${describe(issue.input)}`
      : `expected a number, got ${describe(issue.input)}`,
});

/** Any message on the account WebSocket: only `type` is needed to decide what it is. */
export const accountEnvelope = z.object({
  type: textString('the message type as a string', { allowEmpty: true }),
});
export type AccountEnvelope = z.infer<typeof accountEnvelope>;

/** `data` of a MARGIN_INFO push (docs: "Account margin information update (Beta)"). */
export const marginInfoData = z.object({
  marginFraction: decimalString,
  collateralizedMarginFraction: decimalString,
  initialMarginFraction: decimalString,
  totalLeveragedExposureInReference: decimalString,
  collateralizedBalancesInReference: decimalString,
  referenceCurrency: textString('a currency code'),
  initialRequiredInReference: decimalString,
  availableInReference: decimalString,
  maintenanceMarginFraction: decimalString,
  autoCloseMarginFraction: decimalString,
  leverageMultiple: finiteNumber,
  totalPositionsAtEntryInReference: decimalString,
  totalUnrealisedFuturesPnlInReference: decimalString,
  totalBorrowedInReference: decimalString,
  tradeReservedInReference: decimalString,
});
export type MarginInfoData = z.infer<typeof marginInfoData>;

/** `{"type":"MARGIN_INFO","data":{…}}`, pushed every 5 s after `SUBSCRIBE` and once at subscription. */
export const marginInfoMessage = z.object({
  type: z.literal('MARGIN_INFO'),
  data: marginInfoData,
});
export type MarginInfoMessage = z.infer<typeof marginInfoMessage>;

/** One row of `GET /v1/account/balances`. The lending/borrowing fields are absent on some accounts. */
export const balanceRow = z.object({
  currency: textString('a currency code'),
  available: decimalString,
  reserved: decimalString,
  /** Can be negative when the currency is borrowed. */
  total: decimalString,
  updatedAt: textString('a timestamp string', { allowEmpty: true }),
  lendReserved: decimalString.optional(),
  borrowReserved: decimalString.optional(),
  borrowedAmount: decimalString.optional(),
});
export type BalanceRow = z.infer<typeof balanceRow>;

/** The whole `GET /v1/account/balances` response. */
export const balancesResponse = arrayOf(balanceRow, 'an array of balances');
export type BalancesResponse = z.infer<typeof balancesResponse>;

/** A JSON boolean, with a message that says what was found instead. */
const flag = z.boolean({ error: (issue) => `expected true or false, got ${describe(issue.input)}` });

/**
 * `GET /v1/margin/account/status`: `{marginEnabled, inLiquidation, futuresEnabled}`. Only `inLiquidation` is
 * needed; the other flags are shown when present, and extra fields are accepted and dropped.
 */
export const accountStatusResponse = objectOf({
  inLiquidation: flag,
  marginEnabled: flag.optional(),
  futuresEnabled: flag.optional(),
});
export type AccountStatusResponse = z.infer<typeof accountStatusResponse>;

/** A price that may be sent empty (VALR's `markPrice` on pairs without one). */
const optionalPrice = z.union([z.literal(''), decimalString]).optional();

/**
 * `GET /v1/public/{currencyPair}/marketsummary` (public). Only the pair, `lastTradedPrice` and `markPrice` (on
 * pairs that have one; absent or empty elsewhere) are read; bid, ask, volumes, high, low and the change are
 * dropped.
 */
export const marketSummaryResponse = objectOf({
  currencyPair: textString('a currency pair'),
  lastTradedPrice: decimalString,
  markPrice: optionalPrice,
});
export type MarketSummaryResponse = z.infer<typeof marketSummaryResponse>;

/** VALR's error body: `{"code": <negative integer>, "message": "…"}`. */
export const errorResponse = objectOf({
  code: finiteNumber,
  message: z.string(),
});
export type ErrorResponse = z.infer<typeof errorResponse>;
