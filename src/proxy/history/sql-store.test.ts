// One suite, two engines: the history store over SQLite and over a throwaway PostgreSQL answers every history
// request with exactly the bytes the SQLite reader (./query.ts) gives for the same samples, before and after the
// retention tiers. Without PostgreSQL its half is skipped with a printed line (see ../db/testing/postgres.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dec } from '../../domain/decimal.ts';
import type { Band, Level } from '../../domain/model.ts';
import { cushionOf, zoneOf } from '../../domain/risk.ts';
import { openHistory, type HistoryDb } from '../db/open.ts';
import { openPostgres, sqliteDatabase, type SqlDatabase } from '../db/sql.ts';
import { postgresForTests, type TestPostgres } from '../db/testing/postgres.ts';
import { createReader, type HistoryRequest } from './query.ts';
import { createRecorder } from './recorder.ts';
import { createSqlHistoryStore, type HistoryStore } from './sql-store.ts';
import { NO_DEBT, TEST_BANDS, TEST_UNIT, levelOf } from './testing/samples.ts';
import { createWriter, type SampleInput } from './writer.ts';

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 5, 1, 0, 0, 7);
const LOWER_BANDS: Band[] = TEST_BANDS.map((b) => ({ ...b, threshold: b.threshold.minus('0.1') }));

function sample(accountId: string, t: number, level: Level, bands: Band[], gapBefore: boolean): SampleInput {
  return {
    accountId,
    exchange: 'valr',
    t,
    level,
    unit: TEST_UNIT,
    bands,
    zone: zoneOf(level, bands),
    cushion: cushionOf(level, bands),
    totals: { currency: 'USDC', assets: dec(`${t % 997}.5`), equity: dec(`${t % 1000}.25`), decimals: 2 },
    gapBefore,
  };
}

/**
 * Two accounts over ~25 days: every ~3 min with outages, no-debt stretches, a change of bands, and levels
 * distinct to 4 decimals (so the min and max of a bucket are one row each).
 */
function generate(): SampleInput[] {
  const next = random(7);
  const out: SampleInput[] = [];
  for (const accountId of ['acct', 'other']) {
    let t = T0;
    for (let i = 0; i < 12_000; i += 1) {
      const outage = next() < 0.002;
      t += outage ? 3_600_000 + Math.floor(next() * 7_200_000) : 1 + Math.floor(next() * 340_000);
      const level = next() < 0.03 ? NO_DEBT : levelOf((0.95 + next() * 1.5).toFixed(4));
      out.push(sample(accountId, t, level, i < 6_000 ? TEST_BANDS : LOWER_BANDS, outage));
    }
  }
  return out;
}

const SAMPLES = generate();
const END = Math.max(...SAMPLES.map((s) => s.t));

function requests(): HistoryRequest[] {
  const list: HistoryRequest[] = [];
  for (const accountId of ['acct', 'other', 'missing']) {
    list.push({ accountId, maxPoints: 1000, now: END + 1000 });
    list.push({ accountId, maxPoints: 37, now: END });
    list.push({ accountId, from: T0 + 3 * DAY, to: T0 + 3 * DAY + 3_600_000, maxPoints: 1000, now: END });
    list.push({ accountId, from: T0 + 10 * DAY + 12_345, to: T0 + 17 * DAY, maxPoints: 500, now: END });
    list.push({ accountId, from: END - 2 * DAY, maxPoints: 300, now: END });
    list.push({ accountId, from: T0 - DAY, to: T0 - 1, maxPoints: 10, now: END });
  }
  return list;
}

interface Backend {
  name: string;
  open(): Promise<SqlDatabase | null>;
}

let pgServer: TestPostgres | null = null;
let databases = 0;

const BACKENDS: Backend[] = [
  {
    name: 'SQLite',
    async open() {
      const history = openHistory(':memory:');
      const database = sqliteDatabase(history.sqlite);
      return { ...database, close: async () => history.close() };
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      if (!pgServer) return null;
      databases += 1;
      const url = await pgServer.createDatabase(`history_${databases}`);
      return openPostgres(url);
    },
  },
];

