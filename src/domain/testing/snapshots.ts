// Test support, never imported by product code: the one builder of MarginSnapshots for every test kit (proxy,
// stores, hooks, views). The zone and the cushion are derived from the level and the bands as the domain derives
// them, so a test states only the figures it is about and can never hold a snapshot the domain would not build.
import { dec } from '../decimal.ts';
import type { Band, Level, MarginSnapshot } from '../model.ts';
import { cushionOf, zoneOf } from '../risk.ts';

/** A level with nothing borrowed ("no margin in use"). */
export const NO_DEBT: Level = { kind: 'no-debt', text: '0' };

/** A numeric level from its text, kept exactly as written. */
export function levelOf(text: string): Level {
  return { kind: 'value', value: dec(text), text };
}

/** caution below 1.5, liquidation below 1.1, takeover below 1.05 (a ratio where higher is safer). */
export const RATIO_BANDS: Band[] = [
  { kind: 'caution', threshold: dec('1.5'), label: 'marginCall', source: 'config' },
  { kind: 'liquidation', threshold: dec('1.1'), label: 'maintenance', source: 'exchange' },
  { kind: 'takeover', threshold: dec('1.05'), label: 'autoClose', source: 'exchange' },
];

/** What a test says about a snapshot: its level (null: none known) and any field it cares about. */
export type SnapshotSpec = Partial<Omit<MarginSnapshot, 'level' | 'zone' | 'cushion'>> & {
  level: Level | null;
};

/**
 * A snapshot of `spec.level`, zone and cushion derived from it and the bands (and the venue's status). Unsaid
 * fields: account `valr-1` on `valr`, time 0, a ratio named "Margin level", no bands, totals or balances.
 */
export function snapshotOf(spec: SnapshotSpec): MarginSnapshot {
  const bands = spec.bands ?? [];
  return {
    accountId: 'valr-1',
    exchange: 'valr',
    time: 0,
    unit: { name: 'Margin level', kind: 'ratio' },
    totals: null,
    balances: null,
    details: [],
    warnings: [],
    ...spec,
    bands,
    zone: zoneOf(spec.level, bands, spec.venueStatus),
    cushion: cushionOf(spec.level, bands),
  };
}
