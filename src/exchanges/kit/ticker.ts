// Shared pieces of the venues' public tickers (proxy only): how a validated price text becomes a ticker outcome,
// and how an answer the schema refused is described.
import { Dec } from '../../domain/decimal.ts';
import type { TickerOutcome } from '../server-types.ts';

/**
 * A price read from `field` (already validated as a decimal string): usable only when above zero, since a
 * price of nothing values every holding at nothing.
 */
export function tickerPrice(text: string, field: string): TickerOutcome {
  const price = new Dec(text);
  if (!price.gt(0)) return { ok: false, error: `${field} is ${text}, not a usable price` };
  return { ok: true, price, field };
}

/** A ticker answer that did not match its schema: what was wrong, and where, with the HTTP status when not 200. */
export function tickerSchemaError(
  venue: string,
  status: number,
  problem: { field: string; message: string },
): TickerOutcome {
  const where = problem.field === '(message)' ? 'the answer' : problem.field;
  const http = status === 200 ? '' : ` (HTTP ${status})`;
  return { ok: false, error: `${venue} ticker${http}: ${where}: ${problem.message}` };
}

/**
 * True when an HTTP status with the venue's own error body says the pair is not listed: a client error other
 * than a rate limit or a timeout. Server errors and refusals of too many requests are worth asking again.
 */
export function isUnlistedStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}
