// GET /api/accounts/:id/risk and GET /api/risk: price-move estimates and the level's trend. Every move is an exact
// decimal fraction as text ("-0.4" = −40 %), null when that move cannot reach the line. The proxy types its answer
// with the input type; the browser parses with the schema. Imports only the domain.
import { z } from 'zod';
import { decimalText } from './snapshot.ts';

const move = decimalText.nullable();

const lineMovesSchema = z.object({
  toMarginCall: move,
  toLiquidation: move,
  toTakeover: move,
});

export const priceSchema = z.object({
  currency: z.string(),
  /** One unit of `currency` in the reference currency; null when the venue lists no such pair (said, not guessed). */
  price: decimalText.nullable(),
  /** Where the price comes from, e.g. "Bitso ticker btc_usd (last)". */
  source: z.string(),
  /** When the proxy received it (ms epoch); null when never. */
  at: z.number().int().nullable(),
  /** Older than three polls: shown, but said to be stale. */
  stale: z.boolean(),
  /** Why there is no price (pair not listed, ticker refused), when there is none. */
  problem: z.string().nullable().optional(),
});
export type PriceDto = z.input<typeof priceSchema>;

export const currencyMovesSchema = lineMovesSchema.extend({
  currency: z.string(),
  price: decimalText,
  /** Holdings and debts (borrowed + interest), in the currency's own units and valued in the reference. */
  held: decimalText,
  owed: decimalText,
  heldValue: decimalText,
  owedValue: decimalText,
});

export const marketMovesSchema = lineMovesSchema.extend({
  heldValue: decimalText,
  owedValue: decimalText,
});

export const trendSchema = z.object({
  /** Change of the level per hour, in the level's unit (negative: falling). */
  perHour: decimalText,
  /** The window the pace was measured over, ms. */
  window: z.number().int().positive(),
  toMarginCallMs: z.number().int().nonnegative().nullable(),
  toLiquidationMs: z.number().int().nonnegative().nullable(),
});

export const riskReportSchema = z.object({
  accountId: z.string(),
  /** When the estimate was made (ms epoch, proxy clock). */
  at: z.number().int(),
  /** The currency prices and totals are in (the venue's), or null before the first figures. */
  reference: z.string().nullable(),
  /** The venue's totals the estimate starts from. */
  assets: decimalText.nullable(),
  liabilities: decimalText.nullable(),
  prices: z.array(priceSchema),
  moves: z.array(currencyMovesSchema),
  market: marketMovesSchema.nullable(),
  /** Balances × prices differ from the venue's totals by more than 2 % (or a price is missing): the gaps. */
  approximate: z.object({ assetsGap: decimalText, liabilitiesGap: decimalText }).nullable(),
  trend: trendSchema.nullable(),
  /** Why no price move can be estimated for this account, in words; null when it can. */
  unavailable: z.string().nullable(),
});

/** One account's estimate as the proxy builds it. */
export type RiskReportDto = z.input<typeof riskReportSchema>;
/** One account's estimate as the browser holds it (decimals still text; the domain parses them where needed). */
export type RiskReport = z.infer<typeof riskReportSchema>;
export type CurrencyMovesDto = z.infer<typeof currencyMovesSchema>;
export type MarketMovesDto = z.infer<typeof marketMovesSchema>;
export type TrendDto = z.infer<typeof trendSchema>;

/** GET /api/risk: every account's estimate. */
export const riskOverviewSchema = z.object({ accounts: z.array(riskReportSchema) });
export type RiskOverviewDto = z.input<typeof riskOverviewSchema>;
export type RiskOverview = z.infer<typeof riskOverviewSchema>;
