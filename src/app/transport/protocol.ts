// The proxy's server→browser stream frames and the /api/accounts response, validated at the edge.
import { z } from 'zod';
import { parseDecimal } from '../../domain/decimal.ts';
import type { ThresholdOverrides } from '../../domain/model.ts';
import { alertFrameSchema, type AlertFrame } from '../../contract/alerts.ts';
import { decimalString } from '../../exchanges/wire-kit.ts';

/** Upstream session states the proxy reports per account. */
export const STREAM_STATES = ['connecting', 'live', 'stale', 'reconnecting', 'auth_failed', 'error'] as const;
export type StreamState = (typeof STREAM_STATES)[number];

const statusFrame = z.object({
  type: z.literal('status'),
  accountId: z.string(),
  state: z.enum(STREAM_STATES),
  detail: z.string().nullish(),
  at: z.number(),
});

const messageFrame = z.object({
  type: z.literal('message'),
  accountId: z.string(),
  channel: z.string(),
  receivedAt: z.number(),
  payload: z.unknown(),
});

const pingFrame = z.object({ type: z.literal('ping'), at: z.number() });

const frameSchema = z.discriminatedUnion('type', [statusFrame, messageFrame, pingFrame, alertFrameSchema]);

export type StatusFrame = z.infer<typeof statusFrame>;
export type MessageFrame = z.infer<typeof messageFrame>;
export type PingFrame = z.infer<typeof pingFrame>;
export type StreamFrame = z.infer<typeof frameSchema>;
/** The frames the margin stores take (alerts go to the alert feed). */
export type MarginFrame = Exclude<StreamFrame, AlertFrame>;

/** Parses one text frame from /api/stream; null when it is not JSON or not a frame this client knows. */
export function parseStreamFrame(text: string): StreamFrame | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const result = frameSchema.safeParse(json);
  return result.success ? result.data : null;
}

const thresholdsSchema = z.object({
  marginCall: decimalString.optional(),
  liquidation: decimalString.optional(),
  takeover: decimalString.optional(),
});

const statusSchema = z.union([
  z.enum(STREAM_STATES).transform((state) => ({ state, detail: undefined, at: undefined })),
  z.object({ state: z.enum(STREAM_STATES), detail: z.string().nullish(), at: z.number().optional() }),
]);

const accountSchema = z.object({
  id: z.string(),
  exchange: z.string(),
  label: z.string(),
  thresholds: thresholdsSchema.optional(),
  status: statusSchema.optional().catch(undefined),
  pollSeconds: z.number().positive().optional(),
});

const accountsSchema = z.array(accountSchema);

/** The initial state of an account as /api/accounts reports it (later updates come on the stream). */
export interface AccountStatusInfo {
  state: StreamState;
  detail?: string;
  at?: number;
}

/** One configured account, as the proxy lists it (never a credential). */
export interface AccountInfo {
  id: string;
  exchange: string;
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

/** Validates the /api/accounts body; throws an Error that says what was wrong. */
export function parseAccounts(json: unknown): AccountInfo[] {
  const result = accountsSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.join('.') ?? '';
    throw new Error(
      `unexpected /api/accounts response${where ? ` at ${where}` : ''}: ${issue?.message ?? ''}`,
    );
  }
  return result.data.map((a) => {
    const info: AccountInfo = { id: a.id, exchange: a.exchange, label: a.label };
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
