import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresForTests, type TestPostgres } from './postgres.ts';

let server: TestPostgres | null = null;

beforeAll(async () => {
  server = await postgresForTests('test server harness');
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe('throwaway PostgreSQL', () => {
  it('answers queries, makes separate databases, and is gone once stopped', async (ctx) => {
    if (!server) return ctx.skip();
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const version = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    expect(version.rows[0]?.v).toMatch(/^\d+/);
    await client.end();

    const url = await server.createDatabase('harness_check');
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    const name = await other.query<{ db: string }>('SELECT current_database() AS db');
    expect(name.rows[0]?.db).toBe('harness_check');
    await other.end();

    await server.stop();
    const after = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 2_000 });
    await expect(after.connect()).rejects.toThrow();
    server = null;
  }, 60_000);
});
