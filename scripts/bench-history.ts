// Margin history benchmark: ingest rate, a history query over a million samples of one account, database
// size per million samples, the number of points the chart receives, and the size of one account-year of VALR
// history with the default retention tiers. Prints figures; asserts nothing about time (machines differ). Run
// with `npm run bench` (or `npm run bench -- history`).
// BENCH_SAMPLES=200000 scales the large run down for a quick look; BENCH_YEAR_DAYS=60 simulates fewer days of the
// account-year (the figure printed is then extrapolated, and says so).
import { readFileSync, statSync } from 'node:fs';
import { historyResponseSchema } from '../src/contract/history.ts';
import { appendLive, SERIES_LIMIT, type HistoryData } from '../src/hooks/history/model.ts';
import { chartModel } from '../src/hooks/history/series.ts';
import { Dec, dec } from '../src/domain/decimal.ts';
import type { Band } from '../src/domain/model.ts';
import { snapshotOf } from '../src/domain/testing/snapshots.ts';
import { exchangeById } from '../src/exchanges/registry.ts';
import { MessageReader } from '../src/proxy/accounts.ts';
import { openTemporaryHistory, type HistoryDb } from '../src/proxy/db/open.ts';
import { openPostgres } from '../src/proxy/db/sql.ts';
import { startTestPostgres } from '../src/proxy/db/testing/postgres.ts';
import { createReader, type HistoryRequest } from '../src/proxy/history/query.ts';
import { createSqlHistoryStore } from '../src/proxy/history/sql-store.ts';
import type { SampleInput } from '../src/proxy/history/writer.ts';
import {
  MINUTE_ROLLUP_DAYS,
  RAW_DAYS,
  RETENTION_DAYS,
  createRecorder,
  intervalsFor,
} from '../src/proxy/history/recorder.ts';
import { levelOf, snapshotAt } from '../src/proxy/history/testing/samples.ts';

/** What the runner needs of a bench module. */
export const name = 'history';

type Print = (line: string) => void;

const GOAL_INGEST_PER_S = 20_000;
const GOAL_QUERY_MS = 100;
const GOAL_ACCOUNT_YEAR_MB = 100;
const DAY_MS = 86_400_000;
const VALR_CADENCE_MS = 5_000;

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function verdict(ok: boolean): string {
  return ok ? 'meets goal' : 'BELOW GOAL';
}

function fileBytes(path: string): number {
  let total = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      total += statSync(path + suffix).size;
    } catch {
      // absent
    }
  }
  return total;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

/** Times `fn` `runs` times after two warm-up runs; returns sorted durations (ms). */
function timeRuns(runs: number, fn: () => void): number[] {
  fn();
  fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    fn();
    out.push(performance.now() - start);
  }
  return out.sort((a, b) => a - b);
}

/** End to end: VALR MARGIN_INFO messages through normalize → applyUpdate → change detection → batched writes. */
function benchMessages(print: Print, count: number): void {
  const fixture = JSON.parse(
    readFileSync(new URL('../src/exchanges/valr/fixtures/margin-info.json', import.meta.url), 'utf8'),
  ) as { type: string; data: Record<string, unknown> };
  const accounts = ['valr-a', 'valr-b', 'valr-c', 'valr-d'];
  const history = openTemporaryHistory();
  try {
    const recorder = createRecorder({
      db: history,
      intervalFor: intervalsFor(accounts.map((id) => ({ id, exchange: 'valr' }))),
      flushMs: 0,
      pruneEveryMs: 0,
    });
    const payloads = Array.from({ length: 1000 }, (_, i) => ({
      ...fixture,
      data: { ...fixture.data, marginFraction: `1.${String(1000 + i).padStart(4, '0')}3696` },
    }));
    const t0 = 1_750_000_000_000;
    const start = performance.now();
    const reader = new MessageReader(exchangeById);
    for (let i = 0; i < count; i += 1) {
      const account = { id: accounts[i % accounts.length] ?? 'valr-a', exchange: 'valr' };
      const receivedAt = t0 + i * 10;
      const reading = reader.read(account, 'account', payloads[i % payloads.length], receivedAt);
      recorder.record({ account, receivedAt, ...reading });
    }
    recorder.flush();
    const seconds = (performance.now() - start) / 1000;
    const stats = recorder.stats();
    recorder.close();
    const rate = stats.written / seconds;
    print(
      `ingest, wire messages (normalize + record), ${fmt(count)} messages, 4 accounts: ` +
        `${fmt(rate)} samples/s (${fmt(stats.written)} written) — goal ≥ ${fmt(GOAL_INGEST_PER_S)}: ${verdict(rate >= GOAL_INGEST_PER_S)}`,
    );
  } finally {
    history.close();
  }
}

