// The alert API (GET/PUT /api/alerts…, `{type:"alert"}` stream frames): the proxy types its answers with the
// input types (…Dto), the browser validates them at the edge with the schemas. Imports only the domain.
import { z } from 'zod';
import { ZONES } from '../domain/model.ts';
import { decimalText } from './snapshot.ts';

/** The alert rules, in the order the proxy evaluates and lists them. */
export const ALERT_RULE_IDS = [
  'zone-worse',
  'cushion-below',
  'fast-fall',
  'stale',
  'auth-failure',
  'move-below',
] as const;
export type AlertRuleId = (typeof ALERT_RULE_IDS)[number];

/** The largest time a Date can hold (ms from the epoch, ±8.64e15): beyond it toISOString throws. */
export const MAX_DATE_MS = 8_640_000_000_000_000;
/** A moment in ms since the epoch that a Date can represent: a whole number within the Date range. */
const epochMs = z.number().int().min(-MAX_DATE_MS).max(MAX_DATE_MS);

export const alertSchema = z.object({
  id: z.string(),
  accountId: z.string(),
  exchange: z.string(),
  rule: z.enum(ALERT_RULE_IDS),
  kind: z.enum(['fired', 'recovered']),
  level: z.string().nullable(),
  zone: z.enum(ZONES),
  cushion: decimalText.nullable(),
  message: z.string(),
  at: epochMs,
});
export type Alert = z.infer<typeof alertSchema>;

/** The stream frame carrying one new alert; add it to the stream's frame union. */
export const alertFrameSchema = z.object({ type: z.literal('alert'), alert: alertSchema });
export type AlertFrame = z.infer<typeof alertFrameSchema>;

export const alertPageSchema = z.object({
  alerts: z.array(alertSchema),
  nextBefore: z.number().nullable(),
  open: z.array(alertSchema).optional(),
});
export type AlertPage = z.infer<typeof alertPageSchema>;
/** GET /api/alerts, as the proxy builds it. */
export type AlertPageDto = z.input<typeof alertPageSchema>;

export const ruleSettingsSchema = z.object({
  zoneWorse: z.object({ enabled: z.boolean() }),
  cushionBelow: z.object({ enabled: z.boolean(), percent: decimalText }),
  fastFall: z.object({ enabled: z.boolean(), percent: decimalText, minutes: z.number() }),
  stale: z.object({ enabled: z.boolean(), seconds: z.number().nullable() }),
  authFailure: z.object({ enabled: z.boolean() }),
  moveBelow: z.object({ enabled: z.boolean(), percent: decimalText }),
  hysteresisPercent: decimalText,
  cooldownMinutes: z.number(),
});
export type RuleSettings = z.infer<typeof ruleSettingsSchema>;

export const rulesViewSchema = z.object({
  builtin: ruleSettingsSchema,
  defaults: ruleSettingsSchema,
  accounts: z.array(
    z.object({
      id: z.string(),
      exchange: z.string(),
      label: z.string(),
      settings: ruleSettingsSchema,
      overridden: z.boolean(),
      /**
       * Whether the exchange's margin level can be tied to prices, so the move-below rule can ever fire for this
       * account; absent when the proxy does not say.
       */
      priceMoves: z.boolean().optional(),
    }),
  ),
  config: z.unknown(),
  overrides: z.unknown(),
});
export type RulesView = z.infer<typeof rulesViewSchema>;
/** GET and PUT /api/alerts/rules, as the proxy builds it. */
export type RulesViewDto = z.input<typeof rulesViewSchema>;

/** The body formats a webhook can be sent in. */
export const WEBHOOK_FORMATS = ['generic', 'slack', 'telegram'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** What the UI sees of a webhook (GET /api/alerts/webhooks). */
export const webhookStatusSchema = z.object({
  /** Position in the config's `alerts.webhooks`. */
  index: z.number(),
  /** Scheme and host only, e.g. "https://hooks.slack.com". */
  target: z.string(),
  format: z.enum(WEBHOOK_FORMATS),
  /**
   * `idle`: nothing sent yet; `ok`: the last delivery arrived; `retrying`: a delivery is being retried;
   * `failing`: a delivery gave up (see `lastError`).
   */
  state: z.enum(['idle', 'ok', 'retrying', 'failing']),
  lastError: z.string().nullable(),
  lastAttemptAt: z.number().nullable(),
  lastSuccessAt: z.number().nullable(),
  delivered: z.number(),
  failed: z.number(),
  /** Alerts waiting to be sent. */
  queued: z.number(),
});
export type WebhookStatus = z.infer<typeof webhookStatusSchema>;
/** One entry of GET /api/alerts/webhooks, as the proxy builds it. */
export type WebhookStatusDto = z.input<typeof webhookStatusSchema>;

/** A change to the UI layer of the rules (PUT /api/alerts/rules); `null` drops a layer. */
export interface RulesPatch {
  defaults?: Partial<RuleSettings> | null;
  accounts?: Record<string, Partial<RuleSettings> | null>;
}

/** Rule names for people. */
export const RULE_WORDS: Record<AlertRuleId, { name: string; short: string }> = {
  'zone-worse': { name: 'Worse risk zone', short: 'Zone' },
  'cushion-below': { name: 'Low cushion', short: 'Cushion' },
  'fast-fall': { name: 'Fast fall', short: 'Fall' },
  stale: { name: 'Stale data', short: 'Stale' },
  'auth-failure': { name: 'Authentication failure', short: 'Auth' },
  'move-below': { name: 'Liquidation within a small move', short: 'Move' },
};
