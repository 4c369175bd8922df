// The history store over the one query layer (../db/sql.ts): the same samples, rollups, retention tiers and
// bucketed history query on SQLite and on PostgreSQL, written once. Its answers are those of the SQLite reader
// (./query.ts) field for field: the same plan (planBuckets and the tier horizons), the same encodings
// (./writer.ts sampleRow, ./rollup.ts mergeSample), and the same bucket shape (./query.ts bucketOf).
//
// The bucketed min/max/last query uses window functions, which both engines run: per bucket, the row with the
// smallest sort key (ties: the earliest), the largest (ties: the earliest) and the newest give the exact texts.
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { SqlDatabase, Tables } from '../db/sql.ts';
import {
  ROW_BUDGET,
  bucketOf,
  planBuckets,
  requestRange,
  sourceName,
  type BucketRow,
  type HistoryRequest,
  type HistoryResult,
} from './query.ts';
import {
  ROLLUP_SOURCE,
  SAMPLE_SOURCE,
  mergeSample,
  periodStart,
  rollupOf,
  type RollupRow,
  type SampleRow,
  type SourceColumns,
} from './rollup.ts';
import { ROLLUP_PERIODS, parseProfileBody } from './schema.ts';
import { sampleProfileBody, sampleRow, type SampleInput } from './writer.ts';

const DAY_MS = 86_400_000;
/** Rows per INSERT statement (PostgreSQL allows 65,535 parameters; SQLite 32,766). */
const INSERT_CHUNK = 500;
/** Retention deletes at most this much time of one account per transaction. */
const PRUNE_SLICE_MS = 6 * 3_600_000;

export interface RetentionTiers {
  retentionDays: number;
  rawDays: number;
  minuteRollupDays: number;
}

export interface HistoryStore {
  /** Inserts the samples and updates their rollups in one transaction (all or nothing); returns how many were new. */
  write(samples: readonly SampleInput[]): Promise<number>;
  /** Time of the newest stored sample of an account, or null. */
  lastSampleTime(accountId: string): Promise<number | null>;
  query(request: HistoryRequest): Promise<HistoryResult>;
  /**
   * Applies the retention tiers as of `at`; returns the number of raw samples deleted. With `signal`, stops between
   * two statements once it is aborted (the proxy stopping), leaving the rest for the next pruning.
   */
  prune(at: number, tiers: RetentionTiers, signal?: AbortSignal): Promise<number>;
}

export interface SqlHistoryOptions {
  /** Rows a query may read when it has the choice (default ROW_BUDGET). */
  rowBudget?: number;
  /**
   * The accounts whose history this store prunes (a database shared by several proxies holds the others' too, and
   * each proxy prunes only its own with its own retention). Absent: every account's.
   */
  accounts?: readonly string[];
}

type Db = Kysely<Tables> | Transaction<Tables>;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function rollupRecord(row: RollupRow): Tables['rollups'] {
  return {
    account_id: row.accountId,
    period: row.period,
    start: row.start,
    n: row.n,
    first_t: row.firstT,
    last_t: row.lastT,
    min_text: row.minText,
    min_key: row.minKey,
    max_text: row.maxText,
    max_key: row.maxKey,
    last_text: row.lastText,
    last_key: row.lastKey,
    last_zone: row.lastZone,
    worst_zone: row.worstZone,
    last_cushion: row.lastCushion,
    last_profile: row.lastProfile,
    last_assets: row.lastAssets,
    last_liabilities: row.lastLiabilities,
    last_equity: row.lastEquity,
    gap: row.gap,
  };
}

function rollupFromRecord(r: Tables['rollups']): RollupRow {
  return {
    accountId: r.account_id,
    period: r.period,
    start: r.start,
    n: r.n,
    firstT: r.first_t,
    lastT: r.last_t,
    minText: r.min_text,
    minKey: r.min_key,
    maxText: r.max_text,
    maxKey: r.max_key,
    lastText: r.last_text,
    lastKey: r.last_key,
    lastZone: r.last_zone,
    worstZone: r.worst_zone,
    lastCushion: r.last_cushion,
    lastProfile: r.last_profile,
    lastAssets: r.last_assets,
    lastLiabilities: r.last_liabilities,
    lastEquity: r.last_equity,
    gap: r.gap,
  };
}

