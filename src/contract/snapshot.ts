// The proxy's reading of an account, as it crosses to the browser: the domain MarginSnapshot with every amount an
// exact decimal string. The proxy builds it (toSnapshotDto); the browser parses it back into domain objects with
// Decimal values (fromSnapshotDto). Imports only the domain.
import { z } from 'zod';
import { isDecimalText, parseDecimal, type Dec } from '../domain/decimal.ts';
import {
  LEVEL_UNIT_KINDS,
  ZONES,
  type Band,
  type CurrencyBalance,
  type Detail,
  type Level,
  type MarginSnapshot,
  type Totals,
} from '../domain/model.ts';

/** An exact decimal, as text ("1.50", "-0.0001"); never a JS number. */
export const decimalText = z.string().refine(isDecimalText, { message: 'expected a decimal string' });

const levelSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('value'), value: decimalText, text: z.string() }),
  z.object({ kind: z.literal('no-debt'), text: z.string() }),
]);

export const levelUnitSchema = z.object({ name: z.string(), kind: z.enum(LEVEL_UNIT_KINDS) });

const bandSchema = z.object({
  kind: z.enum(['caution', 'liquidation', 'takeover']),
  threshold: decimalText,
  label: z.string(),
  source: z.enum(['exchange', 'config']),
});

const totalsSchema = z.object({
  currency: z.string(),
  assets: decimalText.optional(),
  liabilities: decimalText.optional(),
  equity: decimalText.optional(),
  decimals: z.number().int().min(0),
});

const BALANCE_FIELDS = ['total', 'available', 'locked', 'borrowed', 'interest', 'net'] as const;

const balanceSchema = z.object({
  currency: z.string(),
  total: decimalText.optional(),
  available: decimalText.optional(),
  locked: decimalText.optional(),
  borrowed: decimalText.optional(),
  interest: decimalText.optional(),
  net: decimalText.optional(),
  decimals: z.number().int().min(0),
});

/** An exchange-specific figure, labelled: the browser renders it without knowing the exchange. */
const detailSchema = z.object({
  key: z.string(),
  label: z.string(),
  value: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('decimal'),
      value: decimalText,
      decimals: z.number().int().min(0),
      currency: z.string().optional(),
    }),
    z.object({ kind: z.literal('text'), value: z.string() }),
  ]),
});

export const snapshotSchema = z.object({
  accountId: z.string(),
  exchange: z.string(),
  /** Time of the newest message merged in (ms epoch, proxy clock). */
  time: z.number(),
  level: levelSchema.nullable(),
  unit: levelUnitSchema.nullable(),
  /** Each band says where it comes from: the exchange's message or the account's config. */
  bands: z.array(bandSchema),
  zone: z.enum(ZONES),
  venueStatus: z.object({ kind: z.literal('liquidating'), text: z.string() }).optional(),
  cushion: decimalText.nullable(),
  totals: totalsSchema.nullable(),
  balances: z.array(balanceSchema).nullable(),
  details: z.array(detailSchema),
  warnings: z.array(z.string()),
  channelWarnings: z.record(z.string(), z.array(z.string())).optional(),
});

/** The snapshot as it travels (JSON). */
export type SnapshotDto = z.input<typeof snapshotSchema>;

const text = (value: Dec): string => value.toFixed();

function levelDto(level: Level): z.input<typeof levelSchema> {
  return level.kind === 'value'
    ? { kind: 'value', value: text(level.value), text: level.text }
    : { kind: 'no-debt', text: level.text };
}

function totalsDto(totals: Totals): z.input<typeof totalsSchema> {
  const dto: z.input<typeof totalsSchema> = { currency: totals.currency, decimals: totals.decimals };
  if (totals.assets) dto.assets = text(totals.assets);
  if (totals.liabilities) dto.liabilities = text(totals.liabilities);
  if (totals.equity) dto.equity = text(totals.equity);
  return dto;
}

function balanceDto(balance: CurrencyBalance): z.input<typeof balanceSchema> {
  const dto: z.input<typeof balanceSchema> = { currency: balance.currency, decimals: balance.decimals };
  for (const field of BALANCE_FIELDS) {
    const value = balance[field];
    if (value) dto[field] = text(value);
  }
  return dto;
}

