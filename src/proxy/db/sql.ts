// One query layer (kysely) over the proxy's two database engines: the SQLite file (better-sqlite3, the default)
// and PostgreSQL (`pg`, when `history.url` names one). The tables are the same on both (see ./migrations.ts for
// SQLite's): times are 64-bit integers (ms epoch), levels exact text beside a double sort key, ids integers.
//
// PostgreSQL's schema is created here, once, by versioned steps written with kysely's schema builder and recorded
// in `margin_watch_schema`; several proxies may open one database at once: the steps run under a transaction-level
// advisory lock, so exactly one of them applies each. 64-bit integers are read back as JS numbers (all times and
// counts stay far below 2^53).
//
// Several proxies may write to one PostgreSQL database, each owning its accounts: `claimAccounts` takes a
// session-level advisory lock per account id on a connection kept for the proxy's lifetime, and refuses (naming
// the holder when PostgreSQL can tell) when another live proxy holds one. A proxy that dies releases its locks
// with its connection.
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type ColumnType, type Generated } from 'kysely';
import pg from 'pg';

/** A 64-bit integer column: written as a number, read back as a number (see the int8 parser below). */
type Int = number;

export interface AccountsTable {
  id: Generated<number>;
  name: string;
  exchange: string;
}
export interface ProfilesTable {
  id: Generated<number>;
  body: string;
}
export interface SamplesTable {
  account_id: number;
  t: Int;
  level_text: string;
  level_key: number;
  zone: number;
  cushion: string | null;
  profile_id: number;
  assets: string | null;
  liabilities: string | null;
  equity: string | null;
  gap_before: ColumnType<number, number | undefined, number>;
}
export interface RollupsTable {
  account_id: number;
  period: number;
  start: Int;
  n: number;
  first_t: Int;
  last_t: Int;
  min_text: string;
  min_key: number;
  max_text: string;
  max_key: number;
  last_text: string;
  last_key: number;
  last_zone: number;
  worst_zone: number;
  last_cushion: string | null;
  last_profile: number;
  last_assets: string | null;
  last_liabilities: string | null;
  last_equity: string | null;
  gap: number;
}
export interface AlertEventsTable {
  seq: Generated<Int>;
  id: string;
  account: string;
  exchange: string;
  rule: string;
  kind: string;
  level: string | null;
  zone: string;
  cushion: string | null;
  message: string;
  at: Int;
}
export interface AlertSettingsTable {
  key: string;
  body: string;
  updated_at: Int;
}

export interface Tables {
  accounts: AccountsTable;
  profiles: ProfilesTable;
  samples: SamplesTable;
  rollups: RollupsTable;
  alert_events: AlertEventsTable;
  alert_settings: AlertSettingsTable;
}

export type Engine = 'sqlite' | 'postgres';

/** A database as the stores see it: one kysely instance, and which engine answers. */
export interface SqlDatabase {
  readonly db: Kysely<Tables>;
  readonly engine: Engine;
  /** Closes the connections this object opened (never a SQLite connection it was handed). */
  close(): Promise<void>;
}

/**
 * kysely over an open, migrated SQLite connection (../db/open.ts). The connection stays its owner's: closing the
 * returned object does not close it.
 */
export function sqliteDatabase(connection: Database.Database): SqlDatabase {
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: connection }) });
  return { db, engine: 'sqlite', close: async () => undefined };
}

const INT8_OID = 20;
/** 64-bit integers as numbers; everything else as `pg` reads it. */
function numberTypes(): pg.TypeOverrides {
  const overrides = new pg.TypeOverrides();
  overrides.setTypeParser(INT8_OID, 'text', (value: string) => Number(value));
  return overrides;
}

/**
 * `postgres://user:secret@host/db` with the password replaced by `***`, for logs and messages. Read from the text,
 * not from a URL parser: a password written with unencoded `@`, `/`, `#` or `:` would otherwise be split where a
 * parser splits it, and the rest of it shown as a host or path.
 */