beforeAll(async () => {
  pgServer = await postgresForTests('history store');
}, 60_000);

afterAll(async () => {
  await pgServer?.stop();
});

/** The SQLite reader's answers, the reference: the same samples written by the SQLite writer. */
function reference(samples: readonly SampleInput[]): HistoryDb {
  const history = openHistory(':memory:');
  const writer = createWriter(history);
  for (let i = 0; i < samples.length; i += 500) writer.write(samples.slice(i, i + 500));
  return history;
}

async function writeAll(store: HistoryStore, samples: readonly SampleInput[]): Promise<number> {
  let added = 0;
  for (let i = 0; i < samples.length; i += 500) added += await store.write(samples.slice(i, i + 500));
  return added;
}

describe.each(BACKENDS)('history store on $name', (backend) => {
  let database: SqlDatabase | null = null;
  beforeAll(async () => {
    database = await backend.open();
  }, 60_000);
  afterAll(async () => {
    await database?.close();
  });

  it('answers every history request exactly as the SQLite reader, from samples and from every rollup', async (ctx) => {
    if (!database) return ctx.skip();
    const store = createSqlHistoryStore(database);
    const budgeted = createSqlHistoryStore(database, { rowBudget: 500 });
    expect(await writeAll(store, SAMPLES)).toBe(SAMPLES.length);
    const ref = reference(SAMPLES);
    const reader = createReader(ref);
    const lowBudget = createReader(ref, { rowBudget: 500 });
    const sources = new Set<string>();
    for (const request of requests()) {
      const expected = reader.query(request);
      expect(JSON.stringify(await store.query(request))).toBe(JSON.stringify(expected));
      const cheap = lowBudget.query(request);
      sources.add(cheap.source);
      expect(JSON.stringify(await budgeted.query(request))).toBe(JSON.stringify(cheap));
    }
    expect([...sources].sort()).toEqual(['15m', '1m', '4h', 'samples']);
    ref.close();
  }, 120_000);

  it('writes each sample once, knows the newest, and keeps the batch whole', async (ctx) => {
    if (!database) return ctx.skip();
    const store = createSqlHistoryStore(database);
    expect(await store.write(SAMPLES.slice(0, 10))).toBe(0);
    expect(await store.lastSampleTime('acct')).toBe(
      Math.max(...SAMPLES.filter((s) => s.accountId === 'acct').map((s) => s.t)),
    );
    expect(await store.lastSampleTime('missing')).toBeNull();
    const late = sample('acct', END + 5_000, levelOf('1.2345'), TEST_BANDS, false);
    // An account row without its exchange: refused by the database after `late` was inserted.
    const bad = {
      ...sample('fresh', END + 6_000, levelOf('1.5'), TEST_BANDS, false),
      exchange: null,
    } as unknown as SampleInput;
    await expect(store.write([late, bad])).rejects.toThrow();
    expect(await store.lastSampleTime('acct')).not.toBe(END + 5_000);
    expect(await store.write([late, late])).toBe(1);
    expect(await store.lastSampleTime('acct')).toBe(END + 5_000);
  }, 60_000);
});

describe.each(BACKENDS)('retention tiers on $name', (backend) => {
  it('prunes as the recorder prunes the SQLite file; old dips stay in the answers', async (ctx) => {
    const database = await backend.open();
    if (!database) return ctx.skip();
    try {
      const store = createSqlHistoryStore(database);
      await writeAll(store, SAMPLES);
      const ref = reference(SAMPLES);
      const tiers = { retentionDays: 35, rawDays: 5, minuteRollupDays: 12 };
      const at = END + DAY;
      const recorder = createRecorder({ db: ref, flushMs: 0, pruneEveryMs: 0, ...tiers });
      const expectedDeleted = recorder.prune(at);
      expect(expectedDeleted).toBeGreaterThan(10_000);
      expect(await store.prune(at, tiers)).toBe(expectedDeleted);
      const reader = createReader(ref);
      const sources = new Set<string>();
      for (const request of requests()) {
        const expected = reader.query(request);
        sources.add(expected.source);
        expect(JSON.stringify(await store.query(request))).toBe(JSON.stringify(expected));
      }
      expect(sources.has('1m') || sources.has('15m')).toBe(true);
      recorder.close();
      ref.close();
    } finally {
      await database.close();
    }
  }, 120_000);
});

