// Browser-safe contract every exchange folder implements in its index.ts. No IO, no secrets.
import type { AccountUpdate, ExchangeId, LevelUnit, ThresholdOverrides } from '../domain/model.ts';

export interface NormalizeContext {
  accountId: string;
  /** When the proxy received the message (ms epoch); used when the message carries no time of its own. */
  receivedAt: number;
  /** Config thresholds in the exchange's unit; they supply or override the exchange's bands. */
  thresholds?: ThresholdOverrides;
}

/** A readable, typed parse failure: which exchange, which message, which field, what was wrong. */
export interface WireError {
  exchange: ExchangeId;
  channel: string;
  /** Dotted path of the offending field ("data.totalDebtAmount"), or "(message)" for the whole message. */
  field: string;
  message: string;
}

export type ParseOutcome =
  | { kind: 'update'; update: AccountUpdate }
  /** A valid message that carries nothing for the margin view (keep-alives, other event types). */
  | { kind: 'ignored'; reason: string }
  | { kind: 'error'; error: WireError };

export interface ChannelInfo {
  /** Channel name used in stream envelopes, e.g. "account-info", "MarginData". */
  id: string;
  description: string;
  /**
   * How often a healthy account publishes on this channel, in ms; `poll` means the account's poll interval.
   * Figures are marked stale after 3× this.
   */
  cadence: number | 'poll';
}

export interface ExchangeModule {
  id: ExchangeId;
  /** Display name, e.g. "BitoPro". */
  name: string;
  /** The headline figure and its unit. */
  unit: LevelUnit;
  channels: readonly ChannelInfo[];
  /** Parses one relayed wire message (already JSON-decoded, or the raw text when it was not JSON). Never throws. */
  normalize(channel: string, payload: unknown, ctx: NormalizeContext): ParseOutcome;
  /** Read-only REST paths (relative to the exchange's REST base, no leading slash) the proxy may relay. */
  restPaths: readonly string[];
  /** Default poll interval for polled channels, seconds (respects the exchange's rate limits). */
  defaultPollSeconds?: number;
}

export function wireErrorText(error: WireError): string {
  return `${error.exchange} ${error.channel}: ${error.field}: ${error.message}`;
}
