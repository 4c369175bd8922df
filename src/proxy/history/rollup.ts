// Rollups: per account and period (1 min, 15 min, 4 h), the count, first and last time, the exact minimum,
// maximum and last level, the worst zone, and the last sample's bands, cushion and totals. They are kept up to
// date in the same transaction as the raw samples, so a query over a long range reads a few thousand rollup
// rows instead of millions of samples, and a dip is never averaged away: min and max are kept, not means.
import type { Database, Statement } from 'better-sqlite3';
import { Dec } from '../../domain/decimal.ts';
import { ROLLUP_PERIODS } from './schema.ts';

/** One raw sample as stored in `samples`. */
export interface SampleRow {
  accountId: number;
  /** Sample time, ms epoch. */
  t: number;
  /** The level exactly as the exchange wrote it (for a no-debt level, whatever the exchange sent). */
  levelText: string;
  /** Sort key only (see schema.ts levelKey); +Infinity means no debt. */
  levelKey: number;
  zone: number;
  cushion: string | null;
  profileId: number;
  assets: string | null;
  liabilities: string | null;
  equity: string | null;
  /** 1 when the recorder saw no data for this account for longer than its gap threshold before this sample. */
  gapBefore: number;
}

/** One row of `rollups`. */
export interface RollupRow {
  accountId: number;
  period: number;
  /** Period start, ms epoch, a multiple of `period`. */
  start: number;
  n: number;
  firstT: number;
  lastT: number;
  minText: string;
  minKey: number;
  maxText: string;
  maxKey: number;
  lastText: string;
  lastKey: number;
  lastZone: number;
  worstZone: number;
  lastCushion: string | null;
  lastProfile: number;
  lastAssets: string | null;
  lastLiabilities: string | null;
  lastEquity: string | null;
  /** 1 when any sample of the period follows a gap. */
  gap: number;
}

/**
 * Exact order of two stored levels. Rounding to a double never reverses an order, so different keys decide;
 * equal keys (no debt, or numbers equal to ~16 digits) fall back to the exact decimal text.
 */
export function compareLevels(aKey: number, aText: string, bKey: number, bText: string): number {
  if (aKey !== bKey) return aKey < bKey ? -1 : 1;
  if (!Number.isFinite(aKey)) return 0;
  return new Dec(aText).comparedTo(new Dec(bText));
}

/** Start of the period of length `period` that contains `t`. */
export function periodStart(t: number, period: number): number {
  return Math.floor(t / period) * period;
}

/** A rollup holding one sample. */
export function rollupOf(sample: SampleRow, period: number): RollupRow {
  return {
    accountId: sample.accountId,
    period,
    start: periodStart(sample.t, period),
    n: 1,
    firstT: sample.t,
    lastT: sample.t,
    minText: sample.levelText,
    minKey: sample.levelKey,
    maxText: sample.levelText,
    maxKey: sample.levelKey,
    lastText: sample.levelText,
    lastKey: sample.levelKey,
    lastZone: sample.zone,
    worstZone: sample.zone,
    lastCushion: sample.cushion,
    lastProfile: sample.profileId,
    lastAssets: sample.assets,
    lastLiabilities: sample.liabilities,
    lastEquity: sample.equity,
    gap: sample.gapBefore,
  };
}

/** Folds one sample (of the same account and period) into a rollup, in place. Order of arrival does not matter. */
export function mergeSample(rollup: RollupRow, sample: SampleRow): void {
  rollup.n += 1;
  if (sample.t < rollup.firstT) rollup.firstT = sample.t;
  if (compareLevels(sample.levelKey, sample.levelText, rollup.minKey, rollup.minText) < 0) {
    rollup.minKey = sample.levelKey;
    rollup.minText = sample.levelText;
  }
  if (compareLevels(sample.levelKey, sample.levelText, rollup.maxKey, rollup.maxText) > 0) {
    rollup.maxKey = sample.levelKey;
    rollup.maxText = sample.levelText;
  }
  if (sample.zone > rollup.worstZone) rollup.worstZone = sample.zone;
  if (sample.gapBefore > rollup.gap) rollup.gap = sample.gapBefore;
  if (sample.t >= rollup.lastT) {
    rollup.lastT = sample.t;
    rollup.lastText = sample.levelText;
    rollup.lastKey = sample.levelKey;
    rollup.lastZone = sample.zone;
    rollup.lastCushion = sample.cushion;
    rollup.lastProfile = sample.profileId;
    rollup.lastAssets = sample.assets;
    rollup.lastLiabilities = sample.liabilities;
    rollup.lastEquity = sample.equity;
  }
}

const ROLLUP_COLUMNS = `account_id AS accountId, period, start, n, first_t AS firstT, last_t AS lastT,
  min_text AS minText, min_key AS minKey, max_text AS maxText, max_key AS maxKey,
  last_text AS lastText, last_key AS lastKey, last_zone AS lastZone, worst_zone AS worstZone,
  last_cushion AS lastCushion, last_profile AS lastProfile, last_assets AS lastAssets,
  last_liabilities AS lastLiabilities, last_equity AS lastEquity, gap`;

