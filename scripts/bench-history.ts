// Margin history benchmark: ingest rate, a history query over a million samples of one account, database
// size per million samples, and the number of points the chart receives. Prints figures; asserts nothing
// about time (machines differ). Run with `npm run bench` (or `npm run bench -- history`).
// BENCH_SAMPLES=200000 scales the large run down for a quick look.
import { readFileSync, statSync } from 'node:fs';
import { historyResponseSchema } from '../src/contract/history.ts';
import { appendLive, SERIES_LIMIT, type HistoryData } from '../src/hooks/history/model.ts';
import { chartModel } from '../src/hooks/history/series.ts';
import { Dec } from '../src/domain/decimal.ts';
import { exchangeById } from '../src/exchanges/registry.ts';
import { MessageReader } from '../src/proxy/accounts.ts';
import { openTemporaryHistory, type HistoryDb } from '../src/proxy/db/open.ts';
import { createReader } from '../src/proxy/history/query.ts';
import { createRecorder, intervalsFor } from '../src/proxy/history/recorder.ts';
import { levelOf, snapshotAt } from '../src/proxy/history/testing/samples.ts';

/** What the runner needs of a bench module. */
export const name = 'history';

type Print = (line: string) => void;

const GOAL_INGEST_PER_S = 20_000;
const GOAL_QUERY_MS = 100;

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

export async function run(print: Print = console.log): Promise<void> {
  const count = Number(process.env.BENCH_SAMPLES ?? 1_000_000);
  benchMessages(print, Math.min(count, 200_000));

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
}
