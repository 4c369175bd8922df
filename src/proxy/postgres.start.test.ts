// The proxy with `history.url`, end to end against a simulator and a throwaway PostgreSQL: history and alert routes
// answer in the same shape as a proxy on the SQLite file reading the same venue, the URL's password never reaches
// the log, a second proxy configured with the same account is refused naming the holder, and after a restart the
// history, the alerts and the rule settings edited in the UI are still there. Without PostgreSQL that test is
// skipped with a printed line (an error under CI; see ./db/testing/postgres.ts). A database that cannot be reached
// stops the start with a line naming the config file and history.url, never the password.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertPageSchema, rulesViewSchema } from '../contract/alerts.ts';
import { historyResponseSchema } from '../contract/history.ts';
import type { RunningSimulator } from '../exchanges/server-types.ts';
import { postgresForTests, type TestPostgres } from './db/testing/postgres.ts';
import { exchangeCatalog } from './exchanges.ts';
import { startMarginWatch, type MarginWatch } from './start.ts';

const EXCHANGE = 'bitso';
const ACCOUNT = `${EXCHANGE}-pg`;
const PASSWORD = 'pg-password-never-logged-7f3a';
const HEADERS = { 'x-margin-watch': '1' };

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The shape of a JSON value: object keys (sorted) with their shapes, an array's first item, a primitive's type. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shape(value[0])];
  if (value === null) return 'null';
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, shape((value as Record<string, unknown>)[key])]),
    );
  }
  return typeof value;
}

async function getJson(mw: MarginWatch, path: string): Promise<unknown> {
  const res = await fetch(`${mw.url}${path}`, { headers: HEADERS });
  expect(res.status, path).toBe(200);
  return res.json();
}