interface Loaded {
  history: HistoryDb;
  from: number;
  to: number;
  dipAt: number;
}

/** One account, one sample per second, with one deep dip; reports the sustained ingest rate per 100k. */
function loadMillion(print: Print, count: number): Loaded {
  const history = openTemporaryHistory();
  const recorder = createRecorder({
    db: history,
    flushMs: 0,
    pruneEveryMs: 0,
  });
  const from = 1_750_000_000_000;
  const dipIndex = Math.floor(count * 0.6543);
  const chunk = 100_000;
  const rates: number[] = [];
  const start = performance.now();
  let chunkStart = start;
  for (let i = 0; i < count; i += 1) {
    const t = from + i * 1000;
    const text = i === dipIndex ? '1.0312' : `2.${String((i * 7919) % 10_000).padStart(4, '0')}`;
    recorder.recordSnapshot(snapshotAt('acct', t, levelOf(text)), t);
    if ((i + 1) % chunk === 0) {
      const now = performance.now();
      rates.push(chunk / ((now - chunkStart) / 1000));
      chunkStart = now;
    }
  }
  recorder.close();
  const seconds = (performance.now() - start) / 1000;
  const overall = count / seconds;
  const slowest = rates.length > 0 ? Math.min(...rates) : overall;
  print(
    `ingest, snapshots (record + batched writes), ${fmt(count)} samples, 1 account: ${fmt(overall)} samples/s ` +
      `overall, slowest 100k: ${fmt(slowest)}/s — goal ≥ ${fmt(GOAL_INGEST_PER_S)}: ${verdict(slowest >= GOAL_INGEST_PER_S)}`,
  );
  return { history, from, to: from + (count - 1) * 1000, dipAt: from + dipIndex * 1000 };
}

/** VALR's own lines (margin fractions), as its MARGIN_INFO sends them. */
const VALR_BANDS: Band[] = [
  { kind: 'caution', threshold: dec('0.098837526'), label: 'initialMarginFraction', source: 'exchange' },
  {
    kind: 'liquidation',
    threshold: dec('0.047995245'),
    label: 'maintenanceMarginFraction',
    source: 'exchange',
  },
  { kind: 'takeover', threshold: dec('0.017056799'), label: 'autoCloseMarginFraction', source: 'exchange' },
];

/** Bytes of each table (b-tree pages, overhead included) and of the file, after a checkpoint. */
function tableBytes(history: HistoryDb): Map<string, number> {
  const rows = history.sqlite
    .prepare<[], { name: string; bytes: number }>(
      'SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name',
    )
    .all();
  return new Map(rows.map((r) => [r.name, r.bytes]));
}

/**
 * One VALR account recorded every 5 s (its margin fraction moves with every message, so every message is a
 * sample) for `days` days, pruned daily with the default tiers (raw samples RAW_DAYS, rollups RETENTION_DAYS):
 * the database as it stands after a year. With fewer than 365 days the file is measured at the end and the year
 * extrapolated from the measured bytes per raw-sample day and per rollup-only day.
 */
