// Shared, browser-safe helpers for validating exchange messages at the edge.
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
