import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsMigration, migrate } from '../db/migrations.ts';
import type { AlertEvent } from './engine.ts';
import { createAlertStore, type AlertStore } from './store.ts';

let db: Database.Database;
let store: AlertStore;

beforeEach(() => {
  db = new Database(':memory:');
  db.transaction(() => alertsMigration.up(db))();
  store = createAlertStore(db);
});

afterEach(() => db.close());

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

describe('alert store', () => {
  it('stores events exactly as given and ignores a repeated id', () => {
    const e = alert(1, 1000);
    store.insert(e);
    store.insert({ ...e, message: 'changed' });
    expect(store.list()).toEqual({ alerts: [e], nextBefore: null });
  });

  it('pages newest first without losing events that share a time', () => {
    const events = [alert(1, 100), alert(2, 200), alert(3, 300), alert(4, 300), alert(5, 300), alert(6, 400)];
    for (const e of events) store.insert(e);
    const first = store.list({ limit: 2 });
    expect(first.alerts.map((e) => e.id)).toEqual(['e6', 'e5', 'e4', 'e3']);
    expect(first.nextBefore).toBe(300);
    const second = store.list({ limit: 2, before: 300 });
    expect(second.alerts.map((e) => e.id)).toEqual(['e2', 'e1']);
    expect(store.list({ limit: 2, before: 100 })).toEqual({ alerts: [], nextBefore: null });
  });

  it('filters by account and start time', () => {
    store.insert(alert(1, 100));
    store.insert(alert(2, 200, { accountId: 'valr-demo', exchange: 'valr' }));
    store.insert(alert(3, 300));
    expect(store.list({ accountId: 'bitso-demo' }).alerts.map((e) => e.id)).toEqual(['e3', 'e1']);
    expect(store.list({ from: 200 }).alerts.map((e) => e.id)).toEqual(['e3', 'e2']);
  });

  it('lists the open alerts: the newest event of each account and rule is a fired', () => {
    store.insert(alert(1, 100));
    store.insert(alert(2, 200, { kind: 'recovered', zone: 'safe' }));
    store.insert(alert(3, 300, { rule: 'stale' }));
    store.insert(alert(4, 400, { accountId: 'valr-demo', exchange: 'valr' }));
    expect(store.open().map((e) => e.id)).toEqual(['e4', 'e3']);
  });

  it('keeps move-below alerts in the history and the open list, and its UI settings', () => {
    const fired = alert(1, 100, {
      rule: 'move-below',
      zone: 'caution',
      message: 'Bitso (demo): BTC −12 % would reach liquidation (alert below 15 %)',
    });
    store.insert(fired);
    expect(store.list().alerts).toEqual([fired]);
    expect(store.open()).toEqual([fired]);
    store.insert(alert(2, 200, { rule: 'move-below', kind: 'recovered', zone: 'safe' }));
    expect(store.open()).toEqual([]);
    const overrides = { accounts: { a: { moveBelow: { enabled: false, percent: '12.5' } } } };
    store.saveOverrides(overrides, 1);
    expect(store.loadOverrides()).toEqual(overrides);
  });

  it('skips rows it does not understand', () => {
    db.prepare(
      `INSERT INTO alert_events (id, account, exchange, rule, kind, level, zone, cushion, message, at)
       VALUES ('x', 'a', 'valr', 'retired-rule', 'fired', NULL, 'safe', NULL, 'm', 5)`,
    ).run();
    store.insert(alert(1, 1));
    expect(store.list().alerts.map((e) => e.id)).toEqual(['e1']);
  });

  it('prunes old events', () => {
    store.insert(alert(1, 100));
    store.insert(alert(2, 200));
    expect(store.prune(150)).toBe(1);
    expect(store.list().alerts.map((e) => e.id)).toEqual(['e2']);
  });

  it('never prunes the newest event of an account and rule, so an old open alert stays open', () => {
    store.insert(alert(1, 100)); // zone alert fired long ago and still open
    store.insert(alert(2, 110, { rule: 'stale' }));
    store.insert(alert(3, 120, { rule: 'stale', kind: 'recovered' }));
    store.insert(alert(4, 130, { accountId: 'valr-demo', exchange: 'valr' }));
    store.insert(alert(5, 900, { accountId: 'valr-demo', exchange: 'valr', kind: 'recovered' }));
    expect(store.prune(1_000)).toBe(2);
    expect(store.list().alerts.map((e) => e.id)).toEqual(['e5', 'e3', 'e1']);
    expect(store.open().map((e) => e.id)).toEqual(['e1']);
  });

  it('keeps the UI rule settings, and reads an invalid stored body as none', () => {
    expect(store.loadOverrides()).toEqual({});
    const overrides = {
      defaults: { cushionBelow: { percent: '30' } },
      accounts: { a: { stale: { seconds: 20 } } },
    };
    store.saveOverrides(overrides, 1);
    expect(store.loadOverrides()).toEqual(overrides);
    db.prepare(`UPDATE alert_settings SET body = '{"defaults":{"cushionBelow":{"percent":7}}}'`).run();
    expect(store.loadOverrides()).toEqual({});
  });

  it('applies on top of the history schema', () => {
    const full = new Database(':memory:');
    try {
      migrate(full);
      const onFull = createAlertStore(full);
      onFull.insert(alert(1, 1));
      expect(onFull.open().map((e) => e.id)).toEqual(['e1']);
    } finally {
      full.close();
    }
  });
});