/**
 * Keeps the rollups of a stream of new samples: the open period of each account and length stays in memory,
 * a period not in memory is read back from the database first (after a restart, or for a late sample), and
 * every period touched is written once per `save()`. Use inside the transaction that inserts the samples.
 */
export class RollupKeeper {
  private readonly open = new Map<string, RollupRow>();
  private readonly dirty = new Map<string, RollupRow>();
  private readonly select: Statement<[number, number, number], RollupRow>;
  private readonly upsert: Statement<RollupRow>;

  constructor(db: Database) {
    this.select = db.prepare(
      `SELECT ${ROLLUP_COLUMNS} FROM rollups WHERE account_id = ? AND period = ? AND start = ?`,
    );
    this.upsert = db.prepare(
      `INSERT OR REPLACE INTO rollups (account_id, period, start, n, first_t, last_t, min_text, min_key,
         max_text, max_key, last_text, last_key, last_zone, worst_zone, last_cushion, last_profile,
         last_assets, last_liabilities, last_equity, gap)
       VALUES (@accountId, @period, @start, @n, @firstT, @lastT, @minText, @minKey, @maxText, @maxKey,
         @lastText, @lastKey, @lastZone, @worstZone, @lastCushion, @lastProfile, @lastAssets,
         @lastLiabilities, @lastEquity, @gap)`,
    );
  }

  /** Folds a sample that was just inserted into every rollup period. */
  add(sample: SampleRow): void {
    for (const period of ROLLUP_PERIODS) {
      const start = periodStart(sample.t, period);
      const openKey = `${sample.accountId}/${period}`;
      const rowKey = `${openKey}/${start}`;
      let row = this.dirty.get(rowKey);
      if (!row) {
        const open = this.open.get(openKey);
        row = open && open.start === start ? open : this.select.get(sample.accountId, period, start);
      }
      if (row) mergeSample(row, sample);
      else row = rollupOf(sample, period);
      this.dirty.set(rowKey, row);
      const open = this.open.get(openKey);
      if (!open || open.start <= start) this.open.set(openKey, row);
    }
  }

  /** Writes every rollup touched since the last save. */
  save(): void {
    for (const row of this.dirty.values()) this.upsert.run(row);
    this.dirty.clear();
  }

  /** Forgets the in-memory periods (after a rollback, or when rows were deleted underneath). */
  reset(): void {
    this.open.clear();
    this.dirty.clear();
  }
}

/**
 * Columns of a table that can be rolled up, under common names: raw samples (each row one sample) or
 * rollups (each row a period). Used by rebuildRollups and by the history query.
 */
export interface SourceColumns {
  table: 'samples' | 'rollups';
  /** Time that places a row in a bucket. */
  at: string;
  n: string;
  firstT: string;
  lastT: string;
  minKey: string;
  minText: string;
  maxKey: string;
  maxText: string;
  lastText: string;
  lastKey: string;
  lastZone: string;
  worstZone: string;
  cushion: string;
  profile: string;
  assets: string;
  liabilities: string;
  equity: string;
  gap: string;
}

export const SAMPLE_SOURCE: SourceColumns = {
  table: 'samples',
  at: 't',
  n: '1',
  firstT: 't',
  lastT: 't',
  minKey: 'level_key',
  minText: 'level_text',
  maxKey: 'level_key',
  maxText: 'level_text',
  lastText: 'level_text',
  lastKey: 'level_key',
  lastZone: 'zone',
  worstZone: 'zone',
  cushion: 'cushion',
  profile: 'profile_id',
  assets: 'assets',
  liabilities: 'liabilities',
  equity: 'equity',
  gap: 'gap_before',
};

export const ROLLUP_SOURCE: SourceColumns = {
  table: 'rollups',
  at: 'start',
  n: 'n',
  firstT: 'first_t',
  lastT: 'last_t',
  minKey: 'min_key',
  minText: 'min_text',
  maxKey: 'max_key',
  maxText: 'max_text',
  lastText: 'last_text',
  lastKey: 'last_key',
  lastZone: 'last_zone',
  worstZone: 'worst_zone',
  cushion: 'last_cushion',
  profile: 'last_profile',
  assets: 'last_assets',
  liabilities: 'last_liabilities',
  equity: 'last_equity',
  gap: 'gap',
};

/**
 * Set-based rollup of `source` rows (matching `where`) into periods of `period` ms. Four GROUP BY passes
 * joined on (account, period start): SQLite returns the bare columns of a query with a single MIN() or MAX()
 * from the row holding that extreme, which yields the exact text of each period's min, max and last level.
 */
