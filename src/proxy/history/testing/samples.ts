// Builders shared by the history tests and the benchmark: snapshots with VALR-like bands, bulk sample loads.
import type { Database } from 'better-sqlite3';
import { dec } from '../../../domain/decimal.ts';
import type { Band, Level, LevelUnit, MarginSnapshot } from '../../../domain/model.ts';
import { NO_DEBT, RATIO_BANDS, levelOf, snapshotOf } from '../../../domain/testing/snapshots.ts';
import { ZONE_CODES, profileBody, profileOf } from '../schema.ts';

export { NO_DEBT, levelOf };

export const TEST_UNIT: LevelUnit = { name: 'Margin fraction', kind: 'fraction' };

/** caution below 1.5, liquidation below 1.1, takeover below 1.05. */
export const TEST_BANDS: Band[] = RATIO_BANDS;

/** A VALR-like snapshot with the test bands and totals (the shared builder derives zone and cushion). */
export function snapshotAt(
  accountId: string,
  time: number,
  level: Level | null,
  bands: Band[] = TEST_BANDS,
): MarginSnapshot {
  return snapshotOf({
    accountId,
    exchange: 'valr',
    time,
    level,
    unit: TEST_UNIT,
    bands,
    totals: { currency: 'USDC', assets: dec('1000.50'), liabilities: dec('400'), decimals: 2 },
  });
}

/**
 * Inserts `count` samples of one account straight into `samples` in SQL (fast: for large fixtures), one every
 * `stepMs` from `start`, level "2.xxxx" cycling between 2.0000 and 2.9999, caution/liquidation/takeover bands
 * of TEST_BANDS. Returns the account's row id. Rollups are NOT updated: call rebuildRollups afterwards.
 */
export function bulkLoad(db: Database, name: string, start: number, count: number, stepMs: number): number {
  db.prepare('INSERT OR IGNORE INTO accounts (name, exchange) VALUES (?, ?)').run(name, 'valr');
  const account = db.prepare<[string], { id: number }>('SELECT id FROM accounts WHERE name = ?').get(name);
  if (!account) throw new Error('account row missing');
  const body = profileBody(profileOf(TEST_UNIT, TEST_BANDS, { currency: 'USDC', decimals: 2 }));
  db.prepare('INSERT OR IGNORE INTO profiles (body) VALUES (?)').run(body);
  const profile = db.prepare<[string], { id: number }>('SELECT id FROM profiles WHERE body = ?').get(body);
  if (!profile) throw new Error('profile row missing');
  db.prepare(
    `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < @count)
     INSERT INTO samples (account_id, t, level_text, level_key, zone, cushion, profile_id, assets, liabilities,
       equity, gap_before)
     SELECT @account, @start + i * @step, printf('2.%04d', (i * 7919) % 10000), 2 + ((i * 7919) % 10000) / 10000.0,
       @safe, NULL, @profile, '1000.50', '400', NULL, 0
     FROM seq`,
  ).run({ account: account.id, start, step: stepMs, count, profile: profile.id, safe: ZONE_CODES.safe });
  return account.id;
}
