// Builders for the alert tests: snapshots with fixed bands, a manual clock, demo-like accounts.
import { dec } from '../../domain/decimal.ts';
import type { Band, Level, MarginSnapshot } from '../../domain/model.ts';
import { cushionOf, zoneOf } from '../../domain/risk.ts';
import type { AlertAccount } from './engine.ts';

/** caution below 1.5, liquidation below 1.1, takeover below 1.05 (a ratio where higher is safer). */
export const BANDS: Band[] = [
  { kind: 'caution', threshold: dec('1.5'), label: 'safe', source: 'exchange' },
  { kind: 'liquidation', threshold: dec('1.1'), label: 'maintenance', source: 'exchange' },
  { kind: 'takeover', threshold: dec('1.05'), label: 'autoClose', source: 'exchange' },
];

export const ACCOUNTS: AlertAccount[] = [
  { id: 'bitso-demo', exchange: 'bitso', label: 'Bitso (demo)', cadenceSeconds: 5 },
  { id: 'valr-demo', exchange: 'valr', label: 'VALR margin (demo)' },
];

/** A numeric level from its text, or no debt with `null`. */
export function level(text: string | null): Level {
  return text === null ? { kind: 'no-debt', text: '0' } : { kind: 'value', value: dec(text), text };
}

/** A snapshot whose zone and cushion are derived from the level as the domain does. */
export function snap(
  accountId: string,
  text: string | null,
  bands: Band[] = BANDS,
  time = 0,
): MarginSnapshot {
  const lv = level(text);
  return {
    accountId,
    exchange: accountId.split('-')[0] ?? 'x',
    time,
    level: lv,
    unit: { name: 'Margin level', kind: 'ratio' },
    bands,
    zone: zoneOf(lv, bands),
    cushion: cushionOf(lv, bands),
    totals: null,
    balances: null,
    details: [],
    warnings: [],
  };
}

/** A snapshot whose venue reports the account as being liquidated (by `venue`), whatever the level. */
export function liquidatingSnap(accountId: string, text: string | null, venue: string): MarginSnapshot {
  const base = snap(accountId, text);
  const venueStatus = { kind: 'liquidating', text: `being liquidated by ${venue}` } as const;
  return { ...base, venueStatus, zone: zoneOf(base.level, base.bands, venueStatus) };
}

/** A clock tests move by hand. */
export class ManualClock {
  constructor(public t = 1_700_000_000_000) {}
  readonly now = (): number => this.t;
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
}

export const SECOND = 1000;
export const MINUTE = 60_000;
