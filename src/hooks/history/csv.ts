// CSV export of the history in view: one row per bucket shown on the chart, exact decimals as recorded.
import { isDecimalText } from '../../domain/decimal.ts';
import { unitLabel } from '../../domain/format.ts';
import { ZONE_NAMES } from '../../domain/model.ts';
import type { BucketDto, HistoryData, LevelDto, ProfileDto } from './model.ts';

export interface CsvColumn {
  name: string;
  description: string;
  value(bucket: BucketDto, profile: ProfileDto | undefined): string;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A level cell: the exact text as the exchange wrote it, or `no-debt`. */
function levelCell(level: LevelDto): string {
  return level.kind === 'no-debt' ? 'no-debt' : level.text;
}

function threshold(profile: ProfileDto | undefined, kind: 'caution' | 'liquidation' | 'takeover'): string {
  return profile?.bands.find((b) => b.kind === kind)?.threshold ?? '';
}

/** The exported columns, in order, with the documentation shown in the README. */
export const HISTORY_CSV_COLUMNS: readonly CsvColumn[] = [
  {
    name: 'bucket_start',
    description: 'Start of the bucket (inclusive), ISO 8601 UTC',
    value: (b) => iso(b.start),
  },
  {
    name: 'bucket_end',
    description: 'End of the bucket (exclusive), ISO 8601 UTC',
    value: (b) => iso(b.end),
  },
  {
    name: 'first_sample',
    description: 'Time of the first sample in the bucket, ISO 8601 UTC',
    value: (b) => iso(b.firstAt),
  },
  {
    name: 'last_sample',
    description: 'Time of the last sample in the bucket, ISO 8601 UTC',
    value: (b) => iso(b.lastAt),
  },
  { name: 'samples', description: 'Number of samples in the bucket', value: (b) => String(b.count) },
  {
    name: 'level_min',
    description:
      'Lowest level in the bucket, exactly as the exchange wrote it; `no-debt` when nothing was borrowed',
    value: (b) => levelCell(b.min),
  },
  {
    name: 'level_max',
    description: 'Highest level in the bucket (same format)',
    value: (b) => levelCell(b.max),
  },
  {
    name: 'level_last',
    description: 'Level of the last sample in the bucket (same format)',
    value: (b) => levelCell(b.last),
  },
  {
    name: 'level_unit',
    description:
      "The exchange's name for the level, with `(%)` when it is in percent (e.g. `Margin fraction`, `AD ratio`, `Margin level (%)`)",
    value: (_, p) => (p?.unit ? unitLabel(p.unit) : ''),
  },
  {
    name: 'zone_last',
    description: 'Risk zone of the last sample: Safe, Caution, Liquidation, Takeover or Unknown',
    value: (b) => ZONE_NAMES[b.zone],
  },
  {
    name: 'zone_worst',
    description: 'Worst risk zone reached by any sample in the bucket',
    value: (b) => ZONE_NAMES[b.worstZone],
  },
  {
    name: 'cushion_last',
    description:
      'Cushion of the last sample as a fraction (0.25 = 25 % of collateral value can be lost before liquidation), 8 decimal places; empty when unknown',
    value: (b) => b.cushion ?? '',
  },
  {
    name: 'caution_threshold',
    description:
      'Margin-call line in force at the last sample, in the level unit (percent when the level is); empty when not known',
    value: (_, p) => threshold(p, 'caution'),
  },
  {
    name: 'liquidation_threshold',
    description: 'Liquidation line in force at the last sample; empty when not known',
    value: (_, p) => threshold(p, 'liquidation'),
  },
  {
    name: 'takeover_threshold',
    description: 'Takeover (auto-close) line in force at the last sample; empty when not known',
    value: (_, p) => threshold(p, 'takeover'),
  },
  {
    name: 'totals_currency',
    description: 'Reference currency of the totals, as the exchange names it',
    value: (_, p) => p?.currency ?? '',
  },
  {
    name: 'assets',
    description: 'Total assets at the last sample; empty when the exchange does not send it',
    value: (b) => b.assets ?? '',
  },
  {
    name: 'liabilities',
    description: 'Total liabilities at the last sample; empty when not sent',
    value: (b) => b.liabilities ?? '',
  },
  {
    name: 'equity',
    description: 'Equity at the last sample; empty when not sent',
    value: (b) => b.equity ?? '',
  },
  {
    name: 'after_outage',
    description:
      '1 when no data arrived for longer than the outage threshold before a sample of this bucket, else 0',
    value: (b) => (b.gapBefore ? '1' : '0'),
  },
];

/** The column documentation as a Markdown table (for the README). */
export function csvColumnsMarkdown(): string {
  const rows = HISTORY_CSV_COLUMNS.map((c) => `| \`${c.name}\` | ${c.description} |`);
  return ['| column | meaning |', '|---|---|', ...rows].join('\n');
}

/**
 * A text cell a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) gets a
 * leading apostrophe; numbers (a negative equity, say) are left exactly as recorded.
 */
export function neutraliseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) && !isDecimalText(value) ? `'${value}` : value;
}

/** RFC 4180 quoting: fields with a comma, quote or line break are quoted, quotes doubled; formulas neutralised. */
export function csvField(value: string): string {
  const safe = neutraliseFormula(value);
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * The buckets that overlap [from, to] as CSV (header row, CRLF line ends). `buckets` are those the chart draws
 * (its model may have merged neighbours to stay under its point limit), so there is one row per bucket shown;
 * by default the response's own.
 */
export function historyCsv(
  data: HistoryData,
  from = data.from,
  to = data.to,
  buckets: readonly BucketDto[] = data.buckets,
): string {
  const lines = [HISTORY_CSV_COLUMNS.map((c) => c.name).join(',')];
  for (const bucket of buckets) {
    if (bucket.end <= from || bucket.start > to) continue;
    const profile = data.profiles[bucket.profile];
    lines.push(HISTORY_CSV_COLUMNS.map((c) => csvField(c.value(bucket, profile))).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** `margin-history-<account>-<from>-<to>.csv`, times as compact UTC. */
export function csvFileName(accountId: string, from: number, to: number): string {
  const compact = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').slice(0, 15) + 'Z';
  return `margin-history-${accountId.replace(/[^a-z0-9-]/gi, '_')}-${compact(from)}-${compact(to)}.csv`;
}
