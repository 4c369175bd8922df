import type { Dec } from './decimal.ts';

/** Exchange ids are lowercase folder names under src/exchanges. */
export type ExchangeId = string;

/** Risk zones, safest first. */
export const ZONES = ['safe', 'caution', 'liquidation', 'takeover', 'unknown'] as const;
export type RiskZone = (typeof ZONES)[number];

/** Each zone's name, as views and alert messages write it (its order of severity: risk.ts `zoneSeverity`). */
export const ZONE_NAMES: Readonly<Record<RiskZone, string>> = {
  safe: 'Safe',
  caution: 'Caution',
  liquidation: 'Liquidation',
  takeover: 'Takeover',
  unknown: 'Unknown',
};

/** What a threshold means: below `caution` no new positions / margin call; below `liquidation` the exchange liquidates; below `takeover` it takes the account over. */
export type BandKind = 'caution' | 'liquidation' | 'takeover';

export interface Band {
  kind: BandKind;
  /** The threshold in the headline level's unit; at or above it the account is out of this band. */
  threshold: Dec;
  /** The exchange's own name for the line (e.g. "maintenance", "autoCloseMarginFraction"). */
  label: string;
  /** Where the figure comes from: the exchange's message, or the account's config. */
  source: 'exchange' | 'config';
}

/** Threshold overrides from the config file, in the exchange's own unit. */
export interface ThresholdOverrides {
  marginCall?: Dec;
  liquidation?: Dec;
  takeover?: Dec;
}

/**
 * How a headline figure reads: a plain ratio (assets/debt, equity/margin), a fraction, or a percentage
 * (equity/margin × 100, shown with " %"). Thresholds, history and alerts are in the same unit.
 */
export const LEVEL_UNIT_KINDS = ['ratio', 'fraction', 'percent'] as const;
export type LevelUnitKind = (typeof LEVEL_UNIT_KINDS)[number];

export function isLevelUnitKind(value: unknown): value is LevelUnitKind {
  return (LEVEL_UNIT_KINDS as readonly unknown[]).includes(value);
}

export interface LevelUnit {
  /** The exchange's name for the headline figure, e.g. "AD ratio", "Margin fraction". */
  name: string;
  kind: LevelUnitKind;
}

/** The headline level: a number, or the account has nothing borrowed / no margin in use. */
export type Level = { kind: 'value'; value: Dec; text: string } | { kind: 'no-debt'; text: string };

export interface CurrencyBalance {
  currency: string;
  total?: Dec;
  available?: Dec;
  locked?: Dec;
  borrowed?: Dec;
  interest?: Dec;
  net?: Dec;
  /**
   * True when `net` was worked out as total − borrowed − interest rather than sent by the exchange; a later
   * partial update of any of those fields then recomputes it instead of leaving it behind.
   */
  netDerived?: boolean;
  /** Decimal places the exchange used for this row. */
  decimals: number;
}

export interface Totals {
  /** Reference currency of the totals, as the exchange names it (e.g. "USDT", "usd", "RAT"). */
  currency: string;
  assets?: Dec;
  liabilities?: Dec;
  equity?: Dec;
  decimals: number;
}

/** An exchange-specific figure for the drill-down (VALR leverage, B2Prime free margin, BitoPro status …). */
export interface Detail {
  key: string;
  label: string;
  value:
    { kind: 'decimal'; value: Dec; decimals: number; currency?: string } | { kind: 'text'; value: string };
}

/**
 * What the venue itself says about the account, which outranks the zone worked out from the level: an account
 * the venue is liquidating is in the Liquidation zone (or worse) whatever its level says.
 */
export interface VenueStatus {
  kind: 'liquidating';
  /** The venue's word in the product's language, e.g. "being liquidated by Bitso". */
  text: string;
}

/** What one wire message says about an account; several messages (channels) make up a snapshot. */
export interface AccountUpdate {
  accountId: string;
  exchange: ExchangeId;
  channel: string;
  /**
   * When the proxy received the message (ms epoch): every time and age on screen is on the proxy's clock. An
   * exchange's own timestamp, where it sends one, is shown as a detail instead.
   */
  time: number;
  risk?: {
    level: Level;
    unit: LevelUnit;
    /** Bands the exchange sent, merged with config overrides (config wins). */
    bands: Band[];
    totals?: Totals;
  };
  balances?: CurrencyBalance[];
  /**
   * `replace` (default): `balances` is the full list. `merge`: the message carries only some fields of some
   * currencies (BitoPro's stream sends only borrowed and interest); they are merged into the known rows.
   */
  balancesMode?: 'replace' | 'merge';
  details?: Detail[];
  /**
   * What the venue says about the account's state. Absent: this message says nothing about it (the last word
   * holds). Null: the venue reports nothing wrong (a previous status is lifted).
   */
  venueStatus?: VenueStatus | null;
  /** Problems the parser detected without rejecting the message (e.g. a level that disagrees with its inputs). */
  warnings?: string[];
}

export interface MarginSnapshot {
  accountId: string;
  exchange: ExchangeId;
  /** Time of the newest message merged in (ms epoch). */
  time: number;
  level: Level | null;
  unit: LevelUnit | null;
  bands: Band[];
  /** The level's zone, made worse (never milder) by the venue's own status. */
  zone: RiskZone;
  /** The venue's last word on the account's state, when it reports something wrong (absent: nothing). */
  venueStatus?: VenueStatus;
  /** Share of collateral value that can be lost before liquidation: 1 − liquidation / level. Null when unknown. */
  cushion: Dec | null;
  totals: Totals | null;
  balances: CurrencyBalance[] | null;
  details: Detail[];
  /** Every channel's current warnings, flattened. */
  warnings: string[];
  /** Warnings by the channel that raised them; a channel's next message replaces its own only. */
  channelWarnings?: Record<string, string[]>;
}
