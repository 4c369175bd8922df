import { Dec, ONE } from './decimal.ts';
import type {
  AccountUpdate,
  Band,
  BandKind,
  CurrencyBalance,
  Detail,
  Level,
  MarginSnapshot,
  RiskZone,
  ThresholdOverrides,
  Totals,
  VenueStatus,
} from './model.ts';

const BAND_ORDER: readonly BandKind[] = ['takeover', 'liquidation', 'caution'];

export function bandOf(bands: readonly Band[], kind: BandKind): Band | undefined {
  return bands.find((b) => b.kind === kind);
}

/**
 * The zone a level is in. Higher is safer everywhere. Being exactly at the caution line counts as caution
 * (Bitso allows new orders only while current > safe); liquidation and takeover apply strictly below their line.
 * The venue's own word wins over the arithmetic: an account the venue reports as being liquidated is in the
 * Liquidation zone whatever its level (or Takeover, when the level is already below that line).
 */
export function zoneOf(level: Level | null, bands: readonly Band[], venue?: VenueStatus | null): RiskZone {
  const fromLevel = levelZone(level, bands);
  if (venue?.kind === 'liquidating' && zoneSeverity(fromLevel) < zoneSeverity('liquidation')) {
    return 'liquidation';
  }
  return fromLevel;
}

function levelZone(level: Level | null, bands: readonly Band[]): RiskZone {
  if (level === null) return 'unknown';
  if (level.kind === 'no-debt') return 'safe';
  if (bands.length === 0) return 'unknown';
  for (const kind of BAND_ORDER) {
    const band = bandOf(bands, kind);
    if (band && level.value.lt(band.threshold)) return kind;
  }
  const caution = bandOf(bands, 'caution');
  if (caution && level.value.eq(caution.threshold)) return 'caution';
  return 'safe';
}

/** 1 − liquidation / level; 1 with no debt; null without a liquidation line or with a level at or below zero. */
export function cushionOf(level: Level | null, bands: readonly Band[]): Dec | null {
  if (level === null) return null;
  if (level.kind === 'no-debt') return ONE;
  const liquidation = bandOf(bands, 'liquidation');
  if (!liquidation || level.value.lte(0)) return null;
  return ONE.minus(liquidation.threshold.div(level.value));
}

/** The exchange's own names for config lines, by config key (e.g. B2Prime's "stop-out" for `liquidation`). */
export type ThresholdLabels = Partial<Record<keyof ThresholdOverrides, string>>;

/**
 * Merges exchange bands with config overrides: config supplies missing bands and overrides sent ones. A config
 * line is labelled with the exchange's name for it when `labels` gives one, else with its config key.
 */
export function resolveBands(
  fromExchange: readonly Band[],
  overrides: ThresholdOverrides | undefined,
  labels: ThresholdLabels = {},
): Band[] {
  const result = new Map<BandKind, Band>(fromExchange.map((b) => [b.kind, b]));
  if (overrides) {
    const entries: [BandKind, Dec | undefined, string][] = [
      ['caution', overrides.marginCall, labels.marginCall ?? 'marginCall'],
      ['liquidation', overrides.liquidation, labels.liquidation ?? 'liquidation'],
      ['takeover', overrides.takeover, labels.takeover ?? 'takeover'],
    ];
    for (const [kind, threshold, label] of entries) {
      if (threshold !== undefined) result.set(kind, { kind, threshold, label, source: 'config' });
    }
  }
  return [...result.values()].sort((a, b) => b.threshold.comparedTo(a.threshold));
}

function mergeDetails(prev: readonly Detail[], next: readonly Detail[] | undefined): Detail[] {
  if (!next || next.length === 0) return [...prev];
  const byKey = new Map(prev.map((d) => [d.key, d]));
  for (const d of next) byKey.set(d.key, d);
  return [...byKey.values()];
}

function mergeBalances(
  prev: readonly CurrencyBalance[] | null,
  next: readonly CurrencyBalance[],
): CurrencyBalance[] {
  const byCurrency = new Map((prev ?? []).map((b) => [b.currency, b]));
  for (const row of next) {
    const old = byCurrency.get(row.currency);
    const merged: CurrencyBalance = {
      ...old,
      currency: row.currency,
      decimals: Math.max(old?.decimals ?? 0, row.decimals),
    };
    for (const key of ['total', 'available', 'locked', 'borrowed', 'interest', 'net'] as const) {
      const value = row[key];
      if (value !== undefined) merged[key] = value;
    }
    if (
      merged.netDerived &&
      row.net === undefined &&
      merged.total !== undefined &&
      merged.borrowed !== undefined
    ) {
      merged.net = merged.total.minus(merged.borrowed).minus(merged.interest ?? 0);
    }
    byCurrency.set(row.currency, merged);
  }
  return [...byCurrency.values()];
}

// Exchanges that write amounts without trailing zeros ("6000", then "5999.5") would make figures change width
// from one message to the next; the number of decimals shown for a figure only grows.
function stickyTotals(prev: Totals | null, next: Totals): Totals {
  return prev && prev.currency === next.currency && prev.decimals > next.decimals
    ? { ...next, decimals: prev.decimals }
    : next;
}

function stickyBalances(prev: readonly CurrencyBalance[] | null, next: CurrencyBalance[]): CurrencyBalance[] {
  if (!prev) return next;
  const before = new Map(prev.map((b) => [b.currency, b.decimals]));
  return next.map((row) => {
    const decimals = before.get(row.currency);
    return decimals !== undefined && decimals > row.decimals ? { ...row, decimals } : row;
  });
}

/** Folds one message's update into the account's snapshot (pure; returns a new object). */
export function applyUpdate(prev: MarginSnapshot | undefined, update: AccountUpdate): MarginSnapshot {
  const base: MarginSnapshot = prev ?? {
    accountId: update.accountId,
    exchange: update.exchange,
    time: update.time,
    level: null,
    unit: null,
    bands: [],
    zone: 'unknown',
    cushion: null,
    totals: null,
    balances: null,
    details: [],
    warnings: [],
    channelWarnings: {},
  };
  const risk = update.risk;
  const level = risk ? risk.level : base.level;
  const bands = risk ? risk.bands : base.bands;
  const venueStatus = update.venueStatus === undefined ? base.venueStatus : update.venueStatus;
  const channelWarnings = { ...base.channelWarnings, [update.channel]: update.warnings ?? [] };
  const { venueStatus: _previous, ...rest } = base;
  return {
    ...rest,
    ...(venueStatus ? { venueStatus } : {}),
    time: Math.max(base.time, update.time),
    level,
    unit: risk ? risk.unit : base.unit,
    bands,
    zone: zoneOf(level, bands, venueStatus),
    cushion: cushionOf(level, bands),
    totals: risk?.totals ? stickyTotals(base.totals, risk.totals) : base.totals,
    balances: update.balances
      ? update.balancesMode === 'merge'
        ? mergeBalances(base.balances, update.balances)
        : stickyBalances(base.balances, update.balances)
      : base.balances,
    details: mergeDetails(base.details, update.details),
    warnings: Object.values(channelWarnings).flat(),
    channelWarnings,
  };
}

/** Rank for sorting worst first: takeover, liquidation, caution, unknown, safe. */
export function zoneSeverity(zone: RiskZone): number {
  switch (zone) {
    case 'takeover':
      return 4;
    case 'liquidation':
      return 3;
    case 'caution':
      return 2;
    case 'unknown':
      return 1;
    case 'safe':
      return 0;
  }
}

export { Dec };
