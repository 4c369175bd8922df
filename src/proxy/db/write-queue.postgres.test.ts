// The asynchronous write queue: its bounds and log lines are the SQLite queue's, and against a real PostgreSQL a
// lost connection keeps the samples in memory, loses nothing committed, and writes every sample once when the
// database takes connections again.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSqlHistoryStore } from '../history/sql-store.ts';
import { levelOf, snapshotAt } from '../history/testing/samples.ts';
import type { SampleInput } from '../history/writer.ts';
import { openPostgres } from './sql.ts';
import { postgresForTests, type TestPostgres } from './testing/postgres.ts';
import { createAsyncWriteQueue, createWriteQueue } from './write-queue.ts';

interface Item {
  key: string;
  n: number;
}

function logSpy() {
  return { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
}

describe('asynchronous write queue', () => {
  it('keeps refused items in order, drops the oldest beyond the bound, and logs as the SQLite queue does', async () => {
    const asyncLog = logSpy();
    const syncLog = logSpy();
    const stored: Item[] = [];
    let refusing: Error | null = new Error('connection terminated unexpectedly');
    let clock = 0;
    const common = { component: 'history', what: 'samples', maxPending: 4, now: () => clock };
    const queue = createAsyncWriteQueue<Item>({
      ...common,
      log: asyncLog,
      keyOf: (i) => i.key,
      write: async (items) => {
        await new Promise((r) => setTimeout(r, 1));
        if (refusing) throw refusing;
        stored.push(...items);
        return items.length;
      },
    });
    const same = createWriteQueue<Item>({
      ...common,
      log: syncLog,
      write: (items) => {
        if (refusing) throw refusing;
        return items.length;
      },
    });
    for (let n = 0; n < 6; n += 1) {
      queue.push({ key: 'a', n });
      same.push({ key: 'a', n });
      expect(await queue.flush()).toBe(0);
      same.flush();
    }
    expect(queue.stats()).toEqual({ pending: 4, dropped: 2, failures: 6 });
    expect(queue.stats()).toEqual(same.stats());
    // The same lines, in the same words (the pause is random within its window).
    const words = (log: ReturnType<typeof logSpy>) =>
      [...log.error.mock.calls, ...log.warn.mock.calls].map((c) => c[0] as string);
    expect(words(asyncLog)).toEqual(words(syncLog));
    expect(words(asyncLog)).toEqual([
      'history: writing samples failed; keeping them and retrying',
      'history: too many samples waiting; dropping the oldest until writing works again',
    ]);
    // Automatic attempts pause; flush() tries at once.
    expect(await queue.flushIfDue()).toBe(0);
    expect(queue.stats().failures).toBe(6);
    refusing = null;
    clock += 120_000;
    queue.push({ key: 'b', n: 6 });
    expect(queue.newest('a')).toEqual({ key: 'a', n: 5 });
    const first = queue.flushIfDue();
    queue.push({ key: 'a', n: 7 });
    const second = queue.flush();
    expect(await first).toBe(5);
    expect(await second).toBe(1);
    expect(stored.map((i) => i.n)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(asyncLog.info).toHaveBeenCalledWith('history: writing samples works again', {
      failedAttempts: 6,
      written: 5,
      dropped: 2,
    });
  });
});

let server: TestPostgres | null = null;
beforeAll(async () => {
  server = await postgresForTests('history queue on PostgreSQL');
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

function sampleAt(t: number, text: string): SampleInput {
  const s = snapshotAt('acct', t, levelOf(text));
  if (s.level === null) throw new Error('a level is needed');
  return {
    accountId: 'acct',
    exchange: 'valr',
    t,
    level: s.level,
    unit: s.unit,
    bands: s.bands,
    zone: s.zone,
    cushion: s.cushion,
    totals: s.totals,
    gapBefore: false,
  };
}

describe('history samples on PostgreSQL when the connection is lost', () => {
  it('keeps them in memory, loses nothing committed, and writes each once when the database is back', async (ctx) => {
    if (!server) return ctx.skip();
    const url = await server.createDatabase('connection_loss');
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    const database = await openPostgres(url, { connectTimeoutMs: 2_000 });
    const store = createSqlHistoryStore(database);
    const log = logSpy();
    const queue = createAsyncWriteQueue<SampleInput>({
      component: 'history',
      what: 'samples',
      keyOf: (s) => s.accountId,
      write: (batch) => store.write(batch),
      log,
    });
    const T0 = Date.UTC(2026, 0, 1);
    try {
      for (let i = 0; i < 100; i += 1) queue.push(sampleAt(T0 + i * 5_000, `1.${1000 + i}`));
      expect(await queue.flush()).toBe(100);

      await admin.query('ALTER DATABASE connection_loss ALLOW_CONNECTIONS false');
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'connection_loss'",
      );
      for (let i = 100; i < 250; i += 1) queue.push(sampleAt(T0 + i * 5_000, `1.${1000 + i}`));
      expect(await queue.flush()).toBe(0);
      expect(await queue.flush()).toBe(0);
      expect(queue.stats()).toMatchObject({ pending: 150, dropped: 0 });
      expect(log.error).toHaveBeenCalled();
      expect(log.error.mock.calls[0]?.[0]).toBe('history: writing samples failed; keeping them and retrying');

      await admin.query('ALTER DATABASE connection_loss ALLOW_CONNECTIONS true');
      expect(await queue.flush()).toBe(150);
      expect(log.info).toHaveBeenCalledWith(
        'history: writing samples works again',
        expect.objectContaining({ written: 150 }),
      );
      const result = await store.query({ accountId: 'acct', maxPoints: 1000, now: T0 + 250 * 5_000 });
      expect(result.buckets.reduce((n, b) => n + b.count, 0)).toBe(250);
      expect(await store.lastSampleTime('acct')).toBe(T0 + 249 * 5_000);
    } finally {
      await admin.query('ALTER DATABASE connection_loss ALLOW_CONNECTIONS true').catch(() => undefined);
      await admin.end();
      await database.close();
    }
  }, 60_000);
});
