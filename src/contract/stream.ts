// The frames of `WS /api/stream` (server → browser only) and the states they report. The proxy builds every
// frame with the builders below; the browser parses with parseStreamFrame, which turns a snapshot frame's exact
// decimal strings back into domain objects (Decimal values). One schema, both sides.
import { z } from 'zod';
import type { MarginSnapshot } from '../domain/model.ts';
import { alertFrameSchema, type AlertFrame } from './alerts.ts';
import { fromSnapshotDto, snapshotSchema, toSnapshotDto } from './snapshot.ts';

/** Upstream session states the proxy reports per account. */
export const STREAM_STATES = ['connecting', 'live', 'stale', 'reconnecting', 'auth_failed', 'error'] as const;
export type StreamState = (typeof STREAM_STATES)[number];

export const statusFrameSchema = z.object({
  type: z.literal('status'),
  accountId: z.string(),
  state: z.enum(STREAM_STATES),
  detail: z.string().nullish(),
  /** When the state was entered (ms epoch, proxy clock). */
  at: z.number(),
});

/** A message the proxy's reader rejected: which exchange, channel and field, and what was wrong. */
export const problemSchema = z.object({
  exchange: z.string(),
  channel: z.string(),
  /** Dotted path of the offending field, or "(message)" for the whole message. */
  field: z.string(),
  message: z.string(),
  /** When the rejected message was received (ms epoch, proxy clock). */
  at: z.number(),
  /** When a later message on the same channel was accepted again; null while the channel is still broken. */
  recoveredAt: z.number().nullable(),
});
export type Problem = z.infer<typeof problemSchema>;

/** A problem in words: `<exchange> <channel>: <field>: <message>`. */
export function problemText(problem: Pick<Problem, 'exchange' | 'channel' | 'field' | 'message'>): string {
  return `${problem.exchange} ${problem.channel}: ${problem.field}: ${problem.message}`;
}

/** The message whose figures are shown: its channel, when it came, and after how long they are stale. */
const lastGoodSchema = z.object({
  channel: z.string(),
  at: z.number(),
  /** Figures older than this (ms, 3× the channel's cadence for this account) are no longer live. */
  staleAfterMs: z.number().positive(),
});
export type LastGood = z.infer<typeof lastGoodSchema>;

/**
 * The proxy's reading of an account after one message: the account's snapshot (the last good one is kept when the
 * message was rejected), what the figures' freshness hangs on, and the latest rejection.
 */
export const snapshotFrameSchema = z.object({
  type: z.literal('snapshot'),
  accountId: z.string(),
  /** The channel of the message this frame reports. */
  channel: z.string(),
  /** When the proxy received that message (ms epoch). */
  receivedAt: z.number(),
  snapshot: snapshotSchema.nullable(),
  /** The newest accepted message that carried the headline level (or any update, until one does). */
  lastGood: lastGoodSchema.nullable(),
  /** When the level in `snapshot` was received (the history chart's live point); null before any level. */
  levelAt: z.number().nullable(),
  /** The latest rejected message, kept for a while after its channel recovered. */
  problem: problemSchema.optional(),
});

/** Application-level heartbeat with the proxy's clock, so a browser can tell a live socket from a dead one. */
export const pingFrameSchema = z.object({ type: z.literal('ping'), at: z.number() });

export const streamFrameSchema = z.discriminatedUnion('type', [
  statusFrameSchema,
  snapshotFrameSchema,
  pingFrameSchema,
  alertFrameSchema,
]);

/** A frame as it travels (what the proxy sends). */
export type StreamFrameDto = z.input<typeof streamFrameSchema>;
export type StatusFrameDto = z.input<typeof statusFrameSchema>;
export type SnapshotFrameDto = z.input<typeof snapshotFrameSchema>;
export type PingFrameDto = z.input<typeof pingFrameSchema>;
export type AlertFrameDto = z.input<typeof alertFrameSchema>;

// ---- proxy side: builders ----

export function statusFrame(
  accountId: string,
  state: StreamState,
  at: number,
  detail?: string,
): StatusFrameDto {
  return { type: 'status', accountId, state, at, ...(detail !== undefined ? { detail } : {}) };
}

export function pingFrame(at: number): PingFrameDto {
  return { type: 'ping', at };
}

export function alertFrame(alert: AlertFrameDto['alert']): AlertFrameDto {
  return { type: 'alert', alert };
}

/** What the proxy knows of an account after reading one of its messages. */
export interface SnapshotFrameInput {
  accountId: string;
  channel: string;
  receivedAt: number;
  snapshot: MarginSnapshot | null;
  lastGood: LastGood | null;
  levelAt: number | null;
  problem?: Problem | undefined;
}

export function snapshotFrame(input: SnapshotFrameInput): SnapshotFrameDto {
  return {
    type: 'snapshot',
    accountId: input.accountId,
    channel: input.channel,
    receivedAt: input.receivedAt,
    snapshot: input.snapshot ? toSnapshotDto(input.snapshot) : null,
    lastGood: input.lastGood,
    levelAt: input.levelAt,
    ...(input.problem ? { problem: input.problem } : {}),
  };
}

// ---- browser side: the parser ----

export type StatusFrame = z.infer<typeof statusFrameSchema>;
export type PingFrame = z.infer<typeof pingFrameSchema>;
/** A snapshot frame as the browser holds it: the snapshot with Decimal values. */
export interface SnapshotFrame extends Omit<z.infer<typeof snapshotFrameSchema>, 'snapshot'> {
  snapshot: MarginSnapshot | null;
}
export type StreamFrame = StatusFrame | SnapshotFrame | PingFrame | AlertFrame;
/** The frames the snapshot store takes (alerts go to the alert feed). */
export type MarginFrame = Exclude<StreamFrame, AlertFrame>;

/** Reads one decoded frame; null when it is not a frame this client knows. */
export function readStreamFrame(json: unknown): StreamFrame | null {
  const result = streamFrameSchema.safeParse(json);
  if (!result.success) return null;
  const frame = result.data;
  if (frame.type !== 'snapshot') return frame;
  return { ...frame, snapshot: frame.snapshot ? fromSnapshotDto(frame.snapshot) : null };
}

/** Parses one text frame from /api/stream; null when it is not JSON or not a frame this client knows. */
export function parseStreamFrame(text: string): StreamFrame | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  return readStreamFrame(json);
}

/**
 * The browser's own connection to the proxy: `connecting` (first attempt or a retry under way), `open`,
 * `waiting` (backing off before the next attempt), `stopped`.
 */
export const SOCKET_PHASES = ['connecting', 'open', 'waiting', 'stopped'] as const;
export type SocketPhase = (typeof SOCKET_PHASES)[number];
