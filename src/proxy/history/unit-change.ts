// Converting recorded history when an exchange's headline figure changes unit by a power of ten (a ratio shown
// as percent from then on: × 100). The exchange folder describes the change and a migration step runs it: this
// rewrites the samples and profiles recorded in the old unit so one account's history reads as one series in the
// new unit, and rebuilds those accounts' rollups from them. Rollups whose finer history was deleted with age (1-minute
// rows older than the raw samples, 15-minute rows older than the 1-minute ones) are converted in place, by the
// profile of their last sample. Zones and
// cushions do not change: level and lines scale together.
import type { Database } from 'better-sqlite3';
import { movePoint } from '../../domain/decimal.ts';
import type { HistoryUnitChange } from '../../exchanges/server-types.ts';
import { horizonSql, rebuildRollups } from './rollup.ts';
import { ROLLUP_PERIODS, parseProfileBody, profileBody, type Profile } from './schema.ts';

/** One exchange's change of unit, as the exchange folder states it (frozen in the migration step that runs it). */
export type UnitChange = HistoryUnitChange;

export interface UnitChangeResult {
  /** Row ids of the accounts whose samples or rolled-up minutes were converted (their rollups were rebuilt). */
  accounts: number[];
  samples: number;
}

/**
 * A level's sort key scaled like its text. No debt (+Infinity) stays as it is; a product too large for a double
 * is clamped to the largest finite one, as schema.ts levelKey does.
 */
export function scaleKey(key: number, places: number): number {
  if (!Number.isFinite(key)) return key;
  const scaled = key * 10 ** places;
  if (scaled === Number.POSITIVE_INFINITY) return Number.MAX_VALUE;
  if (scaled === Number.NEGATIVE_INFINITY) return -Number.MAX_VALUE;
  return scaled;
}

/** The profile in the new unit: lines scaled, config lines relabelled; null when it is not in `change.from`. */
function convertedProfile(profile: Profile, change: UnitChange): Profile | null {
  const unit = profile.unit;
  if (unit === null || unit.name !== change.from.name || unit.kind !== change.from.kind) return null;
  return {
    unit: { name: change.to.name, kind: change.to.kind },
    bands: profile.bands.map((band) => ({
      ...band,
      threshold: movePoint(band.threshold, change.places),
      label: band.source === 'config' ? (change.configLabels[band.label] ?? band.label) : band.label,
    })),
    currency: profile.currency,
  };
}

/**
 * Converts the history of `change.exchange`'s accounts recorded in `change.from`: level texts (no-debt rows keep
 * theirs), sort keys and profiles (unit, line thresholds and labels) move to `change.to`, and those accounts'
 * rollups are rebuilt. Samples in any other unit, and other exchanges' rows, are not touched; running it again
 * converts nothing more. Alert events keep the words they were sent with. Run inside the migration's transaction.
 */
export function changeLevelUnit(db: Database, change: UnitChange): UnitChangeResult {
  const shiftText = `mw_move_point_${change.places}`;
  const shiftKey = `mw_scale_key_${change.places}`;
  db.function(shiftText, { deterministic: true }, (text: unknown, key: unknown) =>
    typeof text === 'string' && typeof key === 'number' && Number.isFinite(key)
      ? movePoint(text, change.places)
      : text,
  );
  db.function(shiftKey, { deterministic: true }, (key: unknown) =>
    typeof key === 'number' ? scaleKey(key, change.places) : key,
  );

  const accounts = db
    .prepare<[string], { id: number }>('SELECT id FROM accounts WHERE exchange = ? ORDER BY id')
    .all(change.exchange)
    .map((row) => row.id);
  // Rollups whose finer history is gone (see horizonSql): 1-minute rows before the raw samples, 15-minute rows
  // before the 1-minute ones. They are converted in place; every other rollup is rebuilt.
  const outlived = ROLLUP_PERIODS.slice(0, -1).map(
    (period, tier) => `period = ${period} AND start < ${horizonSql(tier, '@account')}`,
  );
  const profilesOf = db.prepare<{ account: number }, { id: number }>(
    `SELECT profile_id AS id FROM samples WHERE account_id = @account
     UNION
     SELECT last_profile AS id FROM rollups WHERE account_id = @account AND ((${outlived.join(') OR (')}))`,
  );
  const bodyOf = db.prepare<[number], { body: string }>('SELECT body FROM profiles WHERE id = ?');
  const findProfile = db.prepare<[string], { id: number }>('SELECT id FROM profiles WHERE body = ?');
  const addProfile = db.prepare<[string]>('INSERT INTO profiles (body) VALUES (?)');
  const convert = db.prepare<{ account: number; from: number; to: number }>(
    `UPDATE samples SET level_text = ${shiftText}(level_text, level_key), level_key = ${shiftKey}(level_key),
       profile_id = @to
     WHERE account_id = @account AND profile_id = @from`,
  );
  const convertRolledUp = outlived.map((where) =>
    db.prepare<{ account: number; from: number; to: number }>(
      `UPDATE rollups SET min_text = ${shiftText}(min_text, min_key), min_key = ${shiftKey}(min_key),
         max_text = ${shiftText}(max_text, max_key), max_key = ${shiftKey}(max_key),
         last_text = ${shiftText}(last_text, last_key), last_key = ${shiftKey}(last_key), last_profile = @to
       WHERE account_id = @account AND last_profile = @from AND ${where}`,
    ),
  );
  const dropIfUnused = db.prepare<{ id: number }>(
    `DELETE FROM profiles WHERE id = @id
       AND NOT EXISTS (SELECT 1 FROM samples WHERE profile_id = @id)
       AND NOT EXISTS (SELECT 1 FROM rollups WHERE last_profile = @id)`,
  );

  /** Old profile id → id of the same profile in the new unit; null when the profile is not in the old unit. */
  const converted = new Map<number, number | null>();
  function newProfileId(id: number): number | null {
    const known = converted.get(id);
    if (known !== undefined) return known;
    const body = bodyOf.get(id)?.body;
    const profile = body === undefined ? null : convertedProfile(parseProfileBody(body), change);
    let result: number | null = null;
    if (profile !== null) {
      const newBody = profileBody(profile);
      result = findProfile.get(newBody)?.id ?? Number(addProfile.run(newBody).lastInsertRowid);
    }
    converted.set(id, result);
    return result;
  }

  const touched: number[] = [];
  let samples = 0;
  for (const account of accounts) {
    let changed = 0;
    let rolledUp = 0;
    for (const { id } of profilesOf.all({ account })) {
      const to = newProfileId(id);
      if (to === null) continue;
      // Horizons depend on times only, which no step changes.
      for (const step of convertRolledUp) rolledUp += step.run({ account, from: id, to }).changes;
      changed += convert.run({ account, from: id, to }).changes;
    }
    if (changed > 0 || rolledUp > 0) touched.push(account);
    samples += changed;
  }
  if (touched.length > 0) rebuildRollups(db, touched);
  for (const [id, to] of converted) if (to !== null) dropIfUnused.run({ id });
  return { accounts: touched, samples };
}