function benchAccountYear(print: Print, days: number): void {
  const history = openTemporaryHistory();
  const start = Date.UTC(2025, 0, 1);
  let clock = start;
  const recorder = createRecorder({
    db: history,
    flushMs: 0,
    pruneEveryMs: 0,
    now: () => clock,
    rawDays: RAW_DAYS,
    retentionDays: RETENTION_DAYS,
  });
  try {
    let seed = 7;
    const next = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    let level = 1.9;
    const perDay = DAY_MS / VALR_CADENCE_MS;
    const began = performance.now();
    for (let day = 0; day < days; day += 1) {
      for (let i = 0; i < perDay; i += 1) {
        const t = start + day * DAY_MS + i * VALR_CADENCE_MS;
        level += (next() - 0.5) * 0.004;
        if (level < 0.2 || level > 3) level = level < 0.2 ? 0.4 - level : 6 - level;
        const assets = (151 + next()).toFixed(12);
        const snapshot = snapshotOf({
          accountId: 'valr-margin',
          exchange: 'valr',
          time: t,
          level: { kind: 'value', value: dec(level.toFixed(8)), text: level.toFixed(8) },
          unit: { name: 'Margin fraction', kind: 'fraction' },
          bands: VALR_BANDS,
          totals: { currency: 'USDC', assets: dec(assets), liabilities: dec('78.102048768'), decimals: 12 },
        });
        recorder.recordSnapshot(snapshot, t);
      }
      recorder.flush();
      clock = start + (day + 1) * DAY_MS;
      recorder.prune(clock);
    }
    const recorded = recorder.stats().written;
    recorder.close();
    const seconds = (performance.now() - began) / 1000;
    history.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const file = fileBytes(history.path);
    const tables = tableBytes(history);
    const samples = (tables.get('samples') ?? 0) + (tables.get('sqlite_autoindex_samples_1') ?? 0);
    const rollupRows = history.sqlite
      .prepare<[], { period: number; n: number }>('SELECT period, COUNT(*) AS n FROM rollups GROUP BY period')
      .all();
    const rollups = tables.get('rollups') ?? 0;
    const rawRows =
      history.sqlite.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM samples').get()?.n ?? 0;
    const mb = (bytes: number): string => fmt(bytes / 1_000_000, 1);
    const perRaw = rawRows > 0 ? samples / rawRows : 0;
    const minuteRows = rollupRows.find((r) => r.period === 60_000)?.n ?? 0;
    const rollupRowCount = rollupRows.reduce((n, r) => n + r.n, 0);
    print(
      `account-year, VALR every 5 s, raw ${RAW_DAYS} d, 1-min rollups ${MINUTE_ROLLUP_DAYS} d, 15-min and 4-h ${RETENTION_DAYS} d: simulated ${fmt(days)} days ` +
        `(${fmt(days * perDay)} samples, ${fmt(seconds, 0)} s): file ${mb(file)} MB — samples ${mb(samples)} MB ` +
        `(${fmt(rawRows)} rows, ${fmt(perRaw, 1)} B/row), rollups ${mb(rollups)} MB ` +
        `(${rollupRows.map((r) => `${fmt(r.n)} × ${r.period / 60_000} min`).join(', ')}; ` +
        `${fmt(rollupRowCount > 0 ? rollups / rollupRowCount : 0, 1)} B/row)`,
    );
    let year = file;
    let how = 'measured';
    if (days < 365) {
      // A year holds RAW_DAYS of raw samples, MINUTE_ROLLUP_DAYS of 1-minute rollups and 365 days of 15-minute
      // and 4-hour ones: the measured bytes per row of each table times those row counts, plus the rest of the file.
      const recordedPerDay = (days * perDay === 0 ? 0 : recorded / (days * perDay)) * perDay;
      const yearRollupRows = MINUTE_ROLLUP_DAYS * 1440 + 365 * 96 + 365 * 6;
      year =
        file -
        samples -
        rollups +
        perRaw * recordedPerDay * RAW_DAYS +
        (rollups / rollupRowCount) * yearRollupRows;
      how = `extrapolated from ${fmt(days)} days: measured bytes per row × the rows of a year in each tier`;
    }
    print(
      `  bytes per account-year (${how}): ${mb(year)} MB (${fmt(minuteRows)} 1-min rollups now) — ` +
        `goal ≤ ${GOAL_ACCOUNT_YEAR_MB} MB: ${verdict(year <= GOAL_ACCOUNT_YEAR_MB * 1_000_000)}`,
    );
  } finally {
    history.close();
  }
}

