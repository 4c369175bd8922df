// BitoPro's public ticker (proxy only): GET /v3/tickers/<pair>, no credentials. The price is `data.lastPrice`,
// the pair's last traded price in its quote (reference) currency.
import type { TickerOutcome, TickerSpec } from '../server-types.ts';
import { isUnlistedStatus, otherPair, tickerPrice, tickerSchemaError } from '../kit/ticker.ts';
import { parseWire } from '../wire-kit.ts';
import { BITOPRO } from './normalize.ts';
import { errorBodySchema, tickerSchema } from './wire.ts';

/** The open (public) API: 600 requests a minute per IP address. */
export const PUBLIC_PER_MINUTE = 600;

/** Reads one answer of GET /v3/tickers/<pair>. */
export function parseBitoproTicker(status: number, body: unknown, pair?: string): TickerOutcome {
  const refused = errorBodySchema.safeParse(body);
  if (refused.success) {
    if (isUnlistedStatus(status)) {
      return { ok: false, unlisted: true, error: `BitoPro does not list this pair: ${refused.data.error}` };
    }
    return { ok: false, error: `BitoPro refused the ticker (HTTP ${status}): ${refused.data.error}` };
  }
  if (status < 200 || status >= 300) {
    return { ok: false, error: `BitoPro answered the ticker with HTTP ${status} and no error body` };
  }
  const parsed = parseWire(tickerSchema, body, BITOPRO, 'ticker');
  if (!parsed.ok) return tickerSchemaError('BitoPro', status, parsed.error);
  const misrouted = otherPair('BitoPro', pair, parsed.data.data.pair);
  if (misrouted) return misrouted;
  return tickerPrice(parsed.data.data.lastPrice, 'lastPrice');
}

export const bitoproTicker: TickerSpec = {
  // Pairs are written base_quote in lowercase: btc_usdt.
  pair: (currency, reference) => `${currency}_${reference}`.toLowerCase(),
  // Relative to the v3 REST base (endpoints.rest already ends in /v3).
  path: (pair) => `tickers/${encodeURIComponent(pair)}`,
  parse: parseBitoproTicker,
  perMinute: PUBLIC_PER_MINUTE,
};
