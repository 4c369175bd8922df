// History queries: the samples of one account in [from, to], grouped in SQL into at most `maxPoints` buckets of
// equal width. Each bucket carries the exact minimum, maximum and last level (texts as recorded), the worst
// zone reached, and the bands, cushion and totals of its last sample — so a dip toward liquidation is never
// averaged away, however long the range.
//
// Source: raw samples when the range holds at most ROW_BUDGET (20,000) of them; otherwise the finest rollup
// period (1 min, 15 min, 4 h) not wider than a bucket that keeps the query within that budget. Rollup buckets are
// whole multiples of the period, aligned to it, so the first and last bucket can reach up to one period beyond
// [from, to] (their `start`/`end` say so). A range reaching back before the account's oldest raw sample, where only
// rollups remain (raw samples are kept `history.rawDays`), is read from the rollups, 1 min at the finest (15 min
// where the 1-minute rollups were compacted too).
//
// Min and max are chosen in SQL by the REAL sort key and returned as the exact text of the chosen row. Two
// levels that differ only beyond ~15 significant digits compare equal there and either text may be returned.
import type { Database, Statement } from 'better-sqlite3';
import type { RiskZone } from '../../domain/model.ts';
import type { HistoryDb } from '../db/open.ts';
import { ROLLUP_SOURCE, SAMPLE_SOURCE, type SourceColumns } from './rollup.ts';
import { ROLLUP_PERIODS, parseProfileBody, zoneFromCode, type Profile } from './schema.ts';

/** Largest `maxPoints` accepted: the chart never needs more than ~1,000 points per series. */
export const MAX_POINTS_LIMIT = 1000;
export const MIN_POINTS_LIMIT = 2;

export interface HistoryRequest {
  accountId: string;
  /** ms epoch, inclusive; default the account's first sample. */
  from?: number;
  /** ms epoch, inclusive; default `now`. */
  to?: number;
  maxPoints: number;
  now: number;
}

/** A level as returned: exact text; `no-debt` when the account had nothing borrowed (never shown as 0). */
export interface LevelDto {
  kind: 'value' | 'no-debt';
  text: string;
}

export interface BucketDto {
  /** Bucket start (inclusive) and end (exclusive), ms epoch. */
  start: number;
  end: number;
  /** Times of the first and last sample in the bucket. */
  firstAt: number;
  lastAt: number;
  /** Number of samples. */
  count: number;
  min: LevelDto;
  max: LevelDto;
  last: LevelDto;
  /** Zone of the last sample. */
  zone: RiskZone;
  /** Worst zone of any sample in the bucket. */
  worstZone: RiskZone;
  /** Cushion of the last sample (fraction, 8 decimal places), or null when unknown. */
  cushion: string | null;
  /** Index into `profiles`: the unit, bands and totals currency in force at the bucket's last sample. */
  profile: number;
  /** Totals of the last sample, in the profile's currency. */
  assets: string | null;
  liabilities: string | null;
  equity: string | null;
  /** True when the account sent nothing for longer than its gap threshold before a sample of this bucket. */
  gapBefore: boolean;
}

export type HistorySource = 'samples' | '1m' | '15m' | '4h';

export interface HistoryResult {
  accountId: string;
  from: number;
  to: number;
  /** Width of every bucket, ms. */
  bucketMs: number;
  source: HistorySource;
  profiles: Profile[];
  buckets: BucketDto[];
}

const SOURCE_NAMES: Readonly<Record<number, HistorySource>> = {
  60_000: '1m',
  900_000: '15m',
  14_400_000: '4h',
};

interface Params {
  account: number;
  period: number;
  lo: number;
  hi: number;
  origin: number;
  width: number;
}

interface LastRow {
  b: number;
  lastAt: number;
  lastText: string;
  lastKey: number;
  lastZone: number;
  cushion: string | null;
  profile: number;
  assets: string | null;
  liabilities: string | null;
  equity: string | null;
  count: number;
  gaps: number;
}
interface ExtremeRow {
  b: number;
  k: number;
  text: string;
}
interface SpanRow {
  b: number;
  firstAt: number;
  worst: number;
}

