// The exact figures of one history bucket: the chart's tooltip.
import { formatLevel, formatPercent, unitSign } from '../../domain/format.ts';
import {
  decOf,
  levelOfDto,
  type BucketDto,
  type LevelDto,
  type ProfileDto,
} from '../../hooks/history/model.ts';
import { BAND_WORDS, ZONE_WORDS, formatUtc } from '../words.ts';

/** A level in words, with its unit. */
export function levelWords(level: LevelDto, unit: ProfileDto['unit'] | undefined): string {
  return formatLevel(levelOfDto(level), { unit });
}

/** A cushion as a percentage, or "unknown". */
export function cushionWords(text: string | null): string {
  const value = decOf(text);
  return value === null ? 'unknown' : formatPercent(value);
}

/** The tooltip: exact figures of the bucket under the pointer. */
export function BucketDetails({ bucket, profile }: { bucket: BucketDto; profile: ProfileDto | undefined }) {
  const single = bucket.count === 1;
  const unit = profile?.unit?.name ?? 'Level';
  const sign = unitSign(profile?.unit);
  return (
    <div className="history-tooltip" data-testid="history-tooltip">
      <p className="history-tooltip__time">
        {single ? formatUtc(bucket.lastAt) : `${formatUtc(bucket.firstAt)} – ${formatUtc(bucket.lastAt)}`}
        {!single && <span className="muted"> · {bucket.count} samples</span>}
      </p>
      <dl>
        <dt>{unit}</dt>
        <dd data-testid="tooltip-last">{levelWords(bucket.last, profile?.unit)}</dd>
        {!single && (
          <>
            <dt>Lowest</dt>
            <dd data-testid="tooltip-min">{levelWords(bucket.min, profile?.unit)}</dd>
            <dt>Highest</dt>
            <dd>{levelWords(bucket.max, profile?.unit)}</dd>
          </>
        )}
        <dt>Zone</dt>
        <dd data-testid="tooltip-zone">
          {ZONE_WORDS[bucket.zone].name}
          {bucket.worstZone !== bucket.zone && ` (worst: ${ZONE_WORDS[bucket.worstZone].name})`}
        </dd>
        <dt>Cushion</dt>
        <dd>{cushionWords(bucket.cushion)}</dd>
        {profile?.bands.map((band) => (
          <div key={band.kind} className="history-tooltip__band">
            <dt>{BAND_WORDS[band.kind]}</dt>
            <dd>
              {band.threshold}
              {sign} <span className="muted">({band.label})</span>
            </dd>
          </div>
        ))}
      </dl>
      {bucket.gapBefore && <p className="muted">Follows an outage (no data before it).</p>}
    </div>
  );
}