export function redactUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0];
  if (!scheme) return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  const rest = url.slice(scheme.length);
  // The last @ before the query ends the user part: whatever comes before it may be the password. With none there,
  // a later @ still ends it when what precedes it looks like user:password (a password holding an unencoded ?).
  const queryAt = rest.indexOf('?');
  let at = queryAt >= 0 ? rest.slice(0, queryAt).lastIndexOf('@') : rest.lastIndexOf('@');
  if (at < 0 && queryAt >= 0) {
    const later = rest.lastIndexOf('@');
    if (later >= 0 && /^[^/]*:/.test(rest.slice(0, later))) at = later;
  }
  let authority = '';
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    authority = colon >= 0 ? `${userinfo.slice(0, colon)}:***@` : `${userinfo}@`;
  }
  let tail = rest.slice(at + 1);
  const query = tail.indexOf('?');
  if (query >= 0) {
    const params = new URLSearchParams(tail.slice(query + 1));
    const secret = [...params.keys()].filter((key) => /pass|secret|key|token/i.test(key));
    if (secret.length > 0) {
      for (const key of secret) params.set(key, '***');
      tail = `${tail.slice(0, query + 1)}${params.toString()}`;
    }
  }
  return `${scheme}${authority}${tail}`;
}

/** One schema step of the PostgreSQL database. Never edit a released step: add a new one. */
interface PostgresStep {
  version: number;
  description: string;
  up(db: Kysely<Tables>): Promise<void>;
}