interface SourceStatements {
  last: Statement<Params, LastRow>;
  min: Statement<Params, ExtremeRow>;
  max: Statement<Params, ExtremeRow>;
  span: Statement<Params, SpanRow>;
}

/**
 * Four GROUP BY queries over the same rows. SQLite returns the other ("bare") columns of a query with a
 * single MIN() or MAX() from the row holding that extreme, which gives the exact text of each bucket's
 * minimum, maximum and last sample without a second pass.
 */
function prepareSource(db: Database, s: SourceColumns, where: string): SourceStatements {
  // Parameters arrive as REAL (better-sqlite3 binds JS numbers as doubles): cast for integer division.
  const b = `(${s.at} - CAST(@origin AS INTEGER)) / CAST(@width AS INTEGER)`;
  const tail = `FROM ${s.table} WHERE ${where} GROUP BY b ORDER BY b`;
  return {
    last: db.prepare(
      `SELECT ${b} AS b, MAX(${s.lastT}) AS lastAt, ${s.lastText} AS lastText, ${s.lastKey} AS lastKey,
         ${s.lastZone} AS lastZone, ${s.cushion} AS cushion, ${s.profile} AS profile, ${s.assets} AS assets,
         ${s.liabilities} AS liabilities, ${s.equity} AS equity, SUM(${s.n}) AS count, TOTAL(${s.gap}) AS gaps
       ${tail}`,
    ),
    min: db.prepare(`SELECT ${b} AS b, MIN(${s.minKey}) AS k, ${s.minText} AS text ${tail}`),
    max: db.prepare(`SELECT ${b} AS b, MAX(${s.maxKey}) AS k, ${s.maxText} AS text ${tail}`),
    span: db.prepare(`SELECT ${b} AS b, MIN(${s.firstT}) AS firstAt, MAX(${s.worstZone}) AS worst ${tail}`),
  };
}

/** One bucket's figures as a store reads them: `b` is the bucket's index from the plan's origin. */
export interface BucketRow {
  b: number;
  firstAt: number;
  lastAt: number;
  count: number;
  minKey: number;
  minText: string;
  maxKey: number;
  maxText: string;
  lastKey: number;
  lastText: string;
  lastZone: number;
  worst: number;
  cushion: string | null;
  profile: number;
  assets: string | null;
  liabilities: string | null;
  equity: string | null;
  gaps: number;
}

/** The API's bucket of a row, `profile` being the index of its profile in the answer: one shape for every store. */
export function bucketOf(plan: BucketPlan, row: BucketRow, profile: number): BucketDto {
  const start = plan.origin + row.b * plan.width;
  return {
    start,
    end: start + plan.width,
    firstAt: row.firstAt,
    lastAt: row.lastAt,
    count: row.count,
    min: levelDto(row.minKey, row.minText),
    max: levelDto(row.maxKey, row.maxText),
    last: levelDto(row.lastKey, row.lastText),
    zone: zoneFromCode(row.lastZone),
    worstZone: zoneFromCode(row.worst),
    cushion: row.cushion,
    profile,
    assets: row.assets,
    liabilities: row.liabilities,
    equity: row.equity,
    gapBefore: row.gaps > 0,
  };
}

/** The answer's name of a source period (0: raw samples). */
export function sourceName(period: number): HistorySource {
  return SOURCE_NAMES[period] ?? 'samples';
}

/** The range a request asks for: `to` defaults to now, `from` to the account's first sample (`first`). */
export function requestRange(
  request: HistoryRequest,
  first: number | null,
): { from: number; to: number; maxPoints: number } {
  const to = request.to ?? request.now;
  const from = request.from ?? (first !== null ? Math.min(first, to) : to);
  if (from > to) throw new RangeError(`from (${from}) is after to (${to})`);
  const maxPoints = Math.min(Math.max(Math.trunc(request.maxPoints), MIN_POINTS_LIMIT), MAX_POINTS_LIMIT);
  return { from, to, maxPoints };
}

