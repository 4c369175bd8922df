// Alert persistence in the proxy's database: the alert history (every 'fired' and 'recovered') and the rule
// settings edited in the UI. The SQLite tables are created by the database's migrations (../db/migrations.ts,
// `alertsMigration`), PostgreSQL's by ../db/sql.ts. `createAlertStore` reads and writes the SQLite file directly;
// `createSqlAlertStore` does the same through the query layer on either engine, with the same answers.
import type Database from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { SqlDatabase, Tables } from '../db/sql.ts';
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
/** Rows of the UI layer in the query layer's store (PostgreSQL): the defaults, and one per account. */
const DEFAULTS_ROW = 'rules:defaults';
const ACCOUNT_ROW = 'rules:account:';

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
      return overridesOf(loadStmt.get(OVERRIDES_KEY)?.body);
    },

    saveOverrides(overrides, at) {
      saveStmt.run(OVERRIDES_KEY, JSON.stringify(overrides), at);
    },
  };
}

/** The alert store over the one query layer (../db/sql.ts): the same answers on SQLite and PostgreSQL. */
export interface SqlAlertStore {
  insert(event: AlertEvent): Promise<void>;
  /** Inserts the events in order, in one transaction (all or none); returns how many were new. */
  insertMany(events: readonly AlertEvent[]): Promise<number>;
  list(query?: AlertQuery): Promise<AlertPage>;
  open(): Promise<AlertEvent[]>;
  prune(before: number): Promise<number>;
  loadOverrides(): Promise<RulesOverrides>;
  saveOverrides(overrides: RulesOverrides, at: number): Promise<void>;
}

function rowOf(event: AlertEvent): Omit<Row, 'seq'> {
  return {
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
  };
}

