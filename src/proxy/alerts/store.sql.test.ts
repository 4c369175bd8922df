// The alert store through the query layer, on SQLite and on a throwaway PostgreSQL: every answer of one journey
// (inserts, repeats, pages sharing a time, filters, open alerts, pruning, rule settings) is exactly the SQLite
// store's. Without PostgreSQL its half is skipped with a printed line (see ../db/testing/postgres.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHistory } from '../db/open.ts';
import { openPostgres, sqliteDatabase, type SqlDatabase } from '../db/sql.ts';
import { postgresForTests, type TestPostgres } from '../db/testing/postgres.ts';
import type { AlertEvent } from './engine.ts';
import { createAlertStore, createSqlAlertStore, type AlertStore, type SqlAlertStore } from './store.ts';

function alert(n: number, at: number, over: Partial<AlertEvent> = {}): AlertEvent {
  return {
    id: `e${n}`,
    accountId: 'bitso-demo',
    exchange: 'bitso',
    rule: 'zone-worse',
    kind: 'fired',
    level: '1.0800',
    zone: 'liquidation',
    cushion: '-0.01851852',
    message: `alert ${n}`,
    at,
    ...over,
  };
}

/** One journey through a store, every answer in order (as JSON, to compare byte for byte). */
async function journey(store: AlertStore | SqlAlertStore): Promise<string[]> {
  const out: string[] = [];
  const note = (value: unknown): void => {
    out.push(JSON.stringify(value));
  };
  await store.insert(alert(1, 100));
  await store.insert({ ...alert(1, 100), message: 'changed' });
  note(await store.list());
  note(
    await store.insertMany([
      alert(2, 200),
      alert(3, 300, { rule: 'stale', level: null, cushion: null }),
      alert(4, 300, { accountId: 'valr-demo', exchange: 'valr', zone: 'takeover' }),
      alert(5, 300, { kind: 'recovered', zone: 'safe' }),
      alert(6, 400, { rule: 'move-below', zone: 'caution', message: 'BTC −12 % would reach liquidation' }),
      alert(2, 999),
    ]),
  );
  for (const query of [
    { limit: 2 },
    { limit: 2, before: 300 },
    { limit: 2, before: 100 },
    { accountId: 'bitso-demo' },
    { accountId: 'bitso-demo', limit: 1, before: 400 },
    { from: 300 },
    { limit: 0 },
  ]) {
    note(await store.list(query));
  }
  note(await store.open());
  note(await store.loadOverrides());
  await store.saveOverrides({ defaults: { cushionBelow: { percent: '30' } } }, 1);
  await store.saveOverrides({ accounts: { a: { stale: { seconds: 20 } } } }, 2);
  note(await store.loadOverrides());
  note(await store.prune(350));
  note(await store.list());
  note(await store.open());
  note(await store.prune(10_000));
  note(await store.list());
  return out;
}

let pgServer: TestPostgres | null = null;
let databases = 0;
beforeAll(async () => {
  pgServer = await postgresForTests('alert store');
}, 60_000);
afterAll(async () => {
  await pgServer?.stop();
});

const ENGINES: { name: string; open(): Promise<SqlDatabase | null> }[] = [
  {
    name: 'SQLite',
    async open() {
      const history = openHistory(':memory:');
      return { ...sqliteDatabase(history.sqlite), close: async () => history.close() };
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      return pgServer ? openPostgres(await pgServer.createDatabase(`alerts_${(databases += 1)}`)) : null;
    },
  },
];

describe.each(ENGINES)('alert store on $name', (engine) => {
  it('answers the journey exactly as the SQLite store', async (ctx) => {
    const database = await engine.open();
    if (!database) return ctx.skip();
    const reference = openHistory(':memory:');
    try {
      const expected = await journey(createAlertStore(reference.sqlite));
      expect(expected).toHaveLength(17);
      expect(await journey(createSqlAlertStore(database))).toEqual(expected);
    } finally {
      reference.close();
      await database.close();
    }
  }, 60_000);
});