/** Times an async `fn` `runs` times after two warm-up runs; returns sorted durations (ms). */
async function timeRunsAsync(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  await fn();
  await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    await fn();
    out.push(performance.now() - start);
  }
  return out.sort((a, b) => a - b);
}

/** The samples loadMillion records (one a second, one dip), as the writer takes them. */
function millionSample(from: number, i: number, count: number): SampleInput {
  const t = from + i * 1000;
  const text =
    i === Math.floor(count * 0.6543) ? '1.0312' : `2.${String((i * 7919) % 10_000).padStart(4, '0')}`;
  const snapshot = snapshotAt('acct', t, levelOf(text));
  if (snapshot.level === null) throw new Error('a level is needed');
  return {
    accountId: 'acct',
    exchange: 'valr',
    t,
    level: snapshot.level,
    unit: snapshot.unit,
    bands: snapshot.bands,
    zone: snapshot.zone,
    cushion: snapshot.cushion,
    totals: snapshot.totals,
    gapBefore: false,
  };
}

/**
 * The same samples and queries on PostgreSQL (a throwaway local server), through the store both engines share:
 * ingest in the recorder's batches of 500, then the same four queries. Skipped, saying so, without PostgreSQL.
 */
async function benchPostgres(print: Print, count: number, from: number): Promise<void> {
  const outcome = await startTestPostgres();
  if (!outcome.ok) {
    print(`PostgreSQL: skipped (${outcome.reason}); install PostgreSQL (Debian: postgresql) to measure it`);
    return;
  }
  const server = outcome.server;
  try {
    const database = await openPostgres(await server.createDatabase('bench_history'));
    try {
      const store = createSqlHistoryStore(database);
      const version = await database.pool.query<{ v: string }>(
        "SELECT current_setting('server_version') AS v",
      );
      const batch = 500;
      const start = performance.now();
      for (let i = 0; i < count; i += batch) {
        const samples: SampleInput[] = [];
        for (let j = i; j < Math.min(count, i + batch); j += 1) samples.push(millionSample(from, j, count));
        await store.write(samples);
      }
      const rate = count / ((performance.now() - start) / 1000);
      print(
        `PostgreSQL ${version.rows[0]?.v ?? '?'} (local throwaway server, fsync off: an upper bound): ingest, ` +
          `${fmt(count)} samples in batches of ${batch}: ${fmt(rate)} samples/s — goal ≥ ${fmt(GOAL_INGEST_PER_S)}: ` +
          `${verdict(rate >= GOAL_INGEST_PER_S)}`,
      );
      const size = await database.pool.query<{ bytes: number }>(
        "SELECT pg_total_relation_size('samples') + pg_total_relation_size('rollups') AS bytes",
      );
      const bytes = Number(size.rows[0]?.bytes ?? 0);
      print(
        `  PostgreSQL size: ${fmt(bytes / 1_048_576, 1)} MiB for ${fmt(count)} samples (${fmt(bytes / count, 1)} ` +
          'bytes/sample, rollups and indexes included)',
      );
      const to = from + (count - 1) * 1000;
      for (const [label, span] of [
        ['all', to - from + 1],
        ['last 24 h', 86_400_000],
        ['last 7 d', 7 * 86_400_000],
        ['last 1 h', 3_600_000],
      ] as const) {
        const request: HistoryRequest = {
          accountId: 'acct',
          from: Math.max(from, to - span + 1),
          to,
          maxPoints: 1000,
          now: to,
        };
        const times = await timeRunsAsync(15, () => store.query(request));
        const r = await store.query(request);
        const median = percentile(times, 0.5);
        print(
          `  PostgreSQL query, ${label}: ${r.buckets.length} buckets from ${r.source}, median ${fmt(median, 1)} ms, ` +
            `p95 ${fmt(percentile(times, 0.95), 1)} ms — goal < ${GOAL_QUERY_MS} ms: ${verdict(median < GOAL_QUERY_MS)}`,
        );
      }
    } finally {
      await database.close();
    }
  } finally {
    await server.stop();
  }
}

