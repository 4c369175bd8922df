// The headline level exactly as the exchange states it, with its unit name.
import { formatLevel } from '../domain/format.ts';
import type { Level, LevelUnit } from '../domain/model.ts';

/** The level (as the exchange wrote it, grouped, " %" for a percent level) and the unit's name. */
export function Headline({ level, unit }: { level: Level | null; unit: LevelUnit | null }) {
  return (
    <p className="level">
      <span className="level__value" data-testid="level">
        {level ? formatLevel(level, { unit }) : '—'}
      </span>
      <span className="level__unit">{unit?.name ?? 'level not reported yet'}</span>
    </p>
  );
}
