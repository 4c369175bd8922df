// Writes batches of samples: one transaction inserts the raw samples and updates their rollups, so a batch is
// either entirely in the database or not at all.
import type { Statement } from 'better-sqlite3';
import type { Dec } from '../../domain/decimal.ts';
import type { Band, Level, LevelUnit, RiskZone, Totals } from '../../domain/model.ts';
import type { HistoryDb } from '../db/open.ts';
import { RollupKeeper, type SampleRow } from './rollup.ts';
import { ZONE_CODES, cushionText, levelKey, profileBody, profileOf } from './schema.ts';

/** One sample to record: what the snapshot of an account said at time `t`. */
export interface SampleInput {
  accountId: string;
  exchange: string;
  /** ms epoch. */
  t: number;
  level: Level;
  unit: LevelUnit | null;
  bands: readonly Band[];
  zone: RiskZone;
  cushion: Dec | null;
  totals: Totals | null;
  /** True when the account sent nothing for longer than its gap threshold before this sample. */
  gapBefore: boolean;
}

export interface HistoryWriter {
  /** Inserts the samples and updates rollups in one transaction; returns how many were new. */
  write(samples: readonly SampleInput[]): number;
  /** Time of the newest stored sample of an account, or null. */
  lastSampleTime(accountId: string): number | null;
  /** Forgets cached rollups (call after rows were deleted by someone else, e.g. retention pruning). */
  resetCache(): void;
}

/** A total as text with the decimals the exchange wrote (trailing zeros kept), or null when not sent. */
function decText(value: Dec | undefined, decimals: number | undefined): string | null {
  if (value === undefined) return null;
  return decimals === undefined ? value.toFixed() : value.toFixed(Math.max(decimals, value.decimalPlaces()));
}

/** The stored profile body of a sample (its row refers to it by id). */
export function sampleProfileBody(sample: SampleInput): string {
  return profileBody(profileOf(sample.unit, sample.bands, sample.totals));
}

/** The row of a sample, given the row ids of its account and profile: the one encoding of every store. */
export function sampleRow(sample: SampleInput, accountId: number, profileId: number): SampleRow {
  return {
    accountId,
    t: sample.t,
    levelText: sample.level.text,
    levelKey: levelKey(sample.level),
    zone: ZONE_CODES[sample.zone],
    cushion: cushionText(sample.cushion),
    profileId,
    assets: decText(sample.totals?.assets, sample.totals?.decimals),
    liabilities: decText(sample.totals?.liabilities, sample.totals?.decimals),
    equity: decText(sample.totals?.equity, sample.totals?.decimals),
    gapBefore: sample.gapBefore ? 1 : 0,
  };
}

/** Creates the batch writer of a history database. */
export function createWriter(history: HistoryDb): HistoryWriter {
  const db = history.sqlite;
  const accountIds = new Map<string, number>();
  const profileIds = new Map<string, number>();
  const keeper = new RollupKeeper(db);

  const findAccount = db.prepare<[string], { id: number }>('SELECT id FROM accounts WHERE name = ?');
  const addAccount = db.prepare<[string, string]>('INSERT INTO accounts (name, exchange) VALUES (?, ?)');
  const findProfile = db.prepare<[string], { id: number }>('SELECT id FROM profiles WHERE body = ?');
  const addProfile = db.prepare<[string]>('INSERT INTO profiles (body) VALUES (?)');
  const lastTime = db.prepare<[number], { t: number | null }>(
    'SELECT MAX(t) AS t FROM samples WHERE account_id = ?',
  );
  const insert: Statement<SampleRow> = db.prepare(
    `INSERT OR IGNORE INTO samples (account_id, t, level_text, level_key, zone, cushion, profile_id, assets,
       liabilities, equity, gap_before)
     VALUES (@accountId, @t, @levelText, @levelKey, @zone, @cushion, @profileId, @assets, @liabilities,
       @equity, @gapBefore)`,
  );

  function accountId(name: string, exchange: string): number {
    const cached = accountIds.get(name);
    if (cached !== undefined) return cached;
    const id = findAccount.get(name)?.id ?? Number(addAccount.run(name, exchange).lastInsertRowid);
    accountIds.set(name, id);
    return id;
  }

  function profileId(body: string): number {
    const cached = profileIds.get(body);
    if (cached !== undefined) return cached;
    const id = findProfile.get(body)?.id ?? Number(addProfile.run(body).lastInsertRowid);
    profileIds.set(body, id);
    return id;
  }

  function rowOf(sample: SampleInput): SampleRow {
    return sampleRow(
      sample,
      accountId(sample.accountId, sample.exchange),
      profileId(sampleProfileBody(sample)),
    );
  }

  const writeAll = db.transaction((samples: readonly SampleInput[]): number => {
    let added = 0;
    for (const sample of samples) {
      const row = rowOf(sample);
      if (insert.run(row).changes === 1) {
        keeper.add(row);
        added += 1;
      }
    }
    keeper.save();
    return added;
  });

  return {
    write(samples) {
      if (samples.length === 0) return 0;
      try {
        return writeAll(samples);
      } catch (err) {
        // The transaction rolled back: cached ids and rollups may describe rows that were never committed.
        accountIds.clear();
        profileIds.clear();
        keeper.reset();
        throw err;
      }
    },
    lastSampleTime(name) {
      const row = findAccount.get(name);
      if (!row) return null;
      return lastTime.get(row.id)?.t ?? null;
    },
    resetCache() {
      keeper.reset();
    },
  };
}
