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
 * True when an HTTP status with the venue's own error body says the pair is not listed: 400 or 404. Other
 * refusals (401/403 from a firewall, 408, 429, server errors) are problems worth asking again about, not a
 * statement about the pair.
 */
export function isUnlistedStatus(status: number): boolean {
  return status === 400 || status === 404;
}

/**
 * An answer about another pair than the one asked for (a misrouted or cached answer) is refused: its price would
 * be stored as this pair's. Pairs compare without regard to case.
 */
export function otherPair(venue: string, asked: string | undefined, answered: string): TickerOutcome | null {
  if (asked === undefined || asked.toLowerCase() === answered.toLowerCase()) return null;
  return { ok: false, error: `${venue} answered with the ticker of ${answered} when asked for ${asked}` };
}
