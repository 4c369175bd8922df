// The alert service on the query layer's store (the one the proxy uses with PostgreSQL) behaves as the service on
// the SQLite file: fed the same snapshots with the same clock and ids, it answers the same history pages, open
// alerts and rules, stores the UI's rule edits, and picks up open alerts after a restart. Here its store runs
// over an in-memory SQLite (the PostgreSQL store is compared in ./store.sql.test.ts and by the proxy-level
// ../postgres.start.test.ts).
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { alertsMigration } from '../db/migrations.ts';
import { sqliteDatabase } from '../db/sql.ts';
import { createLogger } from '../log.ts';
import {
  AlertRulesError,
  RulesNotSavedError,
  createAlertService,
  createSqlAlertService,
  type AlertServiceConfig,
  type ProxyAlertService,
} from './service.ts';
import { createSqlAlertStore } from './store.ts';
import { SECOND, snap } from './testing/accounts.ts';

const CONFIG: AlertServiceConfig = {
  accounts: [
    { id: 'bitso-demo', exchange: 'bitso', label: 'Bitso (demo)', pollSeconds: 5 },
    { id: 'valr-demo', exchange: 'valr', label: 'VALR (demo)', pollSeconds: 10 },
  ],
  alerts: { webhooks: [] },
};

let files: Database.Database[];
let running: ProxyAlertService[];

function database(): Database.Database {
  const db = new Database(':memory:');
  db.transaction(() => alertsMigration.up(db))();
  files.push(db);
  return db;
}

/** Both services with their own database and the same deterministic ids. */
async function pair(fileDb: Database.Database, sqlDb: Database.Database) {
  const common = () => {
    let n = 0;
    return {
      config: CONFIG,
      log: createLogger({ write: () => {}, pretty: false }),
      now: Date.now,
      newId: () => `alert-${(n += 1)}`,
      tickMs: 0,
    };
  };
  const onFile = createAlertService({ ...common(), db: fileDb });
  const onSql = await createSqlAlertService({
    ...common(),
    store: createSqlAlertStore(sqliteDatabase(sqlDb)),
  });
  running.push(onFile, onSql);
  return { onFile, onSql };
}

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 10, 21, 6, 0, 0) });
  files = [];
  running = [];
});

afterEach(async () => {
  for (const service of running) await service.close();
  for (const db of files) db.close();
  vi.useRealTimers();
});

describe('alert service on the query layer', () => {
  it('answers as the service on the SQLite file, keeps UI rule edits and open alerts across a restart', async () => {
    const fileDb = database();
    const sqlDb = database();
    const first = await pair(fileDb, sqlDb);
    for (const [account, level] of [
      ['bitso-demo', '1.6'],
      ['valr-demo', '1.2'],
      ['bitso-demo', '1.49'],
      ['bitso-demo', '1.08'],
      ['valr-demo', '1.7'],
    ] as const) {
      vi.advanceTimersByTime(SECOND);
      for (const service of [first.onFile, first.onSql]) service.onSnapshot(account, snap(account, level));
    }
    await first.onSql.close();
    await first.onFile.close();
    const page = await first.onSql.list();
    expect(page.alerts.length).toBeGreaterThan(1);
    expect(page).toEqual(first.onFile.list());
    expect(await first.onSql.list({ limit: 1, accountId: 'bitso-demo' })).toEqual(
      first.onFile.list({ limit: 1, accountId: 'bitso-demo' }),
    );

    const patch = { accounts: { 'valr-demo': { cushionBelow: { percent: '25' } } } };
    expect(await first.onSql.updateRules(patch)).toEqual(first.onFile.updateRules(patch));
    await expect(first.onSql.updateRules({ accounts: { nobody: {} } })).rejects.toThrow(AlertRulesError);

    // A restart: the rule edits come back from the store, open alerts are not fired again.
    const second = await pair(fileDb, sqlDb);
    expect(second.onSql.rules()).toEqual(second.onFile.rules());
    expect(second.onSql.rules().accounts[1]?.settings.cushionBelow.percent).toBe('25');
    vi.advanceTimersByTime(SECOND);
    for (const service of [second.onFile, second.onSql]) {
      service.onSnapshot('bitso-demo', snap('bitso-demo', '1.07'));
    }
    await second.onSql.close();
    await second.onFile.close();
    expect(await second.onSql.list()).toEqual(second.onFile.list());
    expect((await second.onSql.list()).alerts.map((a) => a.id)).toEqual(page.alerts.map((a) => a.id));
  });

  it('lists an alert as soon as it is announced, even while its write is still on its way', async () => {
    const store = createSqlAlertStore(sqliteDatabase(database()));
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = {
      ...store,
      insertMany: async (events: Parameters<typeof store.insertMany>[0]) => {
        await gate;
        return store.insertMany(events);
      },
    };
    let n = 0;
    const service = await createSqlAlertService({
      config: CONFIG,
      log: createLogger({ write: () => {}, pretty: false }),
      now: Date.now,
      newId: () => `alert-${(n += 1)}`,
      tickMs: 0,
      store: slow,
    });
    running.push(service);
    const announced: string[] = [];
    service.subscribe((alert) => announced.push(alert.id));
    vi.advanceTimersByTime(SECOND);
    service.onSnapshot('bitso-demo', snap('bitso-demo', '1.6'));
    vi.advanceTimersByTime(SECOND);
    service.onSnapshot('bitso-demo', snap('bitso-demo', '1.08'));
    expect(announced.length).toBeGreaterThan(0);

    let listed: string[] | undefined;
    const answer = service.list().then((page) => (listed = page.alerts.map((a) => a.id)));
    await vi.advanceTimersByTimeAsync(0);
    expect(listed).toBeUndefined();
    release();
    await answer;
    expect(listed).toEqual([...announced].reverse());
  });

  it('changes nothing when the rule settings cannot be stored, and says so', async () => {
    const store = createSqlAlertStore(sqliteDatabase(database()));
    const refusing = { on: true };
    const lines: string[] = [];
    const service = await createSqlAlertService({
      config: CONFIG,
      log: createLogger({ write: (line) => lines.push(line), pretty: false }),
      now: Date.now,
      tickMs: 0,
      store: {
        ...store,
        saveOverrides: async (overrides, at) => {
          if (refusing.on) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
          return store.saveOverrides(overrides, at);
        },
      },
    });
    running.push(service);
    const before = service.rules();
    const patch = { accounts: { 'valr-demo': { cushionBelow: { percent: '25' } } } };
    const refused = service.updateRules(patch);
    await expect(refused).rejects.toThrow(RulesNotSavedError);
    await expect(refused).rejects.toThrow(/nothing changed: connect ECONNREFUSED/);
    expect(service.rules()).toEqual(before);
    expect(lines.filter((l) => l.includes('storing the rule settings failed'))).toHaveLength(1);

    refusing.on = false;
    // Two changes at once: each builds on the one before it.
    const [first, second] = await Promise.all([
      service.updateRules(patch),
      service.updateRules({ accounts: { 'bitso-demo': { stale: { seconds: 30 } } } }),
    ]);
    expect(first.overrides.accounts).toEqual(patch.accounts);
    expect(second.overrides.accounts).toEqual({
      ...patch.accounts,
      'bitso-demo': { stale: { seconds: 30 } },
    });
    expect(await store.loadOverrides()).toEqual(second.overrides);
  });
});
