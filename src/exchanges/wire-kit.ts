// Shared helpers for validating exchange messages at the edge (the proxy's reader).
import { z } from 'zod';
import { Dec, isDecimalText, writtenDecimals } from '../domain/decimal.ts';
import type { ExchangeId } from '../domain/model.ts';
import type { ParseOutcome, WireError } from './types.ts';

/**
 * A decimal carried as a JSON string ("12.50"). Rejects numbers, empty strings, "NaN", exponents and
 * thousands separators with a message that says what was found.
 */
export const decimalString = z
  .string({
    error: (issue) => `expected a decimal string, got ${describe(issue.input)}`,
  })
  .refine((s) => isDecimalText(s), {
    error: (issue) => `expected a decimal string, got ${describe(issue.input)}`,
  });

/** An integer carried as a JSON number (status codes, ms timestamps). */
export const intNumber = z
  .number({ error: (issue) => `expected a number, got ${describe(issue.input)}` })
  .int();

/**
 * A string field that is not a decimal (codes, ids, labels, times). `what` names it in messages
 * ("expected a currency code, got the number 1"); an empty string is refused unless `allowEmpty`.
 */
export function textString(what = 'a string', options: { allowEmpty?: boolean } = {}): z.ZodString {
  const base = z.string({ error: (issue) => `expected ${what}, got ${describe(issue.input)}` });
  return options.allowEmpty ? base : base.min(1, { error: `expected ${what}, got an empty string` });
}

/** An object schema whose type error says what was found instead ("expected an object, got null"). */
export function objectOf<T extends z.ZodRawShape>(shape: T, what = 'an object') {
  return z.object(shape, { error: (issue) => `expected ${what}, got ${describe(issue.input)}` });
}

/** An array schema whose type error says what was found instead ("expected an array of balances, got object"). */
export function arrayOf<T extends z.ZodType>(item: T, what = 'an array') {
  return z.array(item, { error: (issue) => `expected ${what}, got ${describe(issue.input)}` });
}

/**
 * True when `a` and `b` differ by at most one unit in the `decimals`-th place: how far a figure the exchange
 * rounded or truncated to `decimals` places may be from the exact value it stands for.
 */
export function withinLastDigit(a: Dec, b: Dec, decimals: number): boolean {
  return a.minus(b).abs().lte(new Dec(10).pow(-decimals));
}

/** Words for what a value is, for error messages ("the number 12.5", "nothing (field missing)"). */
export function describe(input: unknown): string {
  if (input === undefined) return 'nothing (field missing)';
  if (input === null) return 'null';
  if (typeof input === 'string')
    return `the string ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`;
  if (typeof input === 'number') return `the number ${String(input)}`;
  if (Array.isArray(input)) return 'an array';
  return typeof input;
}

/** Exact Decimal plus the number of decimals written, from a validated decimal string. */
export function decimalOf(text: string): { value: Dec; decimals: number } {
  return { value: new Dec(text), decimals: writtenDecimals(text) };
}

export function toDec(text: string): Dec {
  return new Dec(text);
}

function pathText(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(message)';
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}

/** Validates `payload` against `schema`; on failure a WireError naming the exchange, channel and field. */
export function parseWire<T>(
  schema: z.ZodType<T>,
  payload: unknown,
  exchange: ExchangeId,
  channel: string,
): { ok: true; data: T } | { ok: false; error: WireError } {
  if (typeof payload === 'string') {
    return {
      ok: false,
      error: { exchange, channel, field: '(message)', message: 'not valid JSON (malformed frame)' },
    };
  }
  const result = schema.safeParse(payload);
  if (result.success) return { ok: true, data: result.data };
  const issue = result.error.issues[0];
  return {
    ok: false,
    error: {
      exchange,
      channel,
      field: issue ? pathText(issue.path) : '(message)',
      message: issue ? issue.message : 'invalid message',
    },
  };
}

export function wireFailure(
  exchange: ExchangeId,
  channel: string,
  field: string,
  message: string,
): ParseOutcome {
  return { kind: 'error', error: { exchange, channel, field, message } };
}

/** Runs a normalizer and turns any unexpected exception into a WireError, so nothing escapes to the caller. */
export function guard(exchange: ExchangeId, channel: string, run: () => ParseOutcome): ParseOutcome {
  try {
    return run();
  } catch (err) {
    let reason = 'an unexpected value';
    try {
      reason = err instanceof Error ? err.message : String(err);
    } catch {
      // a thrown value with no text form keeps the generic reason
    }
    return wireFailure(exchange, channel, '(message)', `could not be read: ${reason}`);
  }
}
