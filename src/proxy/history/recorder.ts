// The history recorder: every wire message the proxy receives for an account is normalized with the
// exchange's own parser, folded into that account's snapshot (applyUpdate), and a sample is recorded when
//   - the level (kind or text), the zone or the bands changed, or
//   - HEARTBEAT_MS (30 s) passed since the account's last sample (so a steady account still shows coverage), or
//   - the account sent nothing for longer than its gap threshold (the sample is then marked `gap_before`,
//     which the chart draws as a break in the line instead of a line across the outage).
// The gap threshold is max(90 s, 3 × the account's fastest channel cadence or poll interval).
// Samples are queued and written in batches (BATCH_SIZE samples, or every FLUSH_MS), one transaction each,
// so a crash loses at most the batch being collected. Retention pruning runs hourly.
import type { Band, MarginSnapshot, ThresholdOverrides } from '../../domain/model.ts';
import { applyUpdate } from '../../domain/risk.ts';
import { exchangeById } from '../../exchanges/registry.ts';
import type { Logger } from '../../exchanges/server-types.ts';
import type { NormalizeContext, ParseOutcome } from '../../exchanges/types.ts';
import type { HistoryDb } from './db.ts';
import { ROLLUP_PERIODS } from './schema.ts';
import { createWriter, type SampleInput } from './writer.ts';

export const HEARTBEAT_MS = 30_000;
export const DEFAULT_GAP_MS = 90_000;
export const BATCH_SIZE = 500;
export const FLUSH_MS = 1_000;
export const PRUNE_EVERY_MS = 3_600_000;
/** Samples kept in memory while the database refuses writes (disk full …); the oldest are dropped beyond. */
export const MAX_PENDING = 100_000;
const DAY_MS = 86_400_000;
/** Retention pruning deletes at most this much time of one account per transaction. */
const PRUNE_SLICE_MS = 6 * 3_600_000;

/** How to read one account's messages. */
export interface AccountNormalizer {
  /** The exchange module's normalize (browser-safe, never throws). */
  normalize(channel: string, payload: unknown, ctx: NormalizeContext): ParseOutcome;
  /** The account's configured thresholds, passed to normalize. */
  thresholds?: ThresholdOverrides;
  /** How often the account normally sends data (its fastest channel or poll), ms; widens the gap threshold. */
  expectedIntervalMs?: number;
}

export interface RecorderOptions {
  db: HistoryDb;
  /** The normalizer of an account, or undefined for an account the recorder should ignore. */
  normalizeFor(accountId: string): AccountNormalizer | undefined;
  /** Samples older than this are deleted (hourly). Default 365. */
  retentionDays?: number;
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
  /** The proxy's message hook: one relayed wire message of an account. Never throws. */
  record(accountId: string, channel: string, payload: unknown, receivedAt: number): void;
  /** Records an already-folded snapshot (benchmarks, tests, tools), with the same change/heartbeat rules. */
  recordSnapshot(snapshot: MarginSnapshot, receivedAt: number): void;
  /** Writes the queued samples now; returns how many were written. */
  flush(): number;
  /** Deletes samples (and rollups) older than the retention; returns the number of samples deleted. */
  prune(now?: number): number;
  /** The silence (ms) after which this account's next sample is marked as following a gap. */
  gapMsFor(accountId: string): number;
  stats(): RecorderStats;
  /** Flushes and stops the timers. The database stays open (its owner closes it). */
  close(): void;
}

interface LastSample {
  t: number;
  kind: 'value' | 'no-debt';
  text: string;
  zone: string;
  bands: readonly Band[];
}