/** Folds newly inserted samples into every rollup period: the touched rows are read, merged and written back. */
async function foldRollups(trx: Transaction<Tables>, added: readonly SampleRow[]): Promise<void> {
  const byAccount = new Map<number, SampleRow[]>();
  for (const row of added) {
    const list = byAccount.get(row.accountId) ?? [];
    list.push(row);
    byAccount.set(row.accountId, list);
  }
  const touched: RollupRow[] = [];
  for (const [accountId, rows] of byAccount) {
    rows.sort((a, b) => a.t - b.t);
    for (const period of ROLLUP_PERIODS) {
      const starts = [...new Set(rows.map((r) => periodStart(r.t, period)))];
      const existing = await trx
        .selectFrom('rollups')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('period', '=', period)
        .where('start', 'in', starts)
        .execute();
      const byStart = new Map(existing.map((r) => [r.start, rollupFromRecord(r)]));
      for (const sample of rows) {
        const start = periodStart(sample.t, period);
        const row = byStart.get(start);
        if (row) mergeSample(row, sample);
        else byStart.set(start, rollupOf(sample, period));
      }
      touched.push(...byStart.values());
    }
  }
  for (const part of chunks(touched, INSERT_CHUNK / 2)) {
    await trx
      .insertInto('rollups')
      .values(part.map(rollupRecord))
      .onConflict((oc) =>
        oc.columns(['account_id', 'period', 'start']).doUpdateSet((eb) => ({
          n: eb.ref('excluded.n'),
          first_t: eb.ref('excluded.first_t'),
          last_t: eb.ref('excluded.last_t'),
          min_text: eb.ref('excluded.min_text'),
          min_key: eb.ref('excluded.min_key'),
          max_text: eb.ref('excluded.max_text'),
          max_key: eb.ref('excluded.max_key'),
          last_text: eb.ref('excluded.last_text'),
          last_key: eb.ref('excluded.last_key'),
          last_zone: eb.ref('excluded.last_zone'),
          worst_zone: eb.ref('excluded.worst_zone'),
          last_cushion: eb.ref('excluded.last_cushion'),
          last_profile: eb.ref('excluded.last_profile'),
          last_assets: eb.ref('excluded.last_assets'),
          last_liabilities: eb.ref('excluded.last_liabilities'),
          last_equity: eb.ref('excluded.last_equity'),
          gap: eb.ref('excluded.gap'),
        })),
      )
      .execute();
  }
}