export async function run(print: Print = console.log): Promise<void> {
  const count = Number(process.env.BENCH_SAMPLES ?? 1_000_000);
  benchMessages(print, Math.min(count, 200_000));
  benchAccountYear(print, Math.max(1, Math.min(365, Number(process.env.BENCH_YEAR_DAYS ?? 365))));

  const { history, from, to, dipAt } = loadMillion(print, count);
  try {
    history.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = fileBytes(history.path);
    print(
      `database size: ${fmt(bytes / 1_048_576, 1)} MiB for ${fmt(count)} samples = ` +
        `${fmt(((bytes / count) * 1_000_000) / 1_048_576, 1)} MiB per million (${fmt(bytes / count, 1)} bytes/sample, rollups included)`,
    );

    const reader = createReader(history);
    const full = (): ReturnType<typeof reader.query> =>
      reader.query({ accountId: 'acct', from, to, maxPoints: 1000, now: to });
    const runs = timeRuns(25, full);
    const result = full();
    const median = percentile(runs, 0.5);
    print(
      `query, all ${fmt(count)} samples (${fmt((to - from) / 86_400_000, 1)} days) → ${result.buckets.length} buckets ` +
        `from ${result.source}: median ${fmt(median, 1)} ms, p95 ${fmt(percentile(runs, 0.95), 1)} ms — ` +
        `goal < ${GOAL_QUERY_MS} ms: ${verdict(median < GOAL_QUERY_MS)}`,
    );
    const dipped = result.buckets.filter((b) => new Dec(b.min.text).lt(2));
    const dipVisible =
      dipped.length === 1 &&
      dipped[0]?.min.text === '1.0312' &&
      (dipped[0]?.start ?? 0) <= dipAt &&
      dipAt < (dipped[0]?.end ?? 0);
    print(
      `  the single dip to 1.0312 among ${fmt(count)} samples is a bucket minimum: ${dipVisible ? 'yes' : 'NO'}`,
    );

    for (const [label, span] of [
      ['last 24 h', 86_400_000],
      ['last 7 d', 7 * 86_400_000],
      ['last 1 h', 3_600_000],
    ] as const) {
      const windowFrom = Math.max(from, to - span);
      const times = timeRuns(25, () =>
        reader.query({ accountId: 'acct', from: windowFrom, to, maxPoints: 1000, now: to }),
      );
      const r = reader.query({ accountId: 'acct', from: windowFrom, to, maxPoints: 1000, now: to });
      print(
        `query, ${label}: ${r.buckets.length} buckets from ${r.source}, median ${fmt(percentile(times, 0.5), 1)} ms`,
      );
    }

    // What the chart receives: the API body through the browser's parser and series builder, then an hour of live samples.
    const data: HistoryData = historyResponseSchema.parse(
      JSON.parse(JSON.stringify({ ...result, gapMs: 90_000 })),
    );
    const points = chartModel(data).points.length;
    let live = historyResponseSchema.parse(
      JSON.parse(
        JSON.stringify({
          ...reader.query({ accountId: 'acct', from: to - 3_600_000, to, maxPoints: 1000, now: to }),
          gapMs: 90_000,
        }),
      ),
    );
    for (let i = 1; i <= 3600 * 4; i += 1) {
      const t = to + i * 250;
      live = appendLive(
        live,
        [snapshotAt('acct', t, levelOf(`2.${String(i % 10_000).padStart(4, '0')}`))],
        3_600_000,
      );
    }
    const livePoints = chartModel(live).points.length;
    const ok = points <= SERIES_LIMIT && livePoints <= SERIES_LIMIT;
    print(
      `chart points per series: ${points} for all ${fmt(count)} samples; ${livePoints} for 1 h after 14,400 live samples ` +
        `(limit ${SERIES_LIMIT}): ${ok ? 'within limit' : 'OVER LIMIT'}`,
    );
  } finally {
    history.close();
  }
  await benchPostgres(print, count, from);
}
