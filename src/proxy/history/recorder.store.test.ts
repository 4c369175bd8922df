// The recorder of an asynchronous history store (the one the proxy uses with PostgreSQL) samples exactly as the
// SQLite recorder does: fed the same snapshots, the store's answers equal the SQLite file's. Here the store runs
// over an in-memory SQLite through the query layer (its PostgreSQL half is covered by ./sql-store.test.ts and the
// proxy-level ../postgres.start.test.ts). A refused write keeps the samples and writes them once it works again.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openHistory, type HistoryDb } from '../db/open.ts';
import { sqliteDatabase } from '../db/sql.ts';
import { createReader } from './query.ts';
import { createRecorder, createStoreRecorder } from './recorder.ts';
import { createSqlHistoryStore, type HistoryStore } from './sql-store.ts';
import { NO_DEBT, levelOf, snapshotAt } from './testing/samples.ts';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const opened: HistoryDb[] = [];

function open(): HistoryDb {
  const db = openHistory(':memory:');
  opened.push(db);
  return db;
}

afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

/** A steady account with changes, heartbeats, a no-debt stretch and an outage of 5 minutes. */
function feed(record: (accountId: string, t: number, text: string | null) => void): void {
  let t = T0;
  for (let i = 0; i < 400; i += 1) {
    t += i === 200 ? 300_000 : 5_000;
    const text = i % 50 === 7 ? null : i % 9 === 0 ? `1.${400 + (i % 200)}` : '1.3000';
    record('valr-a', t, text);
    if (i % 3 === 0) record('valr-b', t + 1, `2.${1000 + i}`);
  }
}

describe('the recorder of an asynchronous store', () => {
  it('records the same samples as the SQLite recorder, and the gap before a restart', async () => {
    const file = open();
    const sqliteRecorder = createRecorder({ db: file, flushMs: 0, pruneEveryMs: 0 });
    const target = open();
    const store = createSqlHistoryStore(sqliteDatabase(target.sqlite));
    const storeRecorder = await createStoreRecorder({
      store,
      accountIds: ['valr-a', 'valr-b'],
      flushMs: 0,
      pruneEveryMs: 0,
    });
    feed((id, t, text) => {
      const snapshot = snapshotAt(id, t, text === null ? NO_DEBT : levelOf(text));
      sqliteRecorder.recordSnapshot(snapshot, t);
      storeRecorder.recordSnapshot(snapshot, t);
    });
    expect(storeRecorder.stats()).toEqual(sqliteRecorder.stats());
    expect(await storeRecorder.flush()).toBe(sqliteRecorder.flush());
    await storeRecorder.close();
    sqliteRecorder.close();

    // A restart 10 minutes later: the first sample of each account follows a gap, read from the store first.
    const restartAt = T0 + 3_000_000;
    const again = await createStoreRecorder({ store, accountIds: ['valr-a'], flushMs: 0, pruneEveryMs: 0 });
    const sqliteAgain = createRecorder({ db: file, flushMs: 0, pruneEveryMs: 0 });
    for (const recorder of [again, sqliteAgain]) {
      recorder.recordSnapshot(snapshotAt('valr-a', restartAt, levelOf('1.3000')), restartAt);
    }
    await again.close();
    sqliteAgain.close();

    const reader = createReader(file);
    for (const accountId of ['valr-a', 'valr-b']) {
      for (const maxPoints of [1000, 40]) {
        const request = { accountId, maxPoints, now: restartAt + 1 };
        expect(await store.query(request)).toEqual(reader.query(request));
      }
    }
    const last = await store.query({ accountId: 'valr-a', maxPoints: 1000, now: restartAt + 1 });
    expect(last.buckets.at(-1)).toMatchObject({ firstAt: restartAt, lastAt: restartAt, gapBefore: true });
  });

  it('keeps the samples while the store refuses writes, logs as the SQLite recorder, and writes them later', async () => {
    const target = open();
    const real = createSqlHistoryStore(sqliteDatabase(target.sqlite));
    let refusing = true;
    const store: HistoryStore = {
      ...real,
      write: async (samples) => {
        if (refusing) throw new Error('Connection terminated unexpectedly');
        return real.write(samples);
      },
    };
    const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    let clock = T0;
    const recorder = await createStoreRecorder({
      store,
      accountIds: ['valr-a'],
      flushMs: 0,
      pruneEveryMs: 0,
      now: () => clock,
      log,
    });
    for (let i = 0; i < 3; i += 1) {
      clock = T0 + i * 30_000;
      recorder.recordSnapshot(snapshotAt('valr-a', clock, levelOf(`1.${500 + i}`)), clock);
    }
    expect(await recorder.flush()).toBe(0);
    expect(recorder.stats()).toMatchObject({ recorded: 3, written: 0, pending: 3, dropped: 0 });
    expect(log.error).toHaveBeenCalledWith(
      'history: writing samples failed; keeping them and retrying',
      expect.objectContaining({ reason: 'Connection terminated unexpectedly', pending: 3 }),
    );
    refusing = false;
    expect(await recorder.flush()).toBe(3);
    expect(log.info).toHaveBeenCalledWith(
      'history: writing samples works again',
      expect.objectContaining({ failedAttempts: 1, written: 3 }),
    );
    expect(await real.lastSampleTime('valr-a')).toBe(T0 + 60_000);
    await recorder.close();
  });
});
