// The risk zone as colour and words.
import type { RiskZone } from '../domain/model.ts';
import { ZONE_WORDS } from './words.ts';

/** A coloured badge that always names the zone. */
export function ZoneBadge({ zone, dated = false }: { zone: RiskZone; dated?: boolean }) {
  const words = ZONE_WORDS[zone];
  return (
    <span
      className={`zone-badge zone-${zone}${dated ? ' is-dated' : ''}`}
      data-testid="zone"
      data-zone={zone}
      title={words.meaning}
    >
      <span className="zone-badge__dot" aria-hidden="true" />
      {words.name}
    </span>
  );
}
