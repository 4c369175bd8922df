// Alert persistence in the proxy's SQLite database: the alert history (every 'fired' and 'recovered') and the
// rule settings edited in the UI. The tables are created by the database's migrations (../db/migrations.ts,
// `alertsMigration`).
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { ZONES } from '../../domain/model.ts';
import { ALERT_RULES, type AlertEvent } from './engine.ts';
import { alertRulesConfigSchema, type RulesOverrides } from './rules.ts';

export interface AlertQuery {
  /** At most this many events (1–500; default 100), newest first. */
  limit?: number;
  /** Only events strictly before this time (ms epoch): the `nextBefore` of the previous page. */
  before?: number;
  /** Only events at or after this time (ms epoch). */
  from?: number;
  /** Only this account's events. */
  accountId?: string;
}

export interface AlertPage {
  alerts: AlertEvent[];
  /** Pass as `before` for the next (older) page; null when there is none. */
  nextBefore: number | null;
}

export interface AlertStore {
  insert(event: AlertEvent): void;
  /** Inserts the events in order, in one transaction (all or none); returns how many were new. */
  insertMany(events: readonly AlertEvent[]): number;
  /** A page of the history, newest first. Events sharing the last page's time all land on the same page. */
  list(query?: AlertQuery): AlertPage;
  /** The alerts still open: the newest event of their account and rule is a 'fired'. Newest first. */
  open(): AlertEvent[];
  /** Deletes events older than `before` (ms epoch), except the newest of each account and rule; returns how many. */
  prune(before: number): number;
  /** The rule settings edited in the UI ({} when none). A stored body that no longer validates reads as {}. */
  loadOverrides(): RulesOverrides;
  saveOverrides(overrides: RulesOverrides, at: number): void;
}

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 500;
const OVERRIDES_KEY = 'rules';

interface Row {
  seq: number;
  id: string;
  account: string;
  exchange: string;
  rule: string;
  kind: string;
  level: string | null;
  zone: string;
  cushion: string | null;
  message: string;
  at: number;
}

const rowSchema = z.object({
  id: z.string(),
  account: z.string(),
  exchange: z.string(),
  rule: z.enum(ALERT_RULES),
  kind: z.enum(['fired', 'recovered']),
  level: z.string().nullable(),
  zone: z.enum(ZONES),
  cushion: z.string().nullable(),
  message: z.string(),
  at: z.number(),
});

/** A stored row as an event; null for a row this version does not understand (a rule since removed). */
function toEvent(row: Row): AlertEvent | null {
  const parsed = rowSchema.safeParse(row);
  if (!parsed.success) return null;
  const { account, ...rest } = parsed.data;
  return { ...rest, accountId: account };
}

function events(rows: Row[]): AlertEvent[] {
  return rows.map(toEvent).filter((e): e is AlertEvent => e !== null);
}

/** Opens the alert tables on a database migrated with `alertsMigration`. */
export function createAlertStore(db: Database.Database): AlertStore {
  const insertStmt = db.prepare(
    `INSERT OR IGNORE INTO alert_events (id, account, exchange, rule, kind, level, zone, cushion, message, at)
     VALUES (@id, @account, @exchange, @rule, @kind, @level, @zone, @cushion, @message, @at)`,
  );
  const sameTimeStmt = db.prepare<[number, number, string | null, string | null], Row>(
    `SELECT * FROM alert_events WHERE at = ? AND seq < ? AND (? IS NULL OR account = ?) ORDER BY seq DESC`,
  );
  const openStmt = db.prepare<[], Row>(
    `SELECT e.* FROM alert_events e
     JOIN (SELECT account, rule, MAX(seq) AS seq FROM alert_events GROUP BY account, rule) latest
       ON latest.seq = e.seq
     WHERE e.kind = 'fired'
     ORDER BY e.at DESC, e.seq DESC`,
  );
  // The newest event of each account and rule stays whatever its age: it says whether that alert is still open.
  const pruneStmt = db.prepare<[number]>(
    `DELETE FROM alert_events WHERE at < ?
       AND seq NOT IN (SELECT MAX(seq) FROM alert_events GROUP BY account, rule)`,
  );
  const loadStmt = db.prepare<[string], { body: string }>('SELECT body FROM alert_settings WHERE key = ?');
  const saveStmt = db.prepare<[string, string, number]>(
    `INSERT INTO alert_settings (key, body, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at`,
  );

  function insert(event: AlertEvent): number {
    return insertStmt.run({
      id: event.id,
      account: event.accountId,
      exchange: event.exchange,
      rule: event.rule,
      kind: event.kind,
      level: event.level,
      zone: event.zone,
      cushion: event.cushion,
      message: event.message,
      at: event.at,
    }).changes;
  }
  const insertAll = db.transaction((all: readonly AlertEvent[]) =>
    all.reduce((added, event) => added + insert(event), 0),
  );

  return {
    insert(event) {
      insert(event);
    },

    insertMany(all) {
      return all.length === 0 ? 0 : insertAll(all);
    },

    list(query = {}) {
      const limit = Math.min(MAX_LIST_LIMIT, Math.max(1, Math.floor(query.limit ?? DEFAULT_LIST_LIMIT)));
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (query.before !== undefined) {
        where.push('at < ?');
        params.push(query.before);
      }
      if (query.from !== undefined) {
        where.push('at >= ?');
        params.push(query.from);
      }
      if (query.accountId !== undefined) {
        where.push('account = ?');
        params.push(query.accountId);
      }
      const sql = `SELECT * FROM alert_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                   ORDER BY at DESC, seq DESC LIMIT ?`;
      const rows = db.prepare<(string | number)[], Row>(sql).all(...params, limit);
      const last = rows[rows.length - 1];
      if (rows.length < limit || last === undefined) return { alerts: events(rows), nextBefore: null };
      // Keep every event of the last time on this page, so `before = last.at` skips none.
      const account = query.accountId ?? null;
      const rest = sameTimeStmt.all(last.at, last.seq, account, account);
      return { alerts: events([...rows, ...rest]), nextBefore: last.at };
    },

    open() {
      return events(openStmt.all());
    },

    prune(before) {
      return pruneStmt.run(before).changes;
    },

    loadOverrides() {
      const row = loadStmt.get(OVERRIDES_KEY);
      if (!row) return {};
      try {
        const parsed = alertRulesConfigSchema.safeParse(JSON.parse(row.body));
        return parsed.success ? parsed.data : {};
      } catch {
        return {};
      }
    },

    saveOverrides(overrides, at) {
      saveStmt.run(OVERRIDES_KEY, JSON.stringify(overrides), at);
    },
  };
}