/** The PostgreSQL schema, step by step; v1 is the SQLite file's schema v4 (history and alerts). */
export const POSTGRES_STEPS: readonly PostgresStep[] = [
  {
    version: 1,
    description: 'accounts, profiles, raw samples, rollups, alert history and alert rule settings',
    async up(db) {
      const schema = db.schema;
      await schema
        .createTable('accounts')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('exchange', 'text', (c) => c.notNull())
        .execute();
      await schema
        .createTable('profiles')
        .addColumn('id', 'serial', (c) => c.primaryKey())
        .addColumn('body', 'text', (c) => c.notNull().unique())
        .execute();
      await schema
        .createTable('samples')
        .addColumn('account_id', 'integer', (c) => c.notNull())
        .addColumn('t', 'bigint', (c) => c.notNull())
        .addColumn('level_text', 'text', (c) => c.notNull())
        .addColumn('level_key', 'double precision', (c) => c.notNull())
        .addColumn('zone', 'integer', (c) => c.notNull())
        .addColumn('cushion', 'text')
        .addColumn('profile_id', 'integer', (c) => c.notNull())
        .addColumn('assets', 'text')
        .addColumn('liabilities', 'text')
        .addColumn('equity', 'text')
        .addColumn('gap_before', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('samples_pk', ['account_id', 't'])
        .execute();
      let rollups = schema
        .createTable('rollups')
        .addColumn('account_id', 'integer', (c) => c.notNull())
        .addColumn('period', 'integer', (c) => c.notNull())
        .addColumn('start', 'bigint', (c) => c.notNull())
        .addColumn('n', 'integer', (c) => c.notNull())
        .addColumn('first_t', 'bigint', (c) => c.notNull())
        .addColumn('last_t', 'bigint', (c) => c.notNull());
      for (const col of ['min', 'max', 'last'] as const) {
        rollups = rollups
          .addColumn(`${col}_text`, 'text', (c) => c.notNull())
          .addColumn(`${col}_key`, 'double precision', (c) => c.notNull());
      }
      await rollups
        .addColumn('last_zone', 'integer', (c) => c.notNull())
        .addColumn('worst_zone', 'integer', (c) => c.notNull())
        .addColumn('last_cushion', 'text')
        .addColumn('last_profile', 'integer', (c) => c.notNull())
        .addColumn('last_assets', 'text')
        .addColumn('last_liabilities', 'text')
        .addColumn('last_equity', 'text')
        .addColumn('gap', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('rollups_pk', ['account_id', 'period', 'start'])
        .execute();
      await schema
        .createTable('alert_events')
        .addColumn('seq', 'bigserial', (c) => c.primaryKey())
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('account', 'text', (c) => c.notNull())
        .addColumn('exchange', 'text', (c) => c.notNull())
        .addColumn('rule', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('fired', 'recovered')`))
        .addColumn('level', 'text')
        .addColumn('zone', 'text', (c) => c.notNull())
        .addColumn('cushion', 'text')
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await schema.createIndex('alert_events_at').on('alert_events').columns(['at', 'seq']).execute();
      await schema
        .createIndex('alert_events_account_rule')
        .on('alert_events')
        .columns(['account', 'rule', 'seq'])
        .execute();
      await schema
        .createTable('alert_settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
];

export const POSTGRES_SCHEMA_VERSION = POSTGRES_STEPS[POSTGRES_STEPS.length - 1]?.version ?? 0;

/** Key of the transaction-level advisory lock under which one proxy at a time migrates the schema. */
const MIGRATION_LOCK = 0x6d772d6d; // "mw-m"

/** Brings the PostgreSQL schema up to date (one transaction per step); refuses a schema newer than this build. */
export async function migratePostgres(db: Kysely<Tables>): Promise<number[]> {
  const applied: number[] = [];
  for (const step of POSTGRES_STEPS) {
    const done = await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
      // Under the lock: two proxies creating the table at once would collide.
      await sql`CREATE TABLE IF NOT EXISTS margin_watch_schema (version integer NOT NULL)`.execute(trx);
      const row = await sql<{ v: number | null }>`SELECT MAX(version) AS v FROM margin_watch_schema`.execute(
        trx,
      );
      const current = row.rows[0]?.v ?? 0;
      if (current > POSTGRES_SCHEMA_VERSION) {
        throw new Error(
          `the PostgreSQL history schema is v${current}, newer than this Margin Watch understands ` +
            `(v${POSTGRES_SCHEMA_VERSION}); upgrade Margin Watch or point history.url at another database`,
        );
      }
      if (step.version <= current) return false;
      await step.up(trx);
      await sql`DELETE FROM margin_watch_schema`.execute(trx);
      await sql`INSERT INTO margin_watch_schema (version) VALUES (${step.version})`.execute(trx);
      return true;
    });
    if (done) applied.push(step.version);
  }
  return applied;
}

/**
 * The history database at `url` cannot be used; `reason` says why in one line (the password never appears). With
 * `source` (the config file) the message names it and `history.url` too, which is what a user must change.
 */
export class PostgresOpenError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
    options?: ErrorOptions,
    readonly source?: string,
  ) {
    const where = source === undefined ? '' : `${source}: history.url: `;
    super(`${where}cannot use ${redactUrl(url)} for the history database: ${reason}`, options);
    this.name = 'PostgresOpenError';
  }

  /** The same error, naming the config file the URL came from. */
  from(source: string): PostgresOpenError {
    return new PostgresOpenError(this.url, this.reason, { cause: this.cause ?? this }, source);
  }
}

export interface PostgresOptions {
  /** Most connections the pool opens (default 4). */
  maxConnections?: number;
  /** Name shown in pg_stat_activity, and named to another proxy refused an account (default margin-watch). */
  applicationName?: string;
  connectTimeoutMs?: number;
  /** Longest a statement may run (default 120 s); the client stops waiting 10 s later. */
  statementTimeoutMs?: number;
}

export interface PostgresDatabase extends SqlDatabase {
  readonly engine: 'postgres';
  readonly pool: pg.Pool;
  /** The URL with its password redacted. */
  readonly where: string;
}

function errorLine(err: unknown): string {
  const message = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}

/** Connects to PostgreSQL at `url` and migrates its schema. Throws PostgresOpenError saying why it cannot. */
export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<PostgresDatabase> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 4,
    application_name: options.applicationName ?? 'margin-watch',
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    // A connection that hangs instead of breaking (a network partition, a frozen server) must fail in time: TCP
    // keepalive probes an idle connection, the server cancels a statement running too long, and the client gives
    // up on one whose answer never comes.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    statement_timeout: options.statementTimeoutMs ?? 120_000,
    query_timeout: (options.statementTimeoutMs ?? 120_000) + 10_000,
    types: numberTypes(),
  });
  // An idle connection that breaks (server restart, network) is dropped by the pool; the next query opens another.
  pool.on('error', () => undefined);
  // A connection that breaks while checked out (between two statements) emits its error on itself, where nothing
  // else listens: it would end the process. The statement in flight, or the next one, fails and is retried by
  // the write queue; the broken connection is not given back to the pool.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migratePostgres(db);
  } catch (err) {
    await db.destroy();
    throw new PostgresOpenError(url, errorLine(err), { cause: err });
  }
  return { db, engine: 'postgres', pool, where: redactUrl(url), close: () => db.destroy() };
}

/**
 * A read the database could not answer (the connection lost, the server down or refusing): the API answers 503
 * with `reason` in one line, never a stack, and the dashboard shows it and retries.
 */
export class DatabaseUnavailableError extends Error {
  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`the history database is not answering: ${reason}`, options);
    this.name = 'DatabaseUnavailableError';
  }

  /**
   * Rethrows a failure of `read` that says the database is out of reach as a DatabaseUnavailableError; any
   * other failure (a mistake in a query) stays what it is, a 500 with its stack in the log.
   */
  static async guard<T>(read: Promise<T>): Promise<T> {
    try {
      return await read;
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      throw new DatabaseUnavailableError(errorLine(err), { cause: err });
    }
  }
}

/**
 * The database cannot be reached or is not taking work: a network error (ECONNREFUSED, ETIMEDOUT …), a connection
 * that ended or timed out, a database not accepting connections, or a SQLSTATE of class 08 (connection), 28
 * (authentication), 53 (resources), 57 (shutdown, cancelled) or 3D000 (no such database).
 */
export function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (/^E[A-Z]+$/.test(code)) return true;
    if (/^(08|28|53|57)/.test(code) || code === '3D000') return true;
  }
  const message = err instanceof Error ? err.message : String(err);
  return /Connection terminated|Connection ended|connection error|not currently accepting connections|timeout|timed out|not answer/i.test(
    message,
  );
}

/** Another live proxy holds an account on the same PostgreSQL database. */
export class AccountHeldError extends Error {
  constructor(
    readonly accountId: string,
    readonly holder: string | null,
  ) {
    super(
      `account "${accountId}" is already recorded by another running Margin Watch proxy on this database` +
        `${holder ? ` (${holder})` : ''}; each proxy must own its accounts: remove it from one of the configs ` +
        'or give each proxy its own database',
    );
    this.name = 'AccountHeldError';
  }
}

/** The 64-bit advisory lock key of an account id (the first 8 bytes of a SHA-256), as a signed decimal string. */
export function accountLockKey(accountId: string): string {
  const digest = createHash('sha256').update(`margin-watch account ${accountId}`).digest();
  return digest.readBigInt64BE(0).toString();
}

/** The accounts claimed by this proxy; released when closed (or when the proxy dies, with its connection). */
export interface AccountClaim {
  readonly accounts: readonly string[];
  /**
   * Settles when the claim's connection is lost (the server restarted, the network broke): its locks are gone then,
   * and another proxy could take the accounts. Never settles once released.
   */
  readonly lost: Promise<Error>;
  release(): Promise<void>;
}

/**
 * Takes a session advisory lock per account on a connection of its own, kept open while the claim lasts. Throws
 * AccountHeldError (after releasing whatever it took) when another session holds one of them.
 */
export async function claimAccounts(
  database: PostgresDatabase,
  accountIds: readonly string[],
): Promise<AccountClaim> {
  const client = await database.pool.connect();
  // The claim's connection is the proxy's hold on its accounts: it never goes back to the pool while held.
  let released = false;
  let lose: (err: Error) => void = () => undefined;
  const lost = new Promise<Error>((resolve) => (lose = resolve));
  const onLost = (err: unknown): void => {
    if (released) return;
    // The broken connection goes back to the pool to be discarded: the pool would wait for it when it ends.
    released = true;
    client.release(true);
    lose(err instanceof Error ? err : new Error(String(err)));
  };
  client.on('error', onLost);
  client.on('end', () => onLost(new Error('the connection holding the accounts closed')));
  const taken: string[] = [];
  try {
    for (const id of accountIds) {
      const key = accountLockKey(id);
      const got = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key]);
      if (got.rows[0]?.ok !== true) {
        const who = await client.query<{ name: string | null; addr: string | null; pid: number }>(
          `SELECT a.application_name AS name, host(a.client_addr) AS addr, a.pid
           FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE l.locktype = 'advisory' AND l.granted
             AND l.classid = (($1::bigint >> 32) & 4294967295)::oid AND l.objid = ($1::bigint & 4294967295)::oid
             AND l.objsubid = 1
           LIMIT 1`,
          [key],
        );
        const row = who.rows[0];
        const holder = row
          ? `${row.name || 'a client'}${row.addr ? ` from ${row.addr}` : ''}, backend pid ${row.pid}`
          : null;
        throw new AccountHeldError(id, holder);
      }
      taken.push(id);
    }
    // The locks last as long as this session: the server notices a proxy host that vanished (power, network)
    // within about a minute, instead of the system's default two hours, and frees its accounts.
    await client.query(
      'SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3',
    );
  } catch (err) {
    // The connection may have broken under the claim: onLost has given it back already.
    if (!released) {
      released = true;
      client.release(true);
    }
    throw err;
  }
  return {
    accounts: taken,
    lost,
    async release() {
      if (released) return;
      released = true;
      // Unlocked before the connection closes, so a proxy started right after this one is never refused by a
      // session still on its way out; closing the connection ends the session (and would free them anyway).
      // Not waited for long: on a connection that hangs, closing it is what frees the locks.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        client.query('SELECT pg_advisory_unlock_all()').catch(() => undefined),
        new Promise((resolve) => (timer = setTimeout(resolve, 2_000))),
      ]);
      clearTimeout(timer);
      client.release(true);
    },
  };
}
