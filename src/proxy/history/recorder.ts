// The history recorder: the proxy hands it every wire message of every account, already read (normalized and
// folded into the account's snapshot by the AccountManager). Only messages that carry a margin level count; a
// sample is recorded, at the time the proxy received the message, when
//   - the level (kind or text), the zone or the bands changed, or
//   - HEARTBEAT_MS (30 s) passed since the account's last sample (so a steady account still shows coverage), or
//   - the account sent no level for longer than its gap threshold (the sample is then marked `gap_before`,
//     which the chart draws as a break in the line instead of a line across the outage).
// The gap threshold is max(90 s, 3 × the account's fastest channel cadence or poll interval).
// Samples are queued and written in batches (BATCH_SIZE samples, or every FLUSH_MS), one transaction each,
// so a crash loses at most the batch being collected. While the database refuses writes, the queue is kept and
// retried with a growing pause (see ../db/write-queue.ts, shared with the alerts). Retention pruning runs hourly.
//
// Retention has tiers. Raw samples are kept `rawDays` (default 30); older ones are deleted once the 1-minute
// rollup of their minute is final (the minute has ended and its rollup row covers the sample), so a range reaching
// further back is answered from the rollups, whose min, max and last level keep every dip. 1-minute rollups are
// kept MINUTE_ROLLUP_DAYS (90, at least rawDays), then only the 15-minute and 4-hour ones (whole quarter hours go,
// once their 15-minute row covers them). Everything older than `retentionDays` (default 365) is deleted.
import type { Band, MarginSnapshot } from '../../domain/model.ts';
import { exchangeById } from '../../exchanges/registry.ts';
import type { Logger } from '../../exchanges/server-types.ts';
import type { MessageReading } from '../accounts.ts';
import {
  CLOSE_WAIT_MS,
  createAsyncWriteQueue,
  createWriteQueue,
  reportUnwritten,
  waitAtMost,
  type WriteQueueStats,
} from '../db/write-queue.ts';
import type { HistoryDb } from '../db/open.ts';
import { ROLLUP_PERIODS } from './schema.ts';
import type { HistoryStore } from './sql-store.ts';
import { createWriter, type SampleInput } from './writer.ts';

export const HEARTBEAT_MS = 30_000;
export const DEFAULT_GAP_MS = 90_000;
export const BATCH_SIZE = 500;
export const FLUSH_MS = 1_000;
export const PRUNE_EVERY_MS = 3_600_000;
/** Days raw samples are kept before only their rollups remain. */
export const RAW_DAYS = 30;
/** Days 1-minute rollups are kept (at least rawDays); older history is read from 15-minute rollups. */
export const MINUTE_ROLLUP_DAYS = 90;
/** Days anything is kept. */
export const RETENTION_DAYS = 365;
/** At most one log line per this period about samples the database already had. */
const SKIPPED_LOG_EVERY_MS = 60_000;
const DAY_MS = 86_400_000;
/** Retention pruning deletes at most this much time of one account per transaction. */
const PRUNE_SLICE_MS = 6 * 3_600_000;

/** A read wire message as the recorder takes it (the AccountManager's AccountMessage has all of it). */
export interface RecordedMessage extends MessageReading {
  account: { id: string };
  /** When the proxy received it (ms epoch): the sample's time. */
  receivedAt: number;
}

/** How the recorder samples and keeps history, whatever the database. */
export interface RecorderSettings {
  /** How often an account normally sends data (its fastest channel or poll), ms; widens its gap threshold. */
  intervalFor?(accountId: string): number | undefined;
  /** Samples and rollups older than this are deleted (hourly). Default 365. */
  retentionDays?: number;
  /** Raw samples older than this are deleted once their 1-minute rollups are final. Default 30. */
  rawDays?: number;
  /** 1-minute rollups older than this (and than rawDays) are deleted once their 15-minute rollups are final. */
  minuteRollupDays?: number;
  heartbeatMs?: number;
  /** Minimum silence that counts as an outage. Default 90 s. */
  gapMs?: number;
  batchSize?: number;
  /** Flush interval; 0 disables the timer (tests flush by hand). */
  flushMs?: number;
  /** Pruning interval; 0 disables the timer. */
  pruneEveryMs?: number;
  now?: () => number;
  log?: Logger;
}

