// Cushion to liquidation: the share of collateral value that can still be lost, as a bar and a percentage.
import type { Dec } from '../domain/decimal.ts';
import { toChartNumber } from '../domain/decimal.ts';
import { formatPercent } from '../domain/format.ts';
import type { RiskZone } from '../domain/model.ts';

/** Width of the bar in percent, clamped to [0, 100] (a drawing coordinate, not a figure). */
function barWidth(cushion: Dec): number {
  const percent = toChartNumber(cushion.times(100));
  return Math.min(100, Math.max(0, percent));
}

/** The cushion as a bar (decorative) and a percentage (the figure). */
export function CushionBar({ cushion, zone }: { cushion: Dec | null; zone: RiskZone }) {
  return (
    <div className="cushion" data-testid="cushion">
      <div className="cushion__label">
        <span>Cushion to liquidation</span>
        <span className="cushion__value">{cushion === null ? 'unknown' : formatPercent(cushion)}</span>
      </div>
      <div className="cushion__track" aria-hidden="true">
        {cushion !== null && cushion.gt(0) && (
          <div
            className={`cushion__fill zone-fill-${zone}`}
            style={{ transform: `scaleX(${barWidth(cushion) / 100})` }}
          />
        )}
      </div>
    </div>
  );
}
