// The risk zone as colour and words.
import type { RiskZone, VenueStatus } from '../domain/model.ts';
import { ZONE_WORDS } from './words.ts';

/**
 * A coloured badge that always names the zone. When the venue's own status set the zone (an account being
 * liquidated), the badge says so in the venue's words.
 */
export function ZoneBadge({
  zone,
  dated = false,
  venue,
}: {
  zone: RiskZone;
  dated?: boolean;
  venue?: VenueStatus | undefined;
}) {
  const words = ZONE_WORDS[zone];
  return (
    <span
      className={`zone-badge zone-${zone}${dated ? ' is-dated' : ''}${venue ? ' zone-badge--venue' : ''}`}
      data-testid="zone"
      data-zone={zone}
      title={venue ? `${venue.text}: ${words.meaning}` : words.meaning}
    >
      <span className="zone-badge__dot" aria-hidden="true" />
      {words.name}
      {venue && (
        <span className="zone-badge__venue" data-testid="zone-venue">
          {' '}
          · {venue.text}
        </span>
      )}
    </span>
  );
}