describe.each(BACKENDS)('pruning on a $name database shared by two proxies', (backend) => {
  it("prunes only its own accounts' history, and stops between statements once told to", async (ctx) => {
    const database = await backend.open();
    if (!database) return ctx.skip();
    try {
      const few = [
        ...SAMPLES.filter((s) => s.accountId === 'acct').slice(0, 300),
        ...SAMPLES.filter((s) => s.accountId === 'other').slice(0, 300),
      ];
      const everyone = createSqlHistoryStore(database);
      await writeAll(everyone, few);
      const tiers = { retentionDays: 1, rawDays: 1, minuteRollupDays: 1 };
      const at = END + 10 * DAY;
      const count = async (accountId: string) =>
        (await everyone.query({ accountId, from: 0, to: at, now: at, maxPoints: 1000 })).buckets.length;
      const otherBefore = await count('other');
      expect(otherBefore).toBeGreaterThan(0);

      const stopped = new AbortController();
      stopped.abort();
      const mine = createSqlHistoryStore(database, { accounts: ['acct'] });
      expect(await mine.prune(at, tiers, stopped.signal)).toBe(0);
      expect(await count('acct')).toBeGreaterThan(0);

      expect(await mine.prune(at, tiers)).toBe(300);
      expect(await count('acct')).toBe(0);
      expect(await count('other')).toBe(otherBefore);
    } finally {
      await database.close();
    }
  }, 60_000);
});

describe('two writes at once on PostgreSQL (a retry beside a write that timed out)', () => {
  it('never gives the retry an id from the other write that is then rolled back', async (ctx) => {
    if (!pgServer) return ctx.skip();
    databases += 1;
    const url = await pgServer.createDatabase(`history_${databases}`);
    const database = await openPostgres(url, { applicationName: 'writer-under-test' });
    const admin = await openPostgres(url, { applicationName: 'admin' });
    const blockedWriters = async (): Promise<number[]> =>
      (
        await admin.pool.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE application_name = 'writer-under-test' AND wait_event_type = 'Lock'`,
        )
      ).rows.map((r) => r.pid);
    try {
      const store = createSqlHistoryStore(database);
      const both = SAMPLES.filter((x) => x.accountId === 'acct').slice(0, 2);
      const locker = await admin.pool.connect();
      try {
        // Writes wait at the samples table; by then the first has created the account row, uncommitted.
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE samples IN EXCLUSIVE MODE');
        const timedOut = store.write(both.slice(0, 1));
        await expect.poll(async () => (await blockedWriters()).length).toBe(1);
        const [firstPid] = await blockedWriters();
        const retry = store.write(both);
        // The retry waits too (on the account row or the samples table), then the first is cut off and rolls back.
        await expect.poll(async () => (await blockedWriters()).length).toBe(2);
        await admin.pool.query('SELECT pg_terminate_backend($1)', [firstPid]);
        await expect(timedOut).rejects.toThrow();
        await locker.query('COMMIT');
        expect(await retry).toBe(2);
      } finally {
        locker.release();
      }
      const end = both[1]?.t ?? 0;
      const answer = await store.query({ accountId: 'acct', from: 0, to: end, now: end, maxPoints: 100 });
      expect(answer.buckets.reduce((n, b) => n + b.count, 0)).toBe(2);
      const orphans = await admin.pool.query<{ n: number }>(
        'SELECT COUNT(*)::int AS n FROM samples s WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = s.account_id)',
      );
      expect(orphans.rows[0]?.n).toBe(0);
    } finally {
      await admin.close();
      await database.close();
    }
  }, 60_000);
});