function levelDto(key: number, text: string): LevelDto {
  return { kind: key === Number.POSITIVE_INFINITY ? 'no-debt' : 'value', text };
}

/**
 * Rows a query should read at most when it has the choice: the finest source (raw samples, then 1 min, 15 min,
 * 4 h rollups) expected to stay under this is used.
 */
export const ROW_BUDGET = 20_000;

/** How a range is bucketed: source period (0 = raw samples), origin and bucket width. */
export interface BucketPlan {
  period: number;
  origin: number;
  width: number;
}

/**
 * Chooses the source and bucket width for [from, to] so that there are at most `maxPoints` buckets. The
 * source is the finest one expected to read at most ROW_BUDGET rows (raw samples: `samples`, the estimated
 * number of samples in the range; a rollup: one row per period) among those not wider than an ideal bucket;
 * when none fits the budget, the coarsest of those. Rollup buckets are whole periods wide, aligned to the
 * period, so the width is at most twice the ideal (≥ maxPoints / 2 buckets). With `minPeriod` (the range reaches
 * where only rollups remain) the source is a rollup period of at least that length, even when fewer buckets result.
 */
export function planBuckets(
  from: number,
  to: number,
  maxPoints: number,
  samples = 0,
  rowBudget = ROW_BUDGET,
  minPeriod = 0,
): BucketPlan {
  const span = to - from + 1;
  const ideal = Math.ceil(span / maxPoints);
  const allowed = ROLLUP_PERIODS.filter((p) => p <= ideal && p >= minPeriod);
  const fits = (p: number): boolean => Math.min(samples, Math.ceil(span / p) + 1) <= rowBudget;
  let period = 0;
  if (minPeriod > 0) {
    period = allowed.find(fits) ?? allowed[allowed.length - 1] ?? minPeriod;
  } else if (samples > rowBudget && allowed.length > 0) {
    period = allowed.find(fits) ?? allowed[allowed.length - 1] ?? 0;
  }
  const unit = Math.max(period, 1);
  const origin = Math.floor(from / unit) * unit;
  const width = Math.ceil(Math.ceil((to - origin + 1) / maxPoints) / unit) * unit;
  return { period, origin, width };
}

/** Runs history queries against one database (prepared statements are reused). */
export interface HistoryReader {
  query(request: HistoryRequest): HistoryResult;
}

export interface ReaderOptions {
  /** Rows a query may read when it has the choice (default ROW_BUDGET); tests lower it to exercise rollups. */
  rowBudget?: number;
}