function rollupInsert(period: number, s: SourceColumns, where: string): string {
  // `p_start`, not `start`: GROUP BY would bind a bare `start` to the rollups column, not to this alias.
  const group = `SELECT account_id, (${s.at} / ${period}) * ${period} AS p_start`;
  const tail = `FROM ${s.table} ${where} GROUP BY account_id, p_start`;
  return `INSERT INTO rollups (account_id, period, start, n, first_t, last_t, min_text, min_key, max_text, max_key,
      last_text, last_key, last_zone, worst_zone, last_cushion, last_profile, last_assets, last_liabilities,
      last_equity, gap)
    SELECT account_id, ${period}, p_start, l.n, f.first_t, l.last_t, mn.text, mn.k, mx.text, mx.k, l.last_text,
      l.last_key, l.last_zone, f.worst, l.cushion, l.profile, l.assets, l.liabilities, l.equity, l.gap
    FROM (${group}, MAX(${s.lastT}) AS last_t, ${s.lastText} AS last_text, ${s.lastKey} AS last_key,
            ${s.lastZone} AS last_zone, ${s.cushion} AS cushion, ${s.profile} AS profile, ${s.assets} AS assets,
            ${s.liabilities} AS liabilities, ${s.equity} AS equity, SUM(${s.n}) AS n,
            TOTAL(${s.gap}) > 0 AS gap ${tail}) AS l
    JOIN (${group}, MIN(${s.firstT}) AS first_t, MAX(${s.worstZone}) AS worst ${tail}) AS f USING (account_id, p_start)
    JOIN (${group}, MIN(${s.minKey}) AS k, ${s.minText} AS text ${tail}) AS mn USING (account_id, p_start)
    JOIN (${group}, MAX(${s.maxKey}) AS k, ${s.maxText} AS text ${tail}) AS mx USING (account_id, p_start)`;
}

/**
 * SQL for the horizon of an account's history at `tier` (0: raw samples; 1: 1-minute rollups; 2: 15-minute
 * rollups): the start of the oldest data the tier still holds, aligned down to the period ROLLUP_PERIODS[tier]
 * (MAX_SAFE_INTEGER when the tier holds nothing). Rows of that period starting before the horizon are all that
 * remains of older history (raw samples are kept `history.rawDays`, 1-minute rollups MINUTE_ROLLUP_DAYS), and no
 * rebuild touches them. Deletions at each tier go by whole periods of the next one, so these rows lie wholly
 * before the horizon. `account` is the SQL expression of the account's row id.
 */
export function horizonSql(tier: number, account: string): string {
  const align = ROLLUP_PERIODS[tier];
  const finer = tier === 0 ? undefined : ROLLUP_PERIODS[tier - 1];
  if (align === undefined) throw new RangeError(`no rollup period above tier ${tier}`);
  const oldest =
    finer === undefined
      ? `SELECT (MIN(t) / ${align}) * ${align} FROM samples WHERE account_id = ${account}`
      : `SELECT (MIN(start) / ${align}) * ${align} FROM rollups WHERE account_id = ${account} AND period = ${finer}`;
  return `COALESCE((${oldest}), ${Number.MAX_SAFE_INTEGER})`;
}

/**
 * Recomputes the rollups from the raw samples (a migration step, and a repair tool), set-based in SQL: the
 * finest period from the samples, each coarser one from the one below. Rollups older than the horizon of the tier
 * they are built from (see horizonSql: history whose raw samples or 1-minute rollups were deleted with age) are
 * kept as they are and feed the coarser periods. With `accountIds`, only those accounts' rollups are rebuilt and every other row is left as it
 * is. Levels equal as doubles (beyond ~15 significant digits) may yield either exact text here, where live
 * recording compares them exactly.
 */
export function rebuildRollups(db: Database, accountIds?: readonly number[]): void {
  const steps = ROLLUP_PERIODS.map((period, tier) => {
    const finer = ROLLUP_PERIODS[tier - 1];
    const source = finer === undefined ? SAMPLE_SOURCE : ROLLUP_SOURCE;
    const sourceWhere = finer === undefined ? [] : [`period = ${finer}`];
    if (accountIds === undefined) {
      return [
        db.prepare(
          `DELETE FROM rollups WHERE period = ${period} AND start >= ${horizonSql(tier, 'rollups.account_id')}`,
        ),
        db.prepare(
          rollupInsert(period, source, sourceWhere.length ? `WHERE ${sourceWhere.join(' AND ')}` : ''),
        ),
      ];
    }
    return [
      db.prepare(
        `DELETE FROM rollups WHERE account_id = @account AND period = ${period}
           AND start >= ${horizonSql(tier, '@account')}`,
      ),
      db.prepare(
        rollupInsert(period, source, `WHERE ${[...sourceWhere, 'account_id = @account'].join(' AND ')}`),
      ),
    ];
  });
  if (accountIds === undefined) {
    for (const step of steps.flat()) step.run();
    return;
  }
  for (const account of accountIds) for (const step of steps.flat()) step.run({ account });
}