/** The recorder of the SQLite file. */
export interface RecorderOptions extends RecorderSettings {
  db: HistoryDb;
}

/** The recorder of a history store reached asynchronously (PostgreSQL, ./sql-store.ts). */
export interface StoreRecorderOptions extends RecorderSettings {
  store: HistoryStore;
  /**
   * The accounts whose newest stored sample is read before recording starts (the configured ones): it decides
   * whether an account's first sample follows a gap. Other accounts count as having no stored sample.
   */
  accountIds: readonly string[];
}

export interface RecorderStats {
  /** Messages handed to record(). */
  messages: number;
  /** Messages that failed validation (the stream still relays them; the browser shows the error). */
  rejected: number;
  /** Samples queued for writing. */
  recorded: number;
  /** Samples committed to the database. */
  written: number;
  /** Samples waiting for the next batch. */
  pending: number;
  /** Samples dropped because the database refused writes for too long. */
  dropped: number;
}

export interface Recorder {
  /** The proxy's message hook: one read wire message of an account. Never throws. */
  record(message: RecordedMessage): void;
  /** Records a snapshot carrying a level, received at `receivedAt` (benchmarks, tests, tools), by the same rules. */
  recordSnapshot(snapshot: MarginSnapshot, receivedAt: number): void;
  /** Writes the queued samples now (even while automatic attempts pause); returns how many were written. */
  flush(): number;
  /**
   * Deletes samples (and rollups) older than the retention, and raw samples older than `rawDays` whose 1-minute
   * rollups are final; returns the number of samples deleted.
   */
  prune(now?: number): number;
  /** The silence (ms) after which this account's next sample is marked as following a gap. */
  gapMsFor(accountId: string): number;
  stats(): RecorderStats;
  /** Flushes and stops the timers. The database stays open (its owner closes it). */
  close(): void;
}

/** The recorder of an asynchronous store: the same sampling, its writes and pruning awaited. */
export interface StoreRecorder extends Omit<Recorder, 'flush' | 'prune' | 'close'> {
  /** Writes the queued samples now (after a write in flight); resolves to how many were written. */
  flush(): Promise<number>;
  /**
   * Before a read of the store: waits for the write in flight and writes what is queued, unless attempts pause
   * after a refused write.
   */
  settle(): Promise<number>;
  prune(now?: number): Promise<number>;
  /** Flushes (one last attempt) and stops the timers. The store stays open. */
  close(): Promise<void>;
}

/** What the proxy uses of either recorder. */
export interface HistoryRecorder extends Omit<Recorder, 'flush' | 'prune' | 'close'> {
  flush(): number | Promise<number>;
  /** The asynchronous store's settle(); the SQLite file's reads need none (its writes are synchronous). */
  settle?(): Promise<number>;
  close(): void | Promise<void>;
}

interface LastSample {
  t: number;
  kind: 'value' | 'no-debt';
  text: string;
  zone: string;
  bands: readonly Band[];
}

interface AccountState {
  /** receivedAt of the newest message with a level for the account. */
  lastDataAt?: number;
  /** The newest sample queued or written by this process. */
  last?: LastSample;
  /** Newest sample time in the database when this process first recorded the account (undefined: not read). */
  storedLastT?: number | null;
  /** A gap was seen but no sample could be recorded yet. */
  gapPending: boolean;
}