function detailDto(detail: Detail): z.input<typeof detailSchema> {
  const v = detail.value;
  return {
    key: detail.key,
    label: detail.label,
    value:
      v.kind === 'text'
        ? { kind: 'text', value: v.value }
        : {
            kind: 'decimal',
            value: text(v.value),
            decimals: v.decimals,
            ...(v.currency !== undefined ? { currency: v.currency } : {}),
          },
  };
}

/** Proxy side: the domain snapshot as it goes on the wire (every amount an exact decimal string). */
export function toSnapshotDto(snapshot: MarginSnapshot): SnapshotDto {
  const dto: SnapshotDto = {
    accountId: snapshot.accountId,
    exchange: snapshot.exchange,
    time: snapshot.time,
    level: snapshot.level ? levelDto(snapshot.level) : null,
    unit: snapshot.unit ? { name: snapshot.unit.name, kind: snapshot.unit.kind } : null,
    bands: snapshot.bands.map((b) => ({
      kind: b.kind,
      threshold: text(b.threshold),
      label: b.label,
      source: b.source,
    })),
    zone: snapshot.zone,
    cushion: snapshot.cushion ? text(snapshot.cushion) : null,
    totals: snapshot.totals ? totalsDto(snapshot.totals) : null,
    balances: snapshot.balances ? snapshot.balances.map(balanceDto) : null,
    details: snapshot.details.map(detailDto),
    warnings: [...snapshot.warnings],
  };
  if (snapshot.venueStatus)
    dto.venueStatus = { kind: snapshot.venueStatus.kind, text: snapshot.venueStatus.text };
  if (snapshot.channelWarnings) dto.channelWarnings = { ...snapshot.channelWarnings };
  return dto;
}

type ParsedSnapshot = z.output<typeof snapshotSchema>;

/** A decimal string the schema has already checked. */
function decimal(value: string): Dec {
  const parsed = parseDecimal(value);
  if (parsed === null) throw new Error(`not a decimal: ${value}`);
  return parsed;
}

function optionalDecimal(value: string | undefined): Dec | undefined {
  return value === undefined ? undefined : decimal(value);
}

/** Browser side: a validated snapshot DTO as the domain's MarginSnapshot (Decimal values). */
export function fromSnapshotDto(dto: ParsedSnapshot): MarginSnapshot {
  const bands: Band[] = dto.bands.map((b) => ({ ...b, threshold: decimal(b.threshold) }));
  const snapshot: MarginSnapshot = {
    accountId: dto.accountId,
    exchange: dto.exchange,
    time: dto.time,
    level:
      dto.level === null
        ? null
        : dto.level.kind === 'value'
          ? { kind: 'value', value: decimal(dto.level.value), text: dto.level.text }
          : { kind: 'no-debt', text: dto.level.text },
    unit: dto.unit,
    bands,
    zone: dto.zone,
    cushion: dto.cushion === null ? null : decimal(dto.cushion),
    totals:
      dto.totals === null
        ? null
        : {
            currency: dto.totals.currency,
            decimals: dto.totals.decimals,
            ...withDefined({
              assets: optionalDecimal(dto.totals.assets),
              liabilities: optionalDecimal(dto.totals.liabilities),
              equity: optionalDecimal(dto.totals.equity),
            }),
          },
    balances:
      dto.balances === null
        ? null
        : dto.balances.map((b) => {
            const balance: CurrencyBalance = { currency: b.currency, decimals: b.decimals };
            for (const field of BALANCE_FIELDS) {
              const value = optionalDecimal(b[field]);
              if (value) balance[field] = value;
            }
            return balance;
          }),
    details: dto.details.map((d): Detail => ({
      key: d.key,
      label: d.label,
      value:
        d.value.kind === 'text'
          ? { kind: 'text', value: d.value.value }
          : {
              kind: 'decimal',
              value: decimal(d.value.value),
              decimals: d.value.decimals,
              ...(d.value.currency !== undefined ? { currency: d.value.currency } : {}),
            },
    })),
    warnings: dto.warnings,
  };
  if (dto.venueStatus) snapshot.venueStatus = dto.venueStatus;
  if (dto.channelWarnings) snapshot.channelWarnings = dto.channelWarnings;
  return snapshot;
}

function withDefined<T extends Record<string, unknown>>(
  record: T,
): Partial<{ [K in keyof T]: Exclude<T[K], undefined> }> {
  const out: Partial<Record<keyof T, unknown>> = {};
  for (const [key, value] of Object.entries(record)) if (value !== undefined) out[key as keyof T] = value;
  return out as Partial<{ [K in keyof T]: Exclude<T[K], undefined> }>;
}
