// Encodings shared by the history writer, the migrations and the query: how a level, a zone and a set of
// bands are stored in SQLite. Changing any of these changes the file format: add a migration.
import type { Dec } from '../../domain/decimal.ts';
import {
  isLevelUnitKind,
  type Band,
  type Level,
  type LevelUnit,
  type RiskZone,
  type Totals,
} from '../../domain/model.ts';

/**
 * Stored zone codes, ordered by severity so that `MAX(zone)` is the worst zone of a bucket. Fixed here,
 * independent of the order of `ZONES` in the domain model.
 */
export const ZONE_CODES: Readonly<Record<RiskZone, number>> = {
  safe: 0,
  unknown: 1,
  caution: 2,
  liquidation: 3,
  takeover: 4,
};

const ZONE_BY_CODE: readonly RiskZone[] = ['safe', 'unknown', 'caution', 'liquidation', 'takeover'];

/** The zone stored as `code`; `unknown` for a code this version does not know. */
export function zoneFromCode(code: number): RiskZone {
  return ZONE_BY_CODE[code] ?? 'unknown';
}

/**
 * Rollup periods (ms) kept beside the raw samples, finest first. A history query reads the coarsest one
 * that is not wider than the bucket it needs, so a query touches at most a few tens of thousands of rows
 * whatever the number of samples in the range.
 */
export const ROLLUP_PERIODS = [60_000, 900_000, 14_400_000] as const;

/** Decimal places the (derived) cushion is stored with; level, bands and totals are stored exactly. */
export const CUSHION_DECIMALS = 8;

/** Sort key of a level that has no debt: safer than any number. */
export const NO_DEBT_KEY = Number.POSITIVE_INFINITY;

/**
 * The REAL copy of a level, used only to order levels inside SQLite (MIN/MAX per bucket). It is never
 * returned or shown: the exact text is. A level without debt sorts above every number (+Infinity); a
 * finite level too large for a double is clamped to the largest finite double.
 */
export function levelKey(level: Level): number {
  if (level.kind === 'no-debt') return NO_DEBT_KEY;
  // The single place a level becomes a double: a sort key, documented in the module header of ../db/open.ts.
  const key = level.value.toNumber();
  if (key === Number.POSITIVE_INFINITY) return Number.MAX_VALUE;
  if (key === Number.NEGATIVE_INFINITY) return -Number.MAX_VALUE;
  return key;
}

/** The stored text of a cushion (rounded half-even to CUSHION_DECIMALS places), or null. */
export function cushionText(cushion: Dec | null): string | null {
  return cushion === null ? null : cushion.toFixed(CUSHION_DECIMALS);
}

/** A band as stored and returned by the API: the threshold as an exact decimal string. */
export interface StoredBand {
  kind: Band['kind'];
  threshold: string;
  label: string;
  source: Band['source'];
}

/**
 * What rarely changes between samples of an account: the level's unit, the bands in force and the
 * currency of the totals. Stored once per distinct value in `profiles` and referenced by id.
 */
export interface Profile {
  unit: LevelUnit | null;
  bands: StoredBand[];
  /** Reference currency of the totals, when the exchange sends totals. */
  currency: string | null;
}

/** The profile of a snapshot. */
export function profileOf(unit: LevelUnit | null, bands: readonly Band[], totals: Totals | null): Profile {
  return {
    unit: unit ? { name: unit.name, kind: unit.kind } : null,
    bands: bands.map((b) => ({
      kind: b.kind,
      threshold: b.threshold.toFixed(),
      label: b.label,
      source: b.source,
    })),
    currency: totals?.currency ?? null,
  };
}

/** Canonical JSON of a profile (fixed key order), the unique key of the `profiles` table. */
export function profileBody(profile: Profile): string {
  return JSON.stringify({
    unit: profile.unit ? { name: profile.unit.name, kind: profile.unit.kind } : null,
    bands: profile.bands.map((b) => ({
      kind: b.kind,
      threshold: b.threshold,
      label: b.label,
      source: b.source,
    })),
    currency: profile.currency,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const BAND_KINDS: readonly string[] = ['caution', 'liquidation', 'takeover'];

/** Reads a stored profile body; a body this version cannot read yields an empty profile, never a throw. */
export function parseProfileBody(body: string): Profile {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return { unit: null, bands: [], currency: null };
  }
  if (!isRecord(raw)) return { unit: null, bands: [], currency: null };
  const unitRaw = raw.unit;
  const unit: LevelUnit | null =
    isRecord(unitRaw) && typeof unitRaw.name === 'string' && isLevelUnitKind(unitRaw.kind)
      ? { name: unitRaw.name, kind: unitRaw.kind }
      : null;
  const bands: StoredBand[] = [];
  if (Array.isArray(raw.bands)) {
    for (const b of raw.bands as unknown[]) {
      if (
        isRecord(b) &&
        typeof b.kind === 'string' &&
        BAND_KINDS.includes(b.kind) &&
        typeof b.threshold === 'string' &&
        typeof b.label === 'string' &&
        (b.source === 'exchange' || b.source === 'config')
      ) {
        bands.push({
          kind: b.kind as Band['kind'],
          threshold: b.threshold,
          label: b.label,
          source: b.source,
        });
      }
    }
  }
  return { unit, bands, currency: typeof raw.currency === 'string' ? raw.currency : null };
}