function sameBands(a: readonly Band[], b: readonly Band[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  return a.every((band, i) => {
    const other = b[i];
    return (
      other !== undefined &&
      band.kind === other.kind &&
      band.label === other.label &&
      band.source === other.source &&
      band.threshold.eq(other.threshold)
    );
  });
}

/** The write queue as the sampling uses it: the SQLite queue or the asynchronous one. */
interface SampleQueue {
  push(sample: SampleInput): void;
  newest(accountId: string): SampleInput | undefined;
  replaceNewest(sample: SampleInput): boolean;
  readonly length: number;
  flushIfDue(): unknown;
  stats(): WriteQueueStats;
}

/** What the sampling needs of a database. */
interface SamplingBackend {
  queue: SampleQueue;
  /** Time of the newest stored sample of an account, or null. */
  lastSampleTime(accountId: string): number | null;
}

/** The counters of every recorder, and the log line about samples the database already had. */
function writeTally(now: () => number, log: Logger | undefined) {
  const stats: RecorderStats = { messages: 0, rejected: 0, recorded: 0, written: 0, pending: 0, dropped: 0 };
  /** Samples the database already had (INSERT OR IGNORE skipped them), not yet logged. */
  let skipped = 0;
  let skippedLoggedAt = Number.NEGATIVE_INFINITY;
  return {
    stats,
    /** A batch of `batch` samples was committed, `added` of them new. */
    written(batch: number, added: number): void {
      stats.written += added;
      skipped += batch - added;
      const at = now();
      if (skipped === 0 || at - skippedLoggedAt < SKIPPED_LOG_EVERY_MS) return;
      log?.warn('history: samples already in the database were not written again (another writer?)', {
        samples: skipped,
      });
      skipped = 0;
      skippedLoggedAt = at;
    },
  };
}

/** The sampling rules of the module header, over either database. */
function createSampler(
  options: RecorderSettings,
  stats: RecorderStats,
  backend: SamplingBackend,
): Pick<Recorder, 'record' | 'recordSnapshot' | 'gapMsFor'> {
  const { queue } = backend;
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  const baseGapMs = options.gapMs ?? DEFAULT_GAP_MS;
  const batchSize = Math.max(1, options.batchSize ?? BATCH_SIZE);
  const log = options.log;
  const accounts = new Map<string, AccountState>();

  function stateOf(accountId: string): AccountState {
    let state = accounts.get(accountId);
    if (state === undefined) {
      state = { gapPending: false };
      accounts.set(accountId, state);
    }
    return state;
  }

  function gapMsOf(accountId: string): number {
    const expected = options.intervalFor?.(accountId) ?? 0;
    return Math.max(baseGapMs, 3 * expected);
  }

  function enqueue(
    accountId: string,
    state: AccountState,
    snapshot: MarginSnapshot,
    t: number,
    gap: boolean,
  ): void {
    const level = snapshot.level;
    if (level === null) {
      if (gap) state.gapPending = true;
      return;
    }
    if (state.storedLastT === undefined) state.storedLastT = backend.lastSampleTime(accountId);
    const last = state.last;
    const gapBefore =
      gap ||
      state.gapPending ||
      (last === undefined && state.storedLastT !== null && t - state.storedLastT > gapMsOf(accountId));
    const changed =
      last === undefined ||
      last.kind !== level.kind ||
      last.text !== level.text ||
      last.zone !== snapshot.zone ||
      !sameBands(last.bands, snapshot.bands);
    const due = last === undefined || t - last.t >= heartbeatMs;
    if (!changed && !due && !gapBefore) return;

    const sample: SampleInput = {
      accountId,
      exchange: snapshot.exchange,
      t,
      level,
      unit: snapshot.unit,
      bands: snapshot.bands,
      zone: snapshot.zone,
      cushion: snapshot.cushion,
      totals: snapshot.totals,
      gapBefore,
    };
    const newest = last?.t ?? state.storedLastT ?? Number.NEGATIVE_INFINITY;
    if (sample.t <= newest) {
      // Same instant as a sample still queued: the later state of that instant wins. Anything older than
      // what is recorded is dropped (the history is append-only per account).
      const queued = queue.newest(accountId);
      if (queued === undefined || queued.t !== sample.t) {
        if (gapBefore) state.gapPending = true;
        return;
      }
      queue.replaceNewest({ ...sample, gapBefore: sample.gapBefore || queued.gapBefore });
    } else {
      queue.push(sample);
      stats.recorded += 1;
    }
    state.gapPending = false;
    state.last = {
      t: sample.t,
      kind: level.kind,
      text: level.text,
      zone: snapshot.zone,
      bands: snapshot.bands,
    };
    if (queue.length >= batchSize) queue.flushIfDue();
  }

  function recordAt(accountId: string, snapshot: MarginSnapshot, receivedAt: number): void {
    const state = stateOf(accountId);
    const gap = state.lastDataAt !== undefined && receivedAt - state.lastDataAt > gapMsOf(accountId);
    state.lastDataAt = Math.max(state.lastDataAt ?? receivedAt, receivedAt);
    enqueue(accountId, state, snapshot, receivedAt, gap);
  }

  function record(message: RecordedMessage): void {
    stats.messages += 1;
    if (message.outcome.kind === 'error') stats.rejected += 1;
    const snapshot = message.snapshot;
    if (!snapshot) return;
    if (message.carriesLevel) {
      recordAt(message.account.id, snapshot, message.receivedAt);
      return;
    }
    // A message without a level (balances only, a keep-alive, a rejected one) is no sign that the level is live.
    // Only the venue's own status (VALR's account-status poll) is recorded, and only when it changed the zone.
    if (!message.carriesVenueStatus) return;
    const state = stateOf(message.account.id);
    if (state.last !== undefined && state.last.zone !== snapshot.zone) {
      enqueue(message.account.id, state, snapshot, message.receivedAt, false);
    }
  }

  return {
    record(message) {
      try {
        record(message);
      } catch (err) {
        log?.error('history: unexpected recorder failure', { accountId: message.account.id, error: err });
      }
    },
    recordSnapshot(snapshot, receivedAt) {
      stats.messages += 1;
      recordAt(snapshot.accountId, snapshot, receivedAt);
    },
    gapMsFor: gapMsOf,
  };
}

/**
 * Starts the flush and pruning timers (unref'd); returns a function stopping them, which resolves once a pruning
 * still running has stopped (told through its signal to stop between two statements). A pruning still running
 * when the next is due is not started twice.
 */
function startTimers(
  options: RecorderSettings,
  flushIfDue: () => unknown,
  prune: (signal: AbortSignal) => number | Promise<number>,
): () => Promise<void> {
  const log = options.log;
  const timers: NodeJS.Timeout[] = [];
  const stopping = new AbortController();
  let running: Promise<void> | null = null;
  const flushMs = options.flushMs ?? FLUSH_MS;
  if (flushMs > 0) timers.push(setInterval(() => void flushIfDue(), flushMs).unref());
  const pruneEveryMs = options.pruneEveryMs ?? PRUNE_EVERY_MS;
  if (pruneEveryMs > 0) {
    let pruning = false;
    const report = (deleted: number): void => {
      if (deleted > 0) log?.info('history: pruned old samples', { deleted });
    };
    const fail = (err: unknown): void => {
      log?.error('history: pruning failed', { error: err });
    };
    const safePrune = (): void => {
      if (pruning) return;
      try {
        const result = prune(stopping.signal);
        if (typeof result === 'number') {
          report(result);
          return;
        }
        pruning = true;
        running = result.then(report, fail).finally(() => {
          pruning = false;
          running = null;
        });
      } catch (err) {
        fail(err);
      }
    };
    timers.push(setTimeout(safePrune, Math.min(5_000, pruneEveryMs)).unref());
    timers.push(setInterval(safePrune, pruneEveryMs).unref());
  }
  return async () => {
    for (const timer of timers) clearTimeout(timer);
    timers.length = 0;
    stopping.abort();
    await running;
  };
}

/** Creates the recorder. It starts its flush and pruning timers (unref'd: they never keep the process alive). */
export function createRecorder(options: RecorderOptions): Recorder {
  const writer = createWriter(options.db);
  const sqlite = options.db.sqlite;
  const now = options.now ?? Date.now;
  const retentionMs = (options.retentionDays ?? RETENTION_DAYS) * DAY_MS;
  const rawMs = (options.rawDays ?? RAW_DAYS) * DAY_MS;
  const minuteMs = Math.max(rawMs, (options.minuteRollupDays ?? MINUTE_ROLLUP_DAYS) * DAY_MS);
  const log = options.log;

  const tally = writeTally(now, log);
  const queue = createWriteQueue<SampleInput>({
    component: 'history',
    what: 'samples',
    db: sqlite,
    keyOf: (sample) => sample.accountId,
    write(batch) {
      const added = writer.write(batch);
      tally.written(batch.length, added);
      return added;
    },
    now,
    ...(log ? { log } : {}),
  });
  const sampler = createSampler(options, tally.stats, {
    queue,
    lastSampleTime: (accountId) => writer.lastSampleTime(accountId),
  });

  const deleteSamples = sqlite.prepare<[number, number]>(
    'DELETE FROM samples WHERE account_id = ? AND t < ?',
  );
  // Raw samples in [lo, hi) whose 1-minute rollup row exists and covers them (the rollup is written in the same
  // transaction as the sample, so this holds for every committed sample; the check guards against any other).
  const [finest, quarter] = ROLLUP_PERIODS;
  const deleteRolledUp = sqlite.prepare<{ account: number; lo: number; hi: number }>(
    `DELETE FROM samples WHERE account_id = @account AND t >= @lo AND t < @hi
       AND EXISTS (SELECT 1 FROM rollups r WHERE r.account_id = @account AND r.period = ${finest}
                     AND r.start = (samples.t / ${finest}) * ${finest} AND r.first_t <= samples.t
                     AND r.last_t >= samples.t)`,
  );
  // 1-minute rollups of whole quarter hours before @before whose 15-minute row covers them.
  const compactMinutes = sqlite.prepare<{ account: number; before: number }>(
    `DELETE FROM rollups WHERE account_id = @account AND period = ${finest} AND start < @before
       AND EXISTS (SELECT 1 FROM rollups q WHERE q.account_id = @account AND q.period = ${quarter}
                     AND q.start = (rollups.start / ${quarter}) * ${quarter} AND q.first_t <= rollups.first_t
                     AND q.last_t >= rollups.last_t)`,
  );
  const oldestSample = sqlite.prepare<[number], { t: number | null }>(
    'SELECT MIN(t) AS t FROM samples WHERE account_id = ?',
  );
  const deleteRollups = sqlite.prepare<[number, number, number]>(
    'DELETE FROM rollups WHERE account_id = ? AND period = ? AND start < ?',
  );
  const accountRows = sqlite.prepare<[], { id: number }>('SELECT id FROM accounts');

  function prune(at = now()): number {
    const cutoff = at - retentionMs;
    // Whole minutes only, all ended: a minute's samples go together, once its rollup can no longer change.
    const rawCutoff = Math.floor((at - rawMs) / finest) * finest;
    const minuteCutoff = Math.floor((at - minuteMs) / quarter) * quarter;
    let deleted = 0;
    for (const { id } of accountRows.all()) {
      for (;;) {
        const oldest = oldestSample.get(id)?.t;
        if (oldest === null || oldest === undefined || oldest >= cutoff) break;
        const sliceEnd = Math.min(cutoff, oldest + PRUNE_SLICE_MS);
        deleted += sqlite.transaction(() => deleteSamples.run(id, sliceEnd).changes)();
      }
      const oldest = oldestSample.get(id)?.t;
      if (oldest !== null && oldest !== undefined) {
        for (let lo = oldest; lo < rawCutoff; lo += PRUNE_SLICE_MS) {
          const params = { account: id, lo, hi: Math.min(rawCutoff, lo + PRUNE_SLICE_MS) };
          deleted += sqlite.transaction(() => deleteRolledUp.run(params).changes)();
        }
      }
      sqlite.transaction(() => {
        compactMinutes.run({ account: id, before: minuteCutoff });
        // A rollup period goes once it ends at or before the cutoff.
        for (const period of ROLLUP_PERIODS) deleteRollups.run(id, period, cutoff - period + 1);
      })();
    }
    writer.resetCache();
    return deleted;
  }

  // Synchronous: a pruning never runs while close() does.
  const stopTimers = startTimers(
    options,
    () => queue.flushIfDue(),
    () => prune(),
  );

  return {
    ...sampler,
    flush: () => queue.flush(),
    prune,
    stats: () => {
      const { pending, dropped } = queue.stats();
      return { ...tally.stats, pending, dropped };
    },
    close() {
      void stopTimers();
      queue.flush();
      reportUnwritten(queue, 'history', 'samples', log);
    },
  };
}

/**
 * Creates the recorder of an asynchronous history store (PostgreSQL): the same sampling, batches, bounds and log
 * lines as the SQLite recorder; a refused batch (the connection lost …) waits in memory and is retried, and
 * nothing already committed is lost. Reads the newest stored sample of each of `accountIds` first.
 */
export async function createStoreRecorder(options: StoreRecorderOptions): Promise<StoreRecorder> {
  const { store } = options;
  const now = options.now ?? Date.now;
  const log = options.log;
  const tiers = {
    retentionDays: options.retentionDays ?? RETENTION_DAYS,
    rawDays: options.rawDays ?? RAW_DAYS,
    minuteRollupDays: options.minuteRollupDays ?? MINUTE_ROLLUP_DAYS,
  };
  const stored = new Map<string, number | null>();
  for (const id of options.accountIds) stored.set(id, await store.lastSampleTime(id));

  const tally = writeTally(now, log);
  const queue = createAsyncWriteQueue<SampleInput>({
    component: 'history',
    what: 'samples',
    keyOf: (sample) => sample.accountId,
    async write(batch) {
      const added = await store.write(batch);
      tally.written(batch.length, added);
      return added;
    },
    now,
    ...(log ? { log } : {}),
  });
  const sampler = createSampler(options, tally.stats, {
    queue,
    lastSampleTime: (accountId) => stored.get(accountId) ?? null,
  });
  const prune = (at = now()): Promise<number> => store.prune(at, tiers);
  const stopTimers = startTimers(
    options,
    () => queue.flushIfDue(),
    (signal) => store.prune(now(), tiers, signal),
  );

  return {
    ...sampler,
    flush: () => queue.flush(),
    settle: () => queue.settle(),
    prune,
    stats: () => {
      const { pending, dropped } = queue.stats();
      return { ...tally.stats, pending, dropped };
    },
    async close() {
      // Bounded: a database that hangs must not hold the proxy's stop past its deadline.
      await waitAtMost(1_000, stopTimers());
      await waitAtMost(CLOSE_WAIT_MS, queue.flush());
      reportUnwritten(queue, 'history', 'samples', log);
    },
  };
}

/** What the recorder needs of a configured account (AccountConfig has all of it). */
export interface RecordedAccount {
  id: string;
  exchange: string;
  pollSeconds?: number;
}

/**
 * `intervalFor` for the recorder from the configured accounts: each account's fastest channel cadence from its
 * exchange module, polled channels at the account's poll interval.
 */
export function intervalsFor(
  accounts: readonly RecordedAccount[],
): (accountId: string) => number | undefined {
  const byId = new Map<string, number>();
  for (const account of accounts) {
    const exchange = exchangeById(account.exchange);
    if (!exchange) continue;
    const pollMs = (account.pollSeconds ?? exchange.defaultPollSeconds ?? 10) * 1000;
    const cadences = exchange.channels.map((c) => (c.cadence === 'poll' ? pollMs : c.cadence));
    if (cadences.length > 0) byId.set(account.id, Math.min(...cadences));
  }
  return (accountId) => byId.get(accountId);
}