/** The rule settings of a stored body; {} when it no longer validates. */
function overridesOf(body: string | undefined): RulesOverrides {
  if (body === undefined) return {};
  try {
    const parsed = alertRulesConfigSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

export interface SqlAlertStoreOptions {
  /**
   * Only these accounts' events are listed and reported open (a database shared by several proxies holds the
   * others' too). Absent: every account's.
   */
  accounts?: readonly string[];
}

/** Opens the alert tables of a migrated database (SQLite or PostgreSQL). */
export function createSqlAlertStore(
  database: SqlDatabase,
  options: SqlAlertStoreOptions = {},
): SqlAlertStore {
  const { db } = database;
  const only = options.accounts;

  async function insertOne(trx: Kysely<Tables>, event: AlertEvent): Promise<number> {
    const result = await trx
      .insertInto('alert_events')
      .values(rowOf(event))
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0);
  }

  /** Saves queued in call order: an older edit never lands after a newer one. */
  let saving: Promise<void> = Promise.resolve();
  /** The UI defaults as this store last read or wrote them (JSON; "null" for none). */
  let knownDefaults = 'null';

  /**
   * The UI layer is kept a row per scope (the defaults, each account), and a proxy writes only its own accounts'
   * rows: proxies sharing the database never undo each other's edits.
   */
  async function saveScoped(overrides: RulesOverrides, at: number): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const upsert = (key: string, body: unknown) =>
        trx
          .insertInto('alert_settings')
          .values({ key, body: JSON.stringify(body), updated_at: at })
          .onConflict((oc) =>
            oc.column('key').doUpdateSet((eb) => ({
              body: eb.ref('excluded.body'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
      // The defaults row is shared by every proxy on the database: written only when this change is to it.
      const defaults = JSON.stringify(overrides.defaults ?? null);
      if (defaults !== knownDefaults) {
        if (overrides.defaults === undefined) {
          await trx.deleteFrom('alert_settings').where('key', '=', DEFAULTS_ROW).execute();
        } else {
          await upsert(DEFAULTS_ROW, overrides.defaults);
        }
      }
      const accounts = overrides.accounts ?? {};
      let stale = trx.deleteFrom('alert_settings');
      stale =
        only === undefined
          ? stale.where('key', 'like', `${ACCOUNT_ROW}%`)
          : stale.where('key', 'in', only.length > 0 ? only.map((id) => ACCOUNT_ROW + id) : ['']);
      const kept = Object.keys(accounts).map((id) => ACCOUNT_ROW + id);
      if (kept.length > 0) stale = stale.where('key', 'not in', kept);
      await stale.execute();
      for (const [id, patch] of Object.entries(accounts)) await upsert(ACCOUNT_ROW + id, patch);
    });
    knownDefaults = JSON.stringify(overrides.defaults ?? null);
  }

  return {
    async insert(event) {
      await insertOne(db, event);
    },

    async insertMany(all) {
      if (all.length === 0) return 0;
      return db.transaction().execute(async (trx) => {
        let added = 0;
        for (const event of all) added += await insertOne(trx, event);
        return added;
      });
    },

    async list(query = {}) {
      const limit = Math.min(MAX_LIST_LIMIT, Math.max(1, Math.floor(query.limit ?? DEFAULT_LIST_LIMIT)));
      let select = db.selectFrom('alert_events').selectAll();
      if (query.before !== undefined) select = select.where('at', '<', query.before);
      if (query.from !== undefined) select = select.where('at', '>=', query.from);
      if (query.accountId !== undefined) select = select.where('account', '=', query.accountId);
      if (only !== undefined) select = select.where('account', 'in', only.length > 0 ? [...only] : ['']);
      const rows: Row[] = await select.orderBy('at', 'desc').orderBy('seq', 'desc').limit(limit).execute();
      const last = rows[rows.length - 1];
      if (rows.length < limit || last === undefined) return { alerts: events(rows), nextBefore: null };
      // Keep every event of the last time on this page, so `before = last.at` skips none.
      let same = db
        .selectFrom('alert_events')
        .selectAll()
        .where('at', '=', last.at)
        .where('seq', '<', last.seq);
      if (query.accountId !== undefined) same = same.where('account', '=', query.accountId);
      if (only !== undefined) same = same.where('account', 'in', only.length > 0 ? [...only] : ['']);
      const rest: Row[] = await same.orderBy('seq', 'desc').execute();
      return { alerts: events([...rows, ...rest]), nextBefore: last.at };
    },

    async open() {
      const latest = db
        .selectFrom('alert_events')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .groupBy(['account', 'rule'])
        .as('latest');
      let select = db
        .selectFrom('alert_events as e')
        .innerJoin(latest, 'latest.seq', 'e.seq')
        .selectAll('e')
        .where('e.kind', '=', 'fired');
      if (only !== undefined) select = select.where('e.account', 'in', only.length > 0 ? [...only] : ['']);
      const rows: Row[] = await select.orderBy('e.at', 'desc').orderBy('e.seq', 'desc').execute();
      return events(rows);
    },

    async prune(before) {
      // The newest event of each account and rule stays whatever its age: it says whether that alert is open.
      const own =
        only === undefined ? sql`` : sql`AND account IN (${sql.join(only.length > 0 ? [...only] : [''])})`;
      const result = await sql`
        DELETE FROM alert_events WHERE at < ${before} ${own}
          AND seq NOT IN (SELECT MAX(seq) FROM alert_events GROUP BY account, rule)`.execute(db);
      return Number(result.numAffectedRows ?? 0);
    },

    async loadOverrides() {
      let select = db.selectFrom('alert_settings').select(['key', 'body']);
      select =
        only === undefined
          ? select.where((eb) => eb.or([eb('key', '=', DEFAULTS_ROW), eb('key', 'like', `${ACCOUNT_ROW}%`)]))
          : select.where('key', 'in', [DEFAULTS_ROW, ...only.map((id) => ACCOUNT_ROW + id)]);
      const rows = await select.execute();
      const layer: { defaults?: unknown; accounts?: Record<string, unknown> } = {};
      for (const row of rows) {
        let body: unknown;
        try {
          body = JSON.parse(row.body);
        } catch {
          continue;
        }
        if (row.key === DEFAULTS_ROW) layer.defaults = body;
        else (layer.accounts ??= {})[row.key.slice(ACCOUNT_ROW.length)] = body;
      }
      const loaded = overridesOf(JSON.stringify(layer));
      knownDefaults = JSON.stringify(loaded.defaults ?? null);
      return loaded;
    },

    saveOverrides(overrides, at) {
      const run = saving.then(() => saveScoped(overrides, at));
      saving = run.catch(() => undefined);
      return run;
    },
  };
}