/** The bucketed query of one source, written once: see the module header. */
function bucketSql(
  s: SourceColumns,
  where: RawBuilder<unknown>,
  origin: number,
  width: number,
): RawBuilder<BucketRow> {
  const c = (name: string): RawBuilder<unknown> => sql.raw(name);
  return sql<BucketRow>`
    WITH src AS (
      SELECT (${c(s.at)} - CAST(${origin} AS BIGINT)) / CAST(${width} AS BIGINT) AS b,
        ${c(s.n)} AS n, ${c(s.firstT)} AS first_t, ${c(s.lastT)} AS last_t,
        ${c(s.minKey)} AS min_key, ${c(s.minText)} AS min_text, ${c(s.maxKey)} AS max_key,
        ${c(s.maxText)} AS max_text, ${c(s.lastKey)} AS last_key, ${c(s.lastText)} AS last_text,
        ${c(s.lastZone)} AS last_zone, ${c(s.worstZone)} AS worst_zone, ${c(s.cushion)} AS cushion,
        ${c(s.profile)} AS profile, ${c(s.assets)} AS assets, ${c(s.liabilities)} AS liabilities,
        ${c(s.equity)} AS equity, ${c(s.gap)} AS gap
      FROM ${c(s.table)} WHERE ${where}
    ), ranked AS (
      SELECT src.*,
        ROW_NUMBER() OVER (PARTITION BY b ORDER BY last_t DESC) AS r_last,
        ROW_NUMBER() OVER (PARTITION BY b ORDER BY min_key ASC, first_t ASC) AS r_min,
        ROW_NUMBER() OVER (PARTITION BY b ORDER BY max_key DESC, first_t ASC) AS r_max
      FROM src
    )
    SELECT b,
      MIN(first_t) AS "firstAt", MAX(last_t) AS "lastAt",
      CAST(SUM(n) AS BIGINT) AS "count", CAST(SUM(gap) AS BIGINT) AS "gaps", MAX(worst_zone) AS "worst",
      MAX(CASE WHEN r_min = 1 THEN min_key END) AS "minKey", MAX(CASE WHEN r_min = 1 THEN min_text END) AS "minText",
      MAX(CASE WHEN r_max = 1 THEN max_key END) AS "maxKey", MAX(CASE WHEN r_max = 1 THEN max_text END) AS "maxText",
      MAX(CASE WHEN r_last = 1 THEN last_key END) AS "lastKey",
      MAX(CASE WHEN r_last = 1 THEN last_text END) AS "lastText",
      MAX(CASE WHEN r_last = 1 THEN last_zone END) AS "lastZone",
      MAX(CASE WHEN r_last = 1 THEN cushion END) AS "cushion",
      MAX(CASE WHEN r_last = 1 THEN profile END) AS "profile",
      MAX(CASE WHEN r_last = 1 THEN assets END) AS "assets",
      MAX(CASE WHEN r_last = 1 THEN liabilities END) AS "liabilities",
      MAX(CASE WHEN r_last = 1 THEN equity END) AS "equity"
    FROM ranked GROUP BY b ORDER BY b`;
}