describe('the proxy on PostgreSQL (history.url)', () => {
  const catalog = exchangeCatalog();
  let pg: TestPostgres | null = null;
  let simulator: RunningSimulator | undefined;
  let dir: string;
  let pgConfig: string;
  let sqliteConfig: string;
  const logs: string[] = [];
  const running: MarginWatch[] = [];

  async function start(file: string, sink: string[] = logs): Promise<MarginWatch> {
    const mw = await startMarginWatch({
      configPath: file,
      env: { PG_PASSWORD: PASSWORD },
      port: 0,
      distDir: null,
      catalog,
      logWrite: (line) => sink.push(line),
      prettyLogs: false,
    });
    running.push(mw);
    return mw;
  }

  async function stop(mw: MarginWatch): Promise<void> {
    await mw.stop();
    running.splice(running.indexOf(mw), 1);
  }

  beforeAll(async () => {
    pg = await postgresForTests('proxy on PostgreSQL');
    if (!pg) return;
    dir = mkdtempSync(join(tmpdir(), 'mw-pg-start-'));
    const entry = catalog.get(EXCHANGE);
    if (!entry) throw new Error(`no exchange ${EXCHANGE}`);
    const demo = entry.server.demoAccount;
    simulator = await entry.server.startSimulator({
      host: '127.0.0.1',
      port: 0,
      seed: 5,
      scenario: 'steady',
      account: { credentials: demo.credentials, ...(demo.options ? { options: demo.options } : {}) },
    });
    const account = {
      id: ACCOUNT,
      exchange: EXCHANGE,
      credentials: demo.credentials,
      endpoints: simulator.endpoints,
      ...(demo.thresholds ? { thresholds: demo.thresholds } : {}),
      pollSeconds: 1,
      ...demo.options,
    };
    const url = new URL(await pg.createDatabase('proxy_start'));
    url.password = '${PG_PASSWORD}';
    // A cushion alert at once: an alert is stored as soon as the first level is read.
    const alerts = { rules: { defaults: { cushionBelow: { percent: '99.9' } } } };
    pgConfig = join(dir, 'pg.json');
    writeFileSync(
      pgConfig,
      JSON.stringify({
        history: { url: decodeURI(url.toString()), path: join(dir, 'pg-nonces', 'unused.sqlite') },
        alerts,
        accounts: [account],
      }),
    );
    sqliteConfig = join(dir, 'sqlite.json');
    writeFileSync(
      sqliteConfig,
      JSON.stringify({ history: { path: join(dir, 'history.sqlite') }, alerts, accounts: [account] }),
    );
  }, 60_000);

  afterAll(async () => {
    for (const mw of [...running]) await mw.stop();
    await simulator?.close();
    await pg?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers history and alerts as on SQLite, refuses a second proxy for the account, and keeps it all across a restart', async (ctx) => {
    if (!pg) {
      ctx.skip();
      return;
    }
    const onPg = await start(pgConfig);
    const onSqlite = await start(sqliteConfig, []);
    expect(onPg.storage.engine).toBe('postgres');
    expect(onPg.history).toBeUndefined();
    expect(onSqlite.storage.engine).toBe('sqlite');

    const historyPath = `/api/accounts/${ACCOUNT}/history?maxPoints=100`;
    const histories = await waitFor('history on both stores', async () => {
      const a = historyResponseSchema.parse(await getJson(onPg, historyPath));
      const b = historyResponseSchema.parse(await getJson(onSqlite, historyPath));
      return a.buckets.length > 0 && b.buckets.length > 0 ? [a, b] : undefined;
    });
    const [pgHistory, sqliteHistory] = histories;
    expect(shape(pgHistory)).toEqual(shape(sqliteHistory));
    expect(pgHistory?.source).toBe('samples');

    const pages = await waitFor('an alert on both stores', async () => {
      const a = alertPageSchema.parse(await getJson(onPg, '/api/alerts'));
      const b = alertPageSchema.parse(await getJson(onSqlite, '/api/alerts'));
      return a.alerts.length > 0 && b.alerts.length > 0 ? [a, b] : undefined;
    });
    expect(shape(pages[0])).toEqual(shape(pages[1]));
    expect(pages[0]?.alerts[0]).toMatchObject({ accountId: ACCOUNT, rule: 'cushion-below', kind: 'fired' });
    expect(pages[0]?.open?.map((a) => a.rule)).toEqual(['cushion-below']);
    const byAccount = alertPageSchema.parse(await getJson(onPg, `/api/alerts?account=${ACCOUNT}&limit=1`));
    expect(byAccount.alerts).toHaveLength(1);

    // The rule settings edited in the UI are stored in PostgreSQL.
    const putRules = async (mw: MarginWatch): Promise<Response> =>
      fetch(`${mw.url}/api/alerts/rules`, {
        method: 'PUT',
        headers: { ...HEADERS, origin: mw.url, 'content-type': 'application/json' },
        body: JSON.stringify({ accounts: { [ACCOUNT]: { cushionBelow: { percent: '42' } } } }),
      });
    const put = await putRules(onPg);
    expect(put.status).toBe(200);
    expect(rulesViewSchema.parse(await put.json()).accounts[0]?.settings.cushionBelow.percent).toBe('42');
    expect((await putRules(onSqlite)).status).toBe(200);
    expect(shape(await getJson(onPg, '/api/alerts/rules'))).toEqual(
      shape(await getJson(onSqlite, '/api/alerts/rules')),
    );

    // A second proxy with the same account on the same database is refused, naming the one that holds it.
    const refusedLogs: string[] = [];
    await expect(start(pgConfig, refusedLogs)).rejects.toThrow(
      new RegExp(
        `account "${ACCOUNT}" is already recorded by another running Margin Watch proxy.*margin-watch on`,
      ),
    );

    // The password was substituted into the URL, and never logged.
    expect(logs.some((line) => line.includes('history and alerts in PostgreSQL'))).toBe(true);
    expect([...logs, ...refusedLogs].filter((line) => line.includes(PASSWORD))).toEqual([]);

    // Stopped, the account is free again; what was recorded is still there.
    // A fixed range, ended before the query: every sample in it is written once the route has flushed.
    const range = `/api/accounts/${ACCOUNT}/history?maxPoints=100&from=${pgHistory?.from}&to=${Date.now()}`;
    await new Promise((r) => setTimeout(r, 20));
    const before = historyResponseSchema.parse(await getJson(onPg, range));
    const alertsBefore = alertPageSchema.parse(await getJson(onPg, '/api/alerts'));
    await stop(onPg);
    const again = await start(pgConfig);
    const after = historyResponseSchema.parse(await getJson(again, range));
    expect(after.buckets.map((b) => [b.start, b.count, b.last])).toEqual(
      before.buckets.map((b) => [b.start, b.count, b.last]),
    );
    const alertsAfter = alertPageSchema.parse(await getJson(again, `/api/alerts?before=${Date.now() + 1}`));
    expect(alertsAfter.alerts.map((a) => a.id)).toEqual(
      expect.arrayContaining(alertsBefore.alerts.map((a) => a.id)),
    );
    expect(again.alerts.rules().accounts[0]?.settings.cushionBelow.percent).toBe('42');
  }, 90_000);
  it('refuses to start when the database cannot be reached, naming the config file and history.url, never the password', async () => {
    const here = mkdtempSync(join(tmpdir(), 'mw-pg-unreachable-'));
    try {
      const file = join(here, 'config.json');
      const entry = catalog.get(EXCHANGE);
      if (!entry) throw new Error(`no exchange ${EXCHANGE}`);
      writeFileSync(
        file,
        JSON.stringify({
          // Port 1 on the loopback: nothing listens there, the connection is refused at once.
          history: { url: 'postgres://mw:${PG_PASSWORD}@127.0.0.1:1/margin' },
          accounts: [
            {
              id: ACCOUNT,
              exchange: EXCHANGE,
              credentials: entry.server.demoAccount.credentials,
              endpoints: { rest: 'http://127.0.0.1:1' },
            },
          ],
        }),
      );
      const lines: string[] = [];
      const failure = start(file, lines);
      await expect(failure).rejects.toThrow(
        `${file}: history.url: cannot use postgres://mw:***@127.0.0.1:1/margin for the history database: `,
      );
      const message = await failure.then(
        () => '',
        (err: unknown) => String(err),
      );
      expect(message).not.toContain(PASSWORD);
      expect(lines.filter((line) => line.includes(PASSWORD))).toEqual([]);
    } finally {
      rmSync(here, { recursive: true, force: true });
    }
  });
});
