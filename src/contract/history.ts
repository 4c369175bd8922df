// GET /api/accounts/:id/history: one account's recorded margin history, bucketed. Decimals stay strings, as the
// proxy sent them. The proxy types its answer with the input type; the browser parses with the schema.
import { z } from 'zod';
import { LEVEL_UNIT_KINDS, ZONES } from '../domain/model.ts';
import { decimalText } from './snapshot.ts';

const levelSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('value'), text: decimalText }),
  z.object({ kind: z.literal('no-debt'), text: z.string() }),
]);
export type LevelDto = z.infer<typeof levelSchema>;

const bandSchema = z.object({
  kind: z.enum(['caution', 'liquidation', 'takeover']),
  threshold: decimalText,
  label: z.string(),
  source: z.enum(['exchange', 'config']),
});
export type BandDto = z.infer<typeof bandSchema>;

/** What a run of buckets shares: the level's unit, the risk bands and the currency of the totals. */
const profileSchema = z.object({
  unit: z.object({ name: z.string(), kind: z.enum(LEVEL_UNIT_KINDS) }).nullable(),
  bands: z.array(bandSchema),
  currency: z.string().nullable(),
});
export type ProfileDto = z.infer<typeof profileSchema>;

const zoneSchema = z.enum(ZONES);
const time = z.number().int().nonnegative();

const bucketSchema = z.object({
  start: time,
  end: time,
  firstAt: time,
  lastAt: time,
  count: z.number().int().positive(),
  min: levelSchema,
  max: levelSchema,
  last: levelSchema,
  zone: zoneSchema,
  worstZone: zoneSchema,
  cushion: decimalText.nullable(),
  /** Index into the response's `profiles`. */
  profile: z.number().int().nonnegative(),
  assets: decimalText.nullable(),
  liabilities: decimalText.nullable(),
  equity: decimalText.nullable(),
  /** The recorder saw a silence longer than `gapMs` before this bucket. */
  gapBefore: z.boolean(),
});
export type BucketDto = z.infer<typeof bucketSchema>;

export const historyResponseSchema = z
  .object({
    accountId: z.string(),
    from: time,
    to: time,
    bucketMs: z.number().int().positive(),
    source: z.string(),
    /** Silence (ms) after which the recorder marks an outage; the browser uses it for live samples too. */
    gapMs: z.number().int().positive(),
    profiles: z.array(profileSchema),
    buckets: z.array(bucketSchema),
  })
  .refine((h) => h.buckets.every((b) => b.profile < h.profiles.length), {
    message: 'a bucket refers to a profile that is not in the response',
    path: ['buckets'],
  });

/** The history body as the proxy builds it. */
export type HistoryResponseDto = z.input<typeof historyResponseSchema>;
/** The history of one account over one range, as the proxy sent it (plus live samples appended since). */
export type HistoryData = z.infer<typeof historyResponseSchema>;
