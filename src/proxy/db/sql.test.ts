import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AccountHeldError,
  POSTGRES_SCHEMA_VERSION,
  PostgresOpenError,
  accountLockKey,
  claimAccounts,
  openPostgres,
  isUnreachable,
  redactUrl,
} from './sql.ts';
import { postgresForTests, type TestPostgres } from './testing/postgres.ts';

describe('redactUrl', () => {
  it('hides the password and secret-looking parameters, keeps the rest', () => {
    expect(redactUrl('postgres://mw:s3cr%40t@db.example:5432/history?sslmode=require')).toBe(
      'postgres://mw:***@db.example:5432/history?sslmode=require',
    );
    expect(redactUrl('postgres://db.example/history?password=x&application_name=a')).toBe(
      'postgres://db.example/history?password=***&application_name=a',
    );
    expect(redactUrl('postgres://mw@db.example/history')).toBe('postgres://mw@db.example/history');
  });

  it('hides the whole of a password written with characters a URL cannot hold', () => {
    expect(redactUrl('postgres://mw@db/margin?password=p@ss')).toBe('postgres://mw@db/margin?password=***');
    expect(redactUrl('postgres://db.example/history?password=secret&application_name=a@b')).toBe(
      'postgres://db.example/history?password=***&application_name=a%40b',
    );
    expect(redactUrl('postgres://mw:pw@host/db?application_name=me@laptop')).toBe(
      'postgres://mw:***@host/db?application_name=me@laptop',
    );
    for (const password of ['p@ss/w#rd:x%20y', 'a:b@evilhost/Secret99', 'x?y=z@w']) {
      const shown = redactUrl(`postgres://mw:${password}@127.0.0.1:5432/history`);
      expect(shown).toBe('postgres://mw:***@127.0.0.1:5432/history');
    }
  });
});

describe('isUnreachable', () => {
  it('tells a database out of reach from a mistake in a query', () => {
    const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
    expect(isUnreachable(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe(true);
    expect(isUnreachable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isUnreachable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isUnreachable(withCode('terminating connection due to administrator command', '57P01'))).toBe(
      true,
    );
    expect(isUnreachable(withCode('database "x" is not currently accepting connections', '55000'))).toBe(
      true,
    );
    expect(isUnreachable(withCode('password authentication failed for user "mw"', '28P01'))).toBe(true);
    expect(isUnreachable(withCode('the database system is starting up', '57P03'))).toBe(true);
    expect(isUnreachable(withCode('syntax error at or near "SELEC"', '42601'))).toBe(false);
    expect(isUnreachable(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
  });
});

describe('accountLockKey', () => {
  it('is a stable signed 64-bit key per account id', () => {
    const key = accountLockKey('valr-margin');
    expect(key).toBe(accountLockKey('valr-margin'));
    expect(key).not.toBe(accountLockKey('valr-margin2'));
    const n = BigInt(key);
    expect(n >= -(2n ** 63n) && n < 2n ** 63n).toBe(true);
  });
});

let server: TestPostgres | null = null;
beforeAll(async () => {
  server = await postgresForTests('PostgreSQL database');
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describe('PostgreSQL database', () => {
  it('migrates once however many proxies open it at the same time', async (ctx) => {
    if (!server) return ctx.skip();
    const url = await server.createDatabase('migrate_race');
    const opened = await Promise.all([openPostgres(url), openPostgres(url), openPostgres(url)]);
    try {
      const [first] = opened;
      const version = await first?.pool.query<{ version: number }>('SELECT version FROM margin_watch_schema');
      expect(version?.rows).toEqual([{ version: POSTGRES_SCHEMA_VERSION }]);
    } finally {
      for (const database of opened) await database.close();
    }
  }, 60_000);

  it('says why it cannot open a database, without the password', async (ctx) => {
    if (!server) return ctx.skip();
    const bad = server.url.replace('postgres@', 'postgres:topsecret@').replace(/\/postgres$/, '/no_such_db');
    const error = await openPostgres(bad, { connectTimeoutMs: 2_000 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PostgresOpenError);
    const message = (error as Error).message;
    expect(message).toContain('no_such_db');
    expect(message).toContain('***');
    expect(message).not.toContain('topsecret');
  }, 30_000);

  it('lets one live proxy hold an account: another is refused, naming the holder, until it lets go', async (ctx) => {
    if (!server) return ctx.skip();
    const url = await server.createDatabase('claims');
    const a = await openPostgres(url, { applicationName: 'margin-watch desk-a' });
    const b = await openPostgres(url, { applicationName: 'margin-watch desk-b' });
    try {
      const claimA = await claimAccounts(a, ['valr-1', 'bitso-1']);
      expect(claimA.accounts).toEqual(['valr-1', 'bitso-1']);
      // Other accounts are free for the second proxy.
      const claimB = await claimAccounts(b, ['b2prime-1']);
      const refused = await claimAccounts(b, ['bitopro-1', 'bitso-1']).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(AccountHeldError);
      expect((refused as AccountHeldError).accountId).toBe('bitso-1');
      expect((refused as Error).message).toMatch(
        /account "bitso-1" is already recorded by another running Margin Watch proxy on this database \(margin-watch desk-a/,
      );
      // The refused claim let go of what it had taken: a third session can take bitopro-1.
      const claimC = await claimAccounts(a, ['bitopro-1']);
      await claimC.release();
      await claimA.release();
      const after = await claimAccounts(b, ['bitso-1']);
      expect(after.accounts).toEqual(['bitso-1']);
      // The holder learns when its hold is gone (here: its session ended from the server's side).
      await b.pool.query(
        `SELECT pg_terminate_backend(l.pid) FROM pg_locks l
         WHERE l.locktype = 'advisory' AND l.pid <> pg_backend_pid() AND l.objid = ($1::bigint & 4294967295)::oid`,
        [accountLockKey('bitso-1')],
      );
      const why = await after.lost;
      expect(why).toBeInstanceOf(Error);
      await after.release();
      await claimB.release();
    } finally {
      await a.close();
      await b.close();
    }
  }, 60_000);
});
