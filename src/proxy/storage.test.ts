// The PostgreSQL storage's hold on its accounts, against a throwaway server (skipped with a printed line without
// PostgreSQL, see ./db/testing/postgres.ts): a claim whose connection is cut is taken again by itself, so a second
// proxy is still refused afterwards, naming the holder.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AccountHeldError, DatabaseUnavailableError } from './db/sql.ts';
import { postgresForTests, type TestPostgres } from './db/testing/postgres.ts';
import { createLogger } from './log.ts';
import { openPostgresStorage } from './storage.ts';

let server: TestPostgres | null = null;
beforeAll(async () => {
  server = await postgresForTests('storage claims');
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

describe('PostgreSQL storage', () => {
  it('claims its accounts again after the connection holding them is cut', async (ctx) => {
    if (!server) return ctx.skip();
    const url = await server.createDatabase('storage_claims');
    const lines: string[] = [];
    const log = createLogger({ write: (line) => lines.push(line), pretty: false });
    const first = await openPostgresStorage({ url, accountIds: ['desk-1'], log, applicationName: 'proxy-a' });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const cut = await admin.query<{ n: string }>(
        `SELECT COUNT(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = 'proxy-a'`,
      );
      expect(Number(cut.rows[0]?.n)).toBeGreaterThan(0);
      await vi.waitFor(
        () => {
          expect(lines.join('\n')).toContain('claimed again');
        },
        { timeout: 20_000, interval: 100 },
      );
      expect(lines.join('\n')).toContain('was lost; claiming them again');

      const second = openPostgresStorage({ url, accountIds: ['desk-1'], log, applicationName: 'proxy-b' });
      await expect(second).rejects.toThrow(AccountHeldError);
      await expect(second).rejects.toThrow(/proxy-a/);
    } finally {
      await admin.end();
      await first.close();
    }
    // Closed: the account is free for another proxy.
    const third = await openPostgresStorage({ url, accountIds: ['desk-1'], log, applicationName: 'proxy-c' });
    await third.close();
  }, 60_000);

  it('turns a read the database cannot answer into DatabaseUnavailableError', async (ctx) => {
    if (!server) return ctx.skip();
    const url = await server.createDatabase('storage_reads');
    const log = createLogger({ write: () => undefined, pretty: false });
    const storage = await openPostgresStorage({
      url,
      accountIds: ['desk-2'],
      log,
      applicationName: 'proxy-r',
    });
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      const now = 1_800_000_000_000;
      expect((await storage.queryHistory({ accountId: 'desk-2', now, maxPoints: 100 })).buckets).toEqual([]);
      await admin.query('ALTER DATABASE storage_reads ALLOW_CONNECTIONS false');
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'proxy-r'`,
      );
      await vi.waitFor(
        async () => {
          const left = await admin.query(
            `SELECT pid FROM pg_stat_activity WHERE application_name = 'proxy-r'`,
          );
          expect(left.rows).toEqual([]);
        },
        { timeout: 10_000, interval: 50 },
      );
      const read = storage.queryHistory({ accountId: 'desk-2', now, maxPoints: 100 });
      await expect(read).rejects.toThrow(DatabaseUnavailableError);
      await expect(read).rejects.toThrow(/^the history database is not answering: /);
      await admin.query('ALTER DATABASE storage_reads ALLOW_CONNECTIONS true');
      // Answered again once the database is back (a pooled connection cut meanwhile may fail one read first).
      await vi.waitFor(
        async () => {
          const again = await storage.queryHistory({ accountId: 'desk-2', now, maxPoints: 100 });
          expect(again.buckets).toEqual([]);
        },
        { timeout: 10_000, interval: 100 },
      );
    } finally {
      await admin.query('ALTER DATABASE storage_reads ALLOW_CONNECTIONS true');
      await admin.end();
      await storage.close();
    }
  }, 60_000);
});