describe('alert store of one proxy on a shared database', () => {
  it("lists and reports open only its own accounts' alerts", async () => {
    const history = openHistory(':memory:');
    try {
      const database = sqliteDatabase(history.sqlite);
      const everyone = createSqlAlertStore(database);
      await everyone.insertMany([
        alert(1, 100),
        alert(2, 100, { accountId: 'valr-demo', exchange: 'valr' }),
        alert(3, 200, { accountId: 'valr-demo', exchange: 'valr', rule: 'stale' }),
      ]);
      const mine = createSqlAlertStore(database, { accounts: ['valr-demo'] });
      expect((await mine.list()).alerts.map((a) => a.id)).toEqual(['e3', 'e2']);
      expect((await mine.list({ limit: 1, before: 200 })).alerts.map((a) => a.id)).toEqual(['e2']);
      expect((await mine.open()).map((a) => a.id)).toEqual(['e3', 'e2']);
      expect((await everyone.open()).map((a) => a.id)).toEqual(['e3', 'e2', 'e1']);
      const none = createSqlAlertStore(database, { accounts: [] });
      expect(await none.list()).toEqual({ alerts: [], nextBefore: null });
    } finally {
      history.close();
    }
  });
});

describe.each(ENGINES)('alert stores of two proxies sharing $name', (engine) => {
  it('keep each one its own rule settings and prune only their own alerts', async (ctx) => {
    const database = await engine.open();
    if (!database) return ctx.skip();
    try {
      const a = createSqlAlertStore(database, { accounts: ['acct-a'] });
      const b = createSqlAlertStore(database, { accounts: ['acct-b'] });
      await a.saveOverrides({ accounts: { 'acct-a': { cushionBelow: { percent: '42' } } } }, 1);
      await b.saveOverrides({ accounts: { 'acct-b': { cushionBelow: { percent: '7' } } } }, 2);
      // A restart of either reads back its own account's settings, never the other's.
      expect(await a.loadOverrides()).toEqual({
        accounts: { 'acct-a': { cushionBelow: { percent: '42' } } },
      });
      expect(await b.loadOverrides()).toEqual({ accounts: { 'acct-b': { cushionBelow: { percent: '7' } } } });
      // Back to the defaults for acct-a, and UI defaults from a: b's account keeps its own row.
      await a.saveOverrides({ defaults: { stale: { seconds: 90 } } }, 3);
      expect(await a.loadOverrides()).toEqual({ defaults: { stale: { seconds: 90 } } });
      expect(await b.loadOverrides()).toEqual({
        defaults: { stale: { seconds: 90 } },
        accounts: { 'acct-b': { cushionBelow: { percent: '7' } } },
      });
      // c started before a changed the defaults again: saving its own account leaves them as they are.
      const c = createSqlAlertStore(database, { accounts: ['acct-c'] });
      const stale = await c.loadOverrides();
      const defaults = { stale: { seconds: 120 } };
      await a.saveOverrides({ defaults }, 4);
      await c.saveOverrides({ ...stale, accounts: { 'acct-c': { stale: { seconds: 40 } } } }, 5);
      expect(await a.loadOverrides()).toEqual({ defaults });
      // Saves land in the order they were made, even when the second is asked for before the first is done.
      await Promise.all([
        b.saveOverrides({ defaults, accounts: { 'acct-b': { cushionBelow: { percent: '8' } } } }, 6),
        b.saveOverrides({ defaults, accounts: { 'acct-b': { cushionBelow: { percent: '9' } } } }, 7),
      ]);
      expect(await b.loadOverrides()).toEqual({
        defaults,
        accounts: { 'acct-b': { cushionBelow: { percent: '9' } } },
      });
      expect(await c.loadOverrides()).toEqual({
        defaults,
        accounts: { 'acct-c': { stale: { seconds: 40 } } },
      });

      const everyone = createSqlAlertStore(database);
      await everyone.insertMany([
        alert(1, 100, { accountId: 'acct-a', kind: 'recovered' }),
        alert(2, 200, { accountId: 'acct-a' }),
        alert(3, 100, { accountId: 'acct-b', kind: 'recovered' }),
        alert(4, 200, { accountId: 'acct-b' }),
      ]);
      expect(await a.prune(1_000)).toBe(1);
      expect((await everyone.list()).alerts.map((e) => e.id).sort()).toEqual(['e2', 'e3', 'e4']);
    } finally {
      await database.close();
    }
  }, 60_000);
});
