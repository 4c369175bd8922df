// Builders for the alert tests: snapshots with fixed bands, a manual clock, demo-like accounts.
import { dec } from '../../../domain/decimal.ts';
import type { Band, Level, MarginSnapshot } from '../../../domain/model.ts';
import { NO_DEBT, levelOf, snapshotOf } from '../../../domain/testing/snapshots.ts';
import type { AlertAccount } from '../engine.ts';

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
  return text === null ? NO_DEBT : levelOf(text);
}

/** A snapshot of the account `<exchange>-…` at `time` (the shared builder derives zone and cushion). */
export function snap(
  accountId: string,
  text: string | null,
  bands: Band[] = BANDS,
  time = 0,
): MarginSnapshot {
  return snapshotOf({ accountId, exchange: accountId.split('-')[0] ?? 'x', time, level: level(text), bands });
}

/** A snapshot whose venue reports the account as being liquidated (by `venue`), whatever the level. */
export function liquidatingSnap(accountId: string, text: string | null, venue: string): MarginSnapshot {
  const venueStatus = { kind: 'liquidating', text: `being liquidated by ${venue}` } as const;
  return snapshotOf({ ...snap(accountId, text), venueStatus });
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