interface AccountState {
  /** Undefined for accounts fed only through recordSnapshot. */
  normalizer?: AccountNormalizer;
  snapshot?: MarginSnapshot;
  /** receivedAt of the newest data message (an update) for the account. */
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

/** Creates the recorder. It starts its flush and pruning timers (unref'd: they never keep the process alive). */
export function createRecorder(options: RecorderOptions): Recorder {
  const writer = createWriter(options.db);
  const sqlite = options.db.sqlite;
  const now = options.now ?? Date.now;
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  const baseGapMs = options.gapMs ?? DEFAULT_GAP_MS;
  const batchSize = Math.max(1, options.batchSize ?? BATCH_SIZE);
  const retentionMs = (options.retentionDays ?? 365) * DAY_MS;
  const log = options.log;

  const accounts = new Map<string, AccountState | null>();
  let queue: SampleInput[] = [];
  /** Index in `queue` of each account's newest queued sample. */
  const queuedAt = new Map<string, number>();
  const stats: RecorderStats = { messages: 0, rejected: 0, recorded: 0, written: 0, pending: 0, dropped: 0 };

  function stateOf(accountId: string): AccountState | null {
    let state = accounts.get(accountId);
    if (state === undefined) {
      const normalizer = options.normalizeFor(accountId);
      state = normalizer ? { normalizer, gapPending: false } : null;
      accounts.set(accountId, state);
    }
    return state;
  }

  function gapMsOf(state: AccountState | null): number {
    const expected = state?.normalizer?.expectedIntervalMs ?? 0;
    return Math.max(baseGapMs, 3 * expected);
  }

  function enqueue(accountId: string, state: AccountState, snapshot: MarginSnapshot, gap: boolean): void {
    const level = snapshot.level;
    if (level === null) {
      if (gap) state.gapPending = true;
      return;
    }
    if (state.storedLastT === undefined) state.storedLastT = writer.lastSampleTime(accountId);
    const last = state.last;
    const gapBefore =
      gap ||
      state.gapPending ||
      (last === undefined &&
        state.storedLastT !== null &&
        snapshot.time - state.storedLastT > gapMsOf(state));
    const changed =
      last === undefined ||
      last.kind !== level.kind ||
      last.text !== level.text ||
      last.zone !== snapshot.zone ||
      !sameBands(last.bands, snapshot.bands);
    const due = last === undefined || snapshot.time - last.t >= heartbeatMs;
    if (!changed && !due && !gapBefore) return;

    const sample: SampleInput = {
      accountId,
      exchange: snapshot.exchange,
      t: snapshot.time,
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
      const index = queuedAt.get(accountId);
      const queued = index === undefined ? undefined : queue[index];
      if (index === undefined || queued === undefined || queued.t !== sample.t) {
        if (gapBefore) state.gapPending = true;
        return;
      }
      queue[index] = { ...sample, gapBefore: sample.gapBefore || queued.gapBefore };
    } else {
      queuedAt.set(accountId, queue.length);
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
    if (queue.length >= batchSize) flush();
  }

  function flush(): number {
    if (queue.length === 0) return 0;
    const batch = queue;
    queue = [];
    queuedAt.clear();
    try {
      const added = writer.write(batch);
      stats.written += added;
      return added;
    } catch (err) {
      log?.error('history: writing a batch failed; will retry', { error: err, samples: batch.length });
      queue = batch.concat(queue);
      if (queue.length > MAX_PENDING) {
        const excess = queue.length - MAX_PENDING;
        queue = queue.slice(excess);
        stats.dropped += excess;
      }
      return 0;
    }
  }

  function record(accountId: string, channel: string, payload: unknown, receivedAt: number): void {
    stats.messages += 1;
    const state = stateOf(accountId);
    const normalizer = state?.normalizer;
    if (!state || !normalizer) return;
    let outcome: ParseOutcome;
    try {
      const ctx: NormalizeContext = { accountId, receivedAt };
      if (normalizer.thresholds) ctx.thresholds = normalizer.thresholds;
      outcome = normalizer.normalize(channel, payload, ctx);
    } catch (err) {
      log?.warn('history: normalize threw', { accountId, channel, error: err });
      stats.rejected += 1;
      return;
    }
    if (outcome.kind === 'error') stats.rejected += 1;
    if (outcome.kind !== 'update') return;
    const gap = state.lastDataAt !== undefined && receivedAt - state.lastDataAt > gapMsOf(state);
    state.lastDataAt = Math.max(state.lastDataAt ?? receivedAt, receivedAt);
    state.snapshot = applyUpdate(state.snapshot, outcome.update);
    try {
      enqueue(accountId, state, state.snapshot, gap);
    } catch (err) {
      log?.error('history: recording a sample failed', { accountId, error: err });
    }
  }

  function recordSnapshot(snapshot: MarginSnapshot, receivedAt: number): void {
    stats.messages += 1;
    let state = accounts.get(snapshot.accountId);
    if (!state) {
      state = { gapPending: false };
      const normalizer = options.normalizeFor(snapshot.accountId);
      if (normalizer) state.normalizer = normalizer;
      accounts.set(snapshot.accountId, state);
    }
    const gap = state.lastDataAt !== undefined && receivedAt - state.lastDataAt > gapMsOf(state);
    state.lastDataAt = Math.max(state.lastDataAt ?? receivedAt, receivedAt);
    state.snapshot = snapshot;
    enqueue(snapshot.accountId, state, snapshot, gap);
  }

  const deleteSamples = sqlite.prepare<[number, number]>(
    'DELETE FROM samples WHERE account_id = ? AND t < ?',
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
    let deleted = 0;
    for (const { id } of accountRows.all()) {
      for (;;) {
        const oldest = oldestSample.get(id)?.t;
        if (oldest === null || oldest === undefined || oldest >= cutoff) break;
        const sliceEnd = Math.min(cutoff, oldest + PRUNE_SLICE_MS);
        deleted += sqlite.transaction(() => deleteSamples.run(id, sliceEnd).changes)();
      }
      sqlite.transaction(() => {
        // A rollup period goes once it ends at or before the cutoff.
        for (const period of ROLLUP_PERIODS) deleteRollups.run(id, period, cutoff - period + 1);
      })();
    }
    writer.resetCache();
    return deleted;
  }

  const timers: NodeJS.Timeout[] = [];
  const flushMs = options.flushMs ?? FLUSH_MS;
  if (flushMs > 0) timers.push(setInterval(flush, flushMs).unref());
  const pruneEveryMs = options.pruneEveryMs ?? PRUNE_EVERY_MS;
  if (pruneEveryMs > 0) {
    const safePrune = (): void => {
      try {
        const deleted = prune();
        if (deleted > 0) log?.info('history: pruned old samples', { deleted });
      } catch (err) {
        log?.error('history: pruning failed', { error: err });
      }
    };
    timers.push(setTimeout(safePrune, Math.min(5_000, pruneEveryMs)).unref());
    timers.push(setInterval(safePrune, pruneEveryMs).unref());
  }

  return {
    record(accountId, channel, payload, receivedAt) {
      try {
        record(accountId, channel, payload, receivedAt);
      } catch (err) {
        log?.error('history: unexpected recorder failure', { accountId, channel, error: err });
      }
    },
    recordSnapshot,
    flush,
    prune,
    gapMsFor: (accountId) => gapMsOf(stateOf(accountId)),
    stats: () => ({ ...stats, pending: queue.length }),
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.length = 0;
      flush();
    },
  };
}

/** What the recorder needs of a configured account (AccountConfig has all of it). */
export interface RecordedAccount {
  id: string;
  exchange: string;
  thresholds?: ThresholdOverrides;
  pollSeconds?: number;
}

/**
 * `normalizeFor` for the recorder from the configured accounts: each account's exchange module from the
 * registry, its thresholds, and its expected interval (fastest channel cadence, polls at the account's rate).
 */
export function normalizersFor(
  accounts: readonly RecordedAccount[],
): (accountId: string) => AccountNormalizer | undefined {
  const byId = new Map<string, AccountNormalizer>();
  for (const account of accounts) {
    const exchange = exchangeById(account.exchange);
    if (!exchange) continue;
    const pollMs = (account.pollSeconds ?? exchange.defaultPollSeconds ?? 10) * 1000;
    const cadences = exchange.channels.map((c) => (c.cadence === 'poll' ? pollMs : c.cadence));
    const normalizer: AccountNormalizer = { normalize: (ch, p, ctx) => exchange.normalize(ch, p, ctx) };
    if (account.thresholds) normalizer.thresholds = account.thresholds;
    if (cadences.length > 0) normalizer.expectedIntervalMs = Math.min(...cadences);
    byId.set(account.id, normalizer);
  }
  return (accountId) => byId.get(accountId);
}