/** The history store of a database (SQLite or PostgreSQL). */
export function createSqlHistoryStore(database: SqlDatabase, options: SqlHistoryOptions = {}): HistoryStore {
  const { db } = database;
  const rowBudget = options.rowBudget ?? ROW_BUDGET;
  const coarsest = Math.max(...ROLLUP_PERIODS);
  const [finest, quarter] = ROLLUP_PERIODS;
  const accountIds = new Map<string, number>();
  const profileIds = new Map<string, number>();

  /**
   * Ids found or created by the transaction in progress: they join the shared caches only once it has committed,
   * so a write running beside it (a retry of one that timed out) never uses an id that may yet be rolled back.
   */
  interface Pending {
    accounts: Map<string, number>;
    profiles: Map<string, number>;
  }

  async function accountId(trx: Db, pending: Pending, name: string, exchange: string): Promise<number> {
    const cached = accountIds.get(name) ?? pending.accounts.get(name);
    if (cached !== undefined) return cached;
    await trx
      .insertInto('accounts')
      .values({ name, exchange })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const row = await trx
      .selectFrom('accounts')
      .select('id')
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    pending.accounts.set(name, row.id);
    return row.id;
  }

  async function profileId(trx: Db, pending: Pending, body: string): Promise<number> {
    const cached = profileIds.get(body) ?? pending.profiles.get(body);
    if (cached !== undefined) return cached;
    await trx
      .insertInto('profiles')
      .values({ body })
      .onConflict((oc) => oc.column('body').doNothing())
      .execute();
    const row = await trx
      .selectFrom('profiles')
      .select('id')
      .where('body', '=', body)
      .executeTakeFirstOrThrow();
    pending.profiles.set(body, row.id);
    return row.id;
  }

  async function findAccount(name: string): Promise<number | null> {
    const row = await db.selectFrom('accounts').select('id').where('name', '=', name).executeTakeFirst();
    return row?.id ?? null;
  }

  async function write(samples: readonly SampleInput[]): Promise<number> {
    if (samples.length === 0) return 0;
    const pending: Pending = { accounts: new Map(), profiles: new Map() };
    const written = await db.transaction().execute(async (trx) => {
      const rows: SampleRow[] = [];
      const seen = new Set<string>();
      for (const sample of samples) {
        const row = sampleRow(
          sample,
          await accountId(trx, pending, sample.accountId, sample.exchange),
          await profileId(trx, pending, sampleProfileBody(sample)),
        );
        // The first of two samples of one instant wins, as a second INSERT of the same key would be ignored.
        const key = `${row.accountId}/${row.t}`;
        if (seen.has(key)) continue;
        seen.add(key);
        rows.push(row);
      }
      const added: SampleRow[] = [];
      for (const part of chunks(rows, INSERT_CHUNK)) {
        const inserted = await trx
          .insertInto('samples')
          .values(
            part.map((r) => ({
              account_id: r.accountId,
              t: r.t,
              level_text: r.levelText,
              level_key: r.levelKey,
              zone: r.zone,
              cushion: r.cushion,
              profile_id: r.profileId,
              assets: r.assets,
              liabilities: r.liabilities,
              equity: r.equity,
              gap_before: r.gapBefore,
            })),
          )
          .onConflict((oc) => oc.columns(['account_id', 't']).doNothing())
          .returning(['account_id', 't'])
          .execute();
        const fresh = new Set(inserted.map((r) => `${r.account_id}/${r.t}`));
        for (const r of part) if (fresh.has(`${r.accountId}/${r.t}`)) added.push(r);
      }
      await foldRollups(trx, added);
      return added.length;
    });
    for (const [name, id] of pending.accounts) accountIds.set(name, id);
    for (const [body, id] of pending.profiles) profileIds.set(body, id);
    return written;
  }

  async function firstRollup(
    account: number,
    period: number,
  ): Promise<{ first: number; start: number } | null> {
    const row = await db
      .selectFrom('rollups')
      .select(['first_t', 'start'])
      .where('account_id', '=', account)
      .where('period', '=', period)
      .orderBy('start')
      .limit(1)
      .executeTakeFirst();
    return row ? { first: row.first_t, start: row.start } : null;
  }

  /** As ./query.ts finestComplete: the finest source holding all of the account's history from `from` on. */
  async function finestComplete(account: number, rawFirst: number | null, from: number): Promise<number> {
    for (const tier of ROLLUP_PERIODS.keys()) {
      const finer = ROLLUP_PERIODS[tier - 1];
      const oldest = finer === undefined ? rawFirst : ((await firstRollup(account, finer))?.start ?? null);
      let reaches = false;
      for (const coarser of ROLLUP_PERIODS.slice(tier)) {
        const horizon = oldest === null ? Number.MAX_SAFE_INTEGER : Math.floor(oldest / coarser) * coarser;
        const older = await db
          .selectFrom('rollups')
          .select('last_t')
          .where('account_id', '=', account)
          .where('period', '=', coarser)
          .where('start', '<', horizon)
          .orderBy('start', 'desc')
          .limit(1)
          .executeTakeFirst();
        if (older !== undefined && older.last_t >= from) {
          reaches = true;
          break;
        }
      }
      if (!reaches) return finer ?? 0;
    }
    return coarsest;
  }

  async function query(request: HistoryRequest): Promise<HistoryResult> {
    const account = await findAccount(request.accountId);
    let rawFirst: number | null = null;
    if (account !== null) {
      const row = await db
        .selectFrom('samples')
        .select((eb) => eb.fn.min('t').as('first'))
        .where('account_id', '=', account)
        .executeTakeFirst();
      rawFirst = row?.first ?? null;
    }
    let first: number | null = null;
    if (request.from === undefined && account !== null) {
      const rolled = await firstRollup(account, coarsest);
      const earliest = Math.min(
        rawFirst ?? Number.POSITIVE_INFINITY,
        rolled?.first ?? Number.POSITIVE_INFINITY,
      );
      first = Number.isFinite(earliest) ? earliest : null;
    }
    const { from, to, maxPoints } = requestRange(request, first);
    let samples = 0;
    if (account !== null) {
      const row = await db
        .selectFrom('rollups')
        .select((eb) => eb.fn.sum<number | null>('n').as('n'))
        .where('account_id', '=', account)
        .where('period', '=', coarsest)
        .where('start', '>=', Math.floor(from / coarsest) * coarsest)
        .where('start', '<=', to)
        .executeTakeFirst();
      samples = Number(row?.n ?? 0);
    }
    const minPeriod = account !== null ? await finestComplete(account, rawFirst, from) : 0;
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
    if (account === null) return result;

    const where =
      plan.period === 0
        ? sql`account_id = ${account} AND t >= ${from} AND t <= ${to}`
        : sql`account_id = ${account} AND period = ${plan.period} AND start >= ${plan.origin} AND start <= ${to}`;
    const source = plan.period === 0 ? SAMPLE_SOURCE : ROLLUP_SOURCE;
    const { rows } = await bucketSql(source, where, plan.origin, plan.width).execute(db);
    const profileIndex = new Map<number, number>();
    const ids = [...new Set(rows.map((r) => r.profile))];
    const bodies = new Map<number, string>();
    if (ids.length > 0) {
      for (const r of await db
        .selectFrom('profiles')
        .select(['id', 'body'])
        .where('id', 'in', ids)
        .execute()) {
        bodies.set(r.id, r.body);
      }
    }
    for (const row of rows) {
      let profile = profileIndex.get(row.profile);
      if (profile === undefined) {
        profile = result.profiles.length;
        profileIndex.set(row.profile, profile);
        const body = bodies.get(row.profile);
        result.profiles.push(
          body === undefined ? { unit: null, bands: [], currency: null } : parseProfileBody(body),
        );
      }
      result.buckets.push(
        bucketOf(plan, { ...row, count: Number(row.count), gaps: Number(row.gaps) }, profile),
      );
    }
    return result;
  }

  async function lastSampleTime(name: string): Promise<number | null> {
    const account = await findAccount(name);
    if (account === null) return null;
    const row = await db
      .selectFrom('samples')
      .select((eb) => eb.fn.max('t').as('t'))
      .where('account_id', '=', account)
      .executeTakeFirst();
    return row?.t ?? null;
  }

  async function oldestSample(account: number): Promise<number | null> {
    const row = await db
      .selectFrom('samples')
      .select((eb) => eb.fn.min('t').as('t'))
      .where('account_id', '=', account)
      .executeTakeFirst();
    return row?.t ?? null;
  }

  /** As the recorder's pruning of the SQLite file: see ./recorder.ts. */
  async function prune(at: number, tiers: RetentionTiers, signal?: AbortSignal): Promise<number> {
    const stopped = (): boolean => signal?.aborted === true;
    const cutoff = at - tiers.retentionDays * DAY_MS;
    const rawMs = tiers.rawDays * DAY_MS;
    const rawCutoff = Math.floor((at - rawMs) / finest) * finest;
    const minuteMs = Math.max(rawMs, tiers.minuteRollupDays * DAY_MS);
    const minuteCutoff = Math.floor((at - minuteMs) / quarter) * quarter;
    let deleted = 0;
    const owned = options.accounts;
    let select = db.selectFrom('accounts').select('id');
    if (owned !== undefined) select = select.where('name', 'in', owned.length > 0 ? [...owned] : ['']);
    const accounts = await select.execute();
    for (const { id } of accounts) {
      if (stopped()) break;
      for (;;) {
        if (stopped()) return deleted;
        const oldest = await oldestSample(id);
        if (oldest === null || oldest >= cutoff) break;
        const sliceEnd = Math.min(cutoff, oldest + PRUNE_SLICE_MS);
        const gone = await db
          .deleteFrom('samples')
          .where('account_id', '=', id)
          .where('t', '<', sliceEnd)
          .executeTakeFirst();
        deleted += Number(gone.numDeletedRows);
      }
      // Raw samples of whole minutes, a slice at a time. When the slice's 1-minute rollups count exactly its
      // samples, every sample is covered and the slice goes at once; otherwise sample by sample, as the recorder.
      const oldest = await oldestSample(id);
      if (oldest !== null) {
        for (let lo = Math.floor(oldest / finest) * finest; lo < rawCutoff; lo += PRUNE_SLICE_MS) {
          if (stopped()) return deleted;
          const hi = Math.min(rawCutoff, lo + PRUNE_SLICE_MS);
          const here = await sql<{ raw: number; rolled: number | null }>`
            SELECT (SELECT COUNT(*) FROM samples WHERE account_id = ${id} AND t >= ${lo} AND t < ${hi}) AS raw,
              (SELECT CAST(SUM(n) AS BIGINT) FROM rollups WHERE account_id = ${id} AND period = ${sql.lit(finest)}
                 AND start >= ${lo} AND start < ${hi}) AS rolled`.execute(db);
          const raw = Number(here.rows[0]?.raw ?? 0);
          if (raw === 0) continue;
          const gone =
            Number(here.rows[0]?.rolled ?? 0) === raw
              ? await sql`DELETE FROM samples WHERE account_id = ${id} AND t >= ${lo} AND t < ${hi}`.execute(
                  db,
                )
              : await sql`
                  DELETE FROM samples WHERE account_id = ${id} AND t >= ${lo} AND t < ${hi}
                    AND EXISTS (SELECT 1 FROM rollups r WHERE r.account_id = ${id} AND r.period = ${sql.lit(finest)}
                                  AND r.start = (samples.t / ${sql.lit(finest)}) * ${sql.lit(finest)}
                                  AND r.first_t <= samples.t AND r.last_t >= samples.t)`.execute(db);
          deleted += Number(gone.numAffectedRows ?? 0);
        }
      }
      // 1-minute rollups of whole quarter hours, the same way against the 15-minute rows.
      const firstMinute = await firstRollup(id, finest);
      if (firstMinute !== null) {
        for (
          let lo = Math.floor(firstMinute.start / quarter) * quarter;
          lo < minuteCutoff;
          lo += PRUNE_SLICE_MS
        ) {
          if (stopped()) return deleted;
          const hi = Math.min(minuteCutoff, lo + PRUNE_SLICE_MS);
          const sums = await sql<{ minutes: number | null; quarters: number | null }>`
            SELECT (SELECT CAST(SUM(n) AS BIGINT) FROM rollups WHERE account_id = ${id}
                      AND period = ${sql.lit(finest)} AND start >= ${lo} AND start < ${hi}) AS minutes,
              (SELECT CAST(SUM(n) AS BIGINT) FROM rollups WHERE account_id = ${id}
                 AND period = ${sql.lit(quarter)} AND start >= ${lo} AND start < ${hi}) AS quarters`.execute(
            db,
          );
          const minutes = Number(sums.rows[0]?.minutes ?? 0);
          if (minutes === 0) continue;
          if (Number(sums.rows[0]?.quarters ?? 0) === minutes) {
            await sql`DELETE FROM rollups WHERE account_id = ${id} AND period = ${sql.lit(finest)}
                        AND start >= ${lo} AND start < ${hi}`.execute(db);
          } else {
            await sql`
              DELETE FROM rollups WHERE account_id = ${id} AND period = ${sql.lit(finest)}
                AND start >= ${lo} AND start < ${hi}
                AND EXISTS (SELECT 1 FROM rollups q WHERE q.account_id = ${id} AND q.period = ${sql.lit(quarter)}
                              AND q.start = (rollups.start / ${sql.lit(quarter)}) * ${sql.lit(quarter)}
                              AND q.first_t <= rollups.first_t AND q.last_t >= rollups.last_t)`.execute(db);
          }
        }
      }
      if (stopped()) return deleted;
      await db.transaction().execute(async (trx) => {
        // A rollup period goes once it ends at or before the cutoff.
        for (const period of ROLLUP_PERIODS) {
          await trx
            .deleteFrom('rollups')
            .where('account_id', '=', id)
            .where('period', '=', period)
            .where('start', '<', cutoff - period + 1)
            .execute();
        }
      });
    }
    return deleted;
  }

  return { write, lastSampleTime, query, prune };
}
