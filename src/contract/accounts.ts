// GET /api/health, GET /api/accounts and GET /api/accounts/:id/raw, validated at the edge. The proxy types its
// answers with the input types; the browser parses with the schemas (parseAccounts turns thresholds into
// Decimals).
import { z } from 'zod';
import { parseDecimal } from '../domain/decimal.ts';
import type { LevelUnit, ThresholdOverrides } from '../domain/model.ts';
import { decimalText, levelUnitSchema } from './snapshot.ts';
import { STREAM_STATES, type StreamState } from './stream.ts';

export const healthSchema = z.object({
  status: z.string(),
  mode: z.enum(['demo', 'live']),
  accounts: z.number(),
});
/** GET /api/health. */
export type Health = z.infer<typeof healthSchema>;

const thresholdsSchema = z.object({
  marginCall: decimalText.optional(),
  liquidation: decimalText.optional(),
  takeover: decimalText.optional(),
});

/** An account's state: `{ state, detail?, at? }`, or the bare state. */
const statusSchema = z.union([
  z.enum(STREAM_STATES).transform((state) => ({ state, detail: undefined, at: undefined })),
  z.object({ state: z.enum(STREAM_STATES), detail: z.string().nullish(), at: z.number().optional() }),
]);

export const accountSchema = z.object({
  id: z.string(),
  exchange: z.string(),
  /** The exchange's display name ("BitoPro"), so the browser needs no exchange module. */
  exchangeName: z.string().optional(),
  /** The exchange's headline figure and its unit, shown before the first snapshot. */
  unit: levelUnitSchema.optional(),
  label: z.string(),
  /** Config thresholds in the exchange's unit, as decimal strings. */
  thresholds: thresholdsSchema.optional(),
  status: statusSchema.optional().catch(undefined),
  pollSeconds: z.number().positive().optional(),
});

export const accountsSchema = z.array(accountSchema);
/** One entry of GET /api/accounts, as the proxy sends it (never a credential). */
export type AccountDto = z.input<typeof accountSchema>;

/** The initial state of an account as /api/accounts reports it (later updates come on the stream). */
export interface AccountStatusInfo {
  state: StreamState;
  detail?: string;
  at?: number;
}

/** One configured account, as the browser holds it. */
export interface AccountInfo {
  id: string;
  exchange: string;
  /** The exchange's display name (the exchange id when the proxy did not say). */
  exchangeName: string;
  unit?: LevelUnit;
  label: string;
  thresholds?: ThresholdOverrides;
  pollSeconds?: number;
  status?: AccountStatusInfo;
}

function toOverrides(raw: z.infer<typeof thresholdsSchema>): ThresholdOverrides {
  const result: ThresholdOverrides = {};
  for (const key of ['marginCall', 'liquidation', 'takeover'] as const) {
    const text = raw[key];
    const value = text === undefined ? null : parseDecimal(text);
    if (value !== null) result[key] = value;
  }
  return result;
}

/** Where and why a body did not match its schema, in words. */
function schemaProblem(what: string, error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue?.path.join('.') ?? '';
  return `unexpected ${what} response${where ? ` at ${where}` : ''}: ${issue?.message ?? ''}`;
}

/** Validates the /api/accounts body; throws an Error that says what was wrong. */
export function parseAccounts(json: unknown): AccountInfo[] {
  const result = accountsSchema.safeParse(json);
  if (!result.success) throw new Error(schemaProblem('/api/accounts', result.error));
  return result.data.map((a) => {
    const info: AccountInfo = {
      id: a.id,
      exchange: a.exchange,
      exchangeName: a.exchangeName ?? a.exchange,
      label: a.label,
    };
    if (a.unit) info.unit = a.unit;
    if (a.thresholds) info.thresholds = toOverrides(a.thresholds);
    if (a.pollSeconds !== undefined) info.pollSeconds = a.pollSeconds;
    if (a.status) {
      info.status = { state: a.status.state };
      if (a.status.detail) info.status.detail = a.status.detail;
      if (a.status.at !== undefined) info.status.at = a.status.at;
    }
    return info;
  });
}

/** Validates the /api/health body; throws an Error that says what was wrong. */
export function parseHealth(json: unknown): Health {
  const result = healthSchema.safeParse(json);
  if (!result.success) throw new Error(schemaProblem('/api/health', result.error));
  return result.data;
}

/** What the reader made of a raw message. */
export const RAW_OUTCOMES = ['update', 'ignored', 'error'] as const;

/** GET /api/accounts/:id/raw: the latest message of each channel exactly as received, for support. */
export const rawMessagesSchema = z.object({
  accountId: z.string(),
  messages: z.array(
    z.object({
      channel: z.string(),
      receivedAt: z.number(),
      outcome: z.enum(RAW_OUTCOMES),
      /** The JSON-decoded message, or its text when it was not JSON; never parsed by the browser. */
      payload: z.unknown(),
    }),
  ),
});
export type RawMessagesDto = z.input<typeof rawMessagesSchema>;
export type RawMessages = z.infer<typeof rawMessagesSchema>;
export type RawMessage = RawMessages['messages'][number];

/** Validates the /raw body; throws an Error that says what was wrong. */
export function parseRawMessages(json: unknown): RawMessages {
  const result = rawMessagesSchema.safeParse(json);
  if (!result.success) throw new Error(schemaProblem('/api/accounts/:id/raw', result.error));
  return result.data;
}
