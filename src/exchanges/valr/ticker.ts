// VALR's public ticker (proxy only): GET /v1/public/<PAIR>/marketsummary, no credentials. The price is the
// pair's mark price where it has one (present, not empty, above zero), else its last traded price.
import type { TickerOutcome, TickerSpec } from '../server-types.ts';
import { isUnlistedStatus, otherPair, tickerPrice, tickerSchemaError } from '../kit/ticker.ts';
import { Dec } from '../../domain/decimal.ts';
import { parseWire } from '../wire-kit.ts';
import { VALR_ID } from './normalize.ts';
import { errorResponse, marketSummaryResponse } from './wire.ts';

/** The public routes (/v1/public/*): 30 requests a minute. */
export const PUBLIC_PER_MINUTE = 30;

/** Reads one answer of GET /v1/public/<PAIR>/marketsummary. */
export function parseValrTicker(status: number, body: unknown, pair?: string): TickerOutcome {
  const refused = errorResponse.safeParse(body);
  if (refused.success) {
    const words = `${refused.data.message} (code ${String(refused.data.code)})`;
    if (isUnlistedStatus(status))
      return { ok: false, unlisted: true, error: `VALR does not list this pair: ${words}` };
    return { ok: false, error: `VALR refused the ticker (HTTP ${status}): ${words}` };
  }
  if (status < 200 || status >= 300) {
    return { ok: false, error: `VALR answered the ticker with HTTP ${status} and no error body` };
  }
  const parsed = parseWire(marketSummaryResponse, body, VALR_ID, 'ticker');
  if (!parsed.ok) return tickerSchemaError('VALR', status, parsed.error);
  const misrouted = otherPair('VALR', pair, parsed.data.currencyPair);
  if (misrouted) return misrouted;
  const { markPrice, lastTradedPrice } = parsed.data;
  if (markPrice !== undefined && markPrice !== '' && new Dec(markPrice).gt(0)) {
    return tickerPrice(markPrice, 'markPrice');
  }
  return tickerPrice(lastTradedPrice, 'lastTradedPrice');
}

export const valrTicker: TickerSpec = {
  // Pairs are written base and quote run together in capitals: BTCUSDC.
  pair: (currency, reference) => `${currency}${reference}`.toUpperCase(),
  path: (pair) => `v1/public/${encodeURIComponent(pair)}/marketsummary`,
  parse: parseValrTicker,
  perMinute: PUBLIC_PER_MINUTE,
};