export function createReader(history: HistoryDb, options: ReaderOptions = {}): HistoryReader {
  const rowBudget = options.rowBudget ?? ROW_BUDGET;
  const db = history.sqlite;
  const raw = prepareSource(db, SAMPLE_SOURCE, 'account_id = @account AND t >= @lo AND t <= @hi');
  const rollup = prepareSource(
    db,
    ROLLUP_SOURCE,
    'account_id = @account AND period = @period AND start >= @lo AND start <= @hi',
  );
  const findAccount = db.prepare<[string], { id: number }>('SELECT id FROM accounts WHERE name = ?');
  const firstSample = db.prepare<[number], { first: number | null }>(
    'SELECT MIN(t) AS first FROM samples WHERE account_id = ?',
  );
  const coarsest = Math.max(...ROLLUP_PERIODS);
  const firstRollup = db.prepare<[number, number], { first: number; start: number }>(
    'SELECT first_t AS first, start FROM rollups WHERE account_id = ? AND period = ? ORDER BY start LIMIT 1',
  );
  const newestBefore = db.prepare<[number, number, number], { last: number }>(
    'SELECT last_t AS last FROM rollups WHERE account_id = ? AND period = ? AND start < ? ORDER BY start DESC LIMIT 1',
  );

  /**
   * The finest source that holds all of the account's history from `from` on: raw samples (0) unless rollups lie
   * wholly before the oldest raw sample (their samples were deleted after `rawDays`) and reach `from`; then the
   * 1-minute rollups unless coarser rows lie wholly before them (compacted 1-minute rollups) and reach `from`; …
   */
  function finestComplete(account: number, rawFirst: number | null, from: number): number {
    for (const tier of ROLLUP_PERIODS.keys()) {
      const finer = ROLLUP_PERIODS[tier - 1];
      const oldest = finer === undefined ? rawFirst : (firstRollup.get(account, finer)?.start ?? null);
      const reachesFrom = ROLLUP_PERIODS.slice(tier).some((coarser) => {
        const horizon = oldest === null ? Number.MAX_SAFE_INTEGER : Math.floor(oldest / coarser) * coarser;
        return (newestBefore.get(account, coarser, horizon)?.last ?? Number.NEGATIVE_INFINITY) >= from;
      });
      if (!reachesFrom) return finer ?? 0;
    }
    return coarsest;
  }

  const profileBody = db.prepare<[number], { body: string }>('SELECT body FROM profiles WHERE id = ?');
  const estimate = db.prepare<[number, number, number, number], { n: number | null }>(
    'SELECT SUM(n) AS n FROM rollups WHERE account_id = ? AND period = ? AND start >= ? AND start <= ?',
  );

  function query(request: HistoryRequest): HistoryResult {
    const account = findAccount.get(request.accountId);
    const rawFirst = account ? (firstSample.get(account.id)?.first ?? null) : null;
    let first: number | null = null;
    if (request.from === undefined) {
      const rolledFirst = account ? firstRollup.get(account.id, coarsest)?.first : undefined;
      const earliest = Math.min(
        rawFirst ?? Number.POSITIVE_INFINITY,
        rolledFirst ?? Number.POSITIVE_INFINITY,
      );
      first = Number.isFinite(earliest) ? earliest : null;
    }
    const { from, to, maxPoints } = requestRange(request, first);
    // Samples in the range, over-estimated by at most two 4-hour periods: a few hundred rows at most.
    const samples = account
      ? (estimate.get(account.id, coarsest, Math.floor(from / coarsest) * coarsest, to)?.n ?? 0)
      : 0;
    const minPeriod = account ? finestComplete(account.id, rawFirst, from) : 0;
    const plan = planBuckets(from, to, maxPoints, samples, rowBudget, minPeriod);
    const result: HistoryResult = {
      accountId: request.accountId,
      from,
      to,
      bucketMs: plan.width,
      source: sourceName(plan.period),
      profiles: [],
      buckets: [],
    };
    if (!account) return result;

    const statements = plan.period === 0 ? raw : rollup;
    const params: Params = {
      account: account.id,
      period: plan.period,
      lo: plan.period === 0 ? from : plan.origin,
      hi: to,
      origin: plan.origin,
      width: plan.width,
    };
    const read = db.transaction(() => ({
      last: statements.last.all(params),
      min: statements.min.all(params),
      max: statements.max.all(params),
      span: statements.span.all(params),
    }));
    const rows = read();
    const minBy = new Map(rows.min.map((r) => [r.b, r]));
    const maxBy = new Map(rows.max.map((r) => [r.b, r]));
    const spanBy = new Map(rows.span.map((r) => [r.b, r]));
    const profileIndex = new Map<number, number>();

    for (const last of rows.last) {
      const min = minBy.get(last.b);
      const max = maxBy.get(last.b);
      const span = spanBy.get(last.b);
      if (!min || !max || !span) continue;
      let profile = profileIndex.get(last.profile);
      if (profile === undefined) {
        profile = result.profiles.length;
        profileIndex.set(last.profile, profile);
        const body = profileBody.get(last.profile)?.body;
        result.profiles.push(
          body === undefined ? { unit: null, bands: [], currency: null } : parseProfileBody(body),
        );
      }
      result.buckets.push(
        bucketOf(
          plan,
          {
            ...last,
            firstAt: span.firstAt,
            worst: span.worst,
            minKey: min.k,
            minText: min.text,
            maxKey: max.k,
            maxText: max.text,
          },
          profile,
        ),
      );
    }
    return result;
  }

  return { query };
}
