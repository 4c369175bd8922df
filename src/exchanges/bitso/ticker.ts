// Bitso's public ticker (proxy only): GET /v3/ticker/?book=<currency>_<reference>, no credentials. The price is
// `payload.last`, the last traded price of the book in its minor (reference) currency.
import type { TickerOutcome, TickerSpec } from '../server-types.ts';
import { isUnlistedStatus, otherPair, tickerPrice, tickerSchemaError } from '../kit/ticker.ts';
import { parseWire } from '../wire-kit.ts';
import { BITSO } from './normalize.ts';
import { errorEnvelopeSchema, tickerSchema } from './wire.ts';

/** Public requests: 60 a minute per IP address (one-minute windows; over it, locked out for a minute). */
export const PUBLIC_PER_MINUTE = 60;

/** Reads one answer of GET /v3/ticker/. */
export function parseBitsoTicker(status: number, body: unknown, pair?: string): TickerOutcome {
  const refused = errorEnvelopeSchema.safeParse(body);
  if (refused.success) {
    const { code, message } = refused.data.error;
    const words = message === undefined ? `code ${code}` : `${message} (code ${code})`;
    if (isUnlistedStatus(status)) {
      return { ok: false, unlisted: true, error: `Bitso does not list this book: ${words}` };
    }
    return { ok: false, error: `Bitso refused the ticker (HTTP ${status}): ${words}` };
  }
  if (status < 200 || status >= 300) {
    return { ok: false, error: `Bitso answered the ticker with HTTP ${status} and no error envelope` };
  }
  const parsed = parseWire(tickerSchema, body, BITSO, 'ticker');
  if (!parsed.ok) return tickerSchemaError('Bitso', status, parsed.error);
  const misrouted = otherPair('Bitso', pair, parsed.data.payload.book);
  if (misrouted) return misrouted;
  return tickerPrice(parsed.data.payload.last, 'last');
}

export const bitsoTicker: TickerSpec = {
  // Books are written major_minor in lowercase: btc_usd.
  pair: (currency, reference) => `${currency}_${reference}`.toLowerCase(),
  path: (pair) => `v3/ticker/?book=${encodeURIComponent(pair)}`,
  parse: parseBitsoTicker,
  perMinute: PUBLIC_PER_MINUTE,
};
