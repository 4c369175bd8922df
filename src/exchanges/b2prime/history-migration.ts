// B2Prime's change of history unit (proxy-only): history recorded while the margin level was shown as a ratio
// (equity / used margin, e.g. "4969.3905") is converted to percent as B2Trader's terminal shows it
// ("496939.05"), so a chart across the change is one series. The proxy's database runs it as schema step v4
// (src/proxy/db/migrations.ts).
import type { HistoryUnitChange } from '../server-types.ts';

/**
 * Frozen: the units and labels as releases wrote them, whatever normalize.ts says later. Bitso's unit has the
 * same name and kind, so the exchange id, not the unit alone, picks the accounts.
 */
export const percentHistoryChange: HistoryUnitChange = {
  description: 'B2Prime margin levels and lines recorded as ratios, in percent (× 100)',
  exchange: 'b2prime',
  from: { name: 'Margin level', kind: 'ratio' },
  to: { name: 'Margin level', kind: 'percent' },
  places: 2,
  // Config lines were labelled with their config keys; B2Prime calls them margin call and stop-out.
  configLabels: { marginCall: 'margin call', liquidation: 'stop-out' },
};
