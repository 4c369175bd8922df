// The alert service on a database that refuses writes for a while (a full disk): every alert event must reach
// the history, in order, once writing works again, and the log must say so once per change of state.
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../log.ts';
import type { AlertEvent } from './engine.ts';
import { createAlertService, type AlertService } from './service.ts';
import { alertsMigration } from '../db/migrations.ts';
import { MINUTE, SECOND, snap } from './testing/accounts.ts';

const ACCOUNTS = [
  { id: 'bitso-demo', exchange: 'bitso', label: 'Bitso (demo)', pollSeconds: 5 },
  { id: 'valr-demo', exchange: 'valr', label: 'VALR margin (demo)', pollSeconds: 10 },
];

/** The real database, except that inserting alert events fails with SQLITE_FULL while `full` is set. */
function refusingDb(real: Database.Database) {
  const state = { full: false, inserts: 0, pragmas: [] as string[] };
  const db = new Proxy(real, {
    get(target, property) {
      if (property === 'prepare') {
        return (sql: string) => {
          const statement = target.prepare(sql);
          if (!/INSERT .*INTO alert_events/s.test(sql)) return statement;
          return new Proxy(statement, {
            get(inner, name) {
              if (name !== 'run') return Reflect.get(inner, name, inner) as unknown;
              return (...args: unknown[]) => {
                state.inserts += 1;
                if (state.full) throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
                return inner.run(...args);
              };
            },
          });
        };
      }
      if (property === 'pragma') {
        return (source: string) => {
          state.pragmas.push(source);
          return target.pragma(source);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db, state };
}

let real: Database.Database;
let logLines: string[];
const services: AlertService[] = [];

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2026, 10, 21, 6, 0, 0) });
  real = new Database(':memory:');
  real.transaction(() => alertsMigration.up(real))();
  logLines = [];
});

afterEach(async () => {
  for (const s of services.splice(0)) await s.close();
  real.close();
  vi.useRealTimers();
});

function start(db: Database.Database): AlertService {
  const log = createLogger({ write: (line) => logLines.push(line), pretty: false });
  const service = createAlertService({
    db,
    config: { accounts: ACCOUNTS, alerts: { webhooks: [] } },
    log,
    now: Date.now,
    tickMs: 0,
  });
  services.push(service);
  return service;
}

/** Moves both accounts in and out of their zones, `rounds` times, 11 min apart (past every cooldown). */
function swing(service: AlertService, rounds: number): void {
  for (let i = 0; i < rounds; i += 1) {
    for (const level of ['1.3', '1.08', '1.6', '2']) {
      vi.advanceTimersByTime(SECOND);
      for (const account of ACCOUNTS) service.onSnapshot(account.id, snap(account.id, level));
    }
    vi.advanceTimersByTime(11 * MINUTE);
    service.tick();
  }
}

/** The open alerts as the newest event of each account and rule says (what a restart restores). */
function openOf(events: readonly AlertEvent[]): string[] {
  const newest = new Map<string, AlertEvent>();
  for (const e of events) newest.set(`${e.accountId} ${e.rule}`, e);
  return [...newest.values()]
    .filter((e) => e.kind === 'fired')
    .map((e) => e.id)
    .sort();
}

describe('alert service on a database that refuses writes', () => {
  it('keeps every alert event and writes them all, in order, once the database takes writes again', () => {
    const { db, state } = refusingDb(real);
    const service = start(db);
    const events: AlertEvent[] = [];
    service.subscribe((e) => events.push(e));

    swing(service, 2);
    const before = events.length;
    state.full = true;
    swing(service, 20);
    for (const account of ACCOUNTS) service.onSnapshot(account.id, snap(account.id, '1.08'));
    const refused = events.length - before;
    expect(refused).toBeGreaterThan(100);
    expect(real.prepare('SELECT COUNT(*) AS n FROM alert_events').get()).toEqual({ n: before });
    expect(state.pragmas).toContain('wal_checkpoint(TRUNCATE)');

    state.full = false;
    vi.advanceTimersByTime(MINUTE);
    service.tick();

    const stored = real.prepare<[], { id: string }>('SELECT id FROM alert_events ORDER BY seq').all();
    expect(stored.map((r) => r.id)).toEqual(events.map((e) => e.id));
    const failures = logLines.filter((l) => l.includes('writing alert events'));
    expect(failures).toHaveLength(2);
    expect(failures[0]).toContain('alerts: writing alert events failed; keeping them and retrying');
    expect(failures[0]).toContain('database or disk is full (SQLITE_FULL)');
    expect(failures[1]).toContain('alerts: writing alert events works again');
    expect(logLines.join('\n')).not.toMatch(/stack|could not store/);

    // What a restart restores is what happened.
    expect(openOf(events).length).toBeGreaterThan(0);
    expect(
      service
        .list()
        .open?.map((e) => e.id)
        .sort(),
    ).toEqual(openOf(events));
  });

  it('tries once more when closed', async () => {
    const { db, state } = refusingDb(real);
    const service = start(db);
    state.full = true;
    service.onSnapshot('bitso-demo', snap('bitso-demo', '1.08'));
    vi.advanceTimersByTime(SECOND);
    service.onSnapshot('bitso-demo', snap('bitso-demo', '2'));
    expect(real.prepare('SELECT COUNT(*) AS n FROM alert_events').get()).toEqual({ n: 0 });
    state.full = false;
    await service.close();
    expect(real.prepare('SELECT kind FROM alert_events ORDER BY seq').all()).toEqual([
      { kind: 'fired' },
      { kind: 'fired' },
      { kind: 'recovered' },
      { kind: 'recovered' },
    ]);
  });
});
