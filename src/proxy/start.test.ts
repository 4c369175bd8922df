import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from './config.ts';
import { SCHEMA_VERSION } from './db/migrations.ts';
import { HistoryOpenError } from './db/open.ts';
import { catalogOf } from './exchanges.ts';
import { StreamHub } from './hub.ts';
import { startMarginWatch } from './start.ts';
import { fakeEntry, fakeHits, fakeServer, FAKE_KEY, FAKE_SECRET } from './testing/fake-exchange.ts';

/** Temporary folders made by a test, removed after it whatever happened. */
const dirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const API = { 'x-margin-watch': '1' };

describe('startMarginWatch in live mode', () => {
  it('runs the configured accounts against their endpoints and stops cleanly', async () => {
    const sim = await fakeServer.startSimulator({
      seed: 1,
      scenario: 'steady',
      account: { credentials: { apiKey: FAKE_KEY, apiSecret: FAKE_SECRET } },
    });
    const dir = tempDir('mw-live-');
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        history: { path: 'data/history.sqlite' },
        accounts: [
          {
            id: 'fake-live',
            exchange: 'fakex',
            credentials: { apiKey: '${K}', apiSecret: '${S}' },
            endpoints: { rest: sim.url },
            pollSeconds: 1,
          },
        ],
      }),
    );
    const logs: string[] = [];
    const mw = await startMarginWatch({
      configPath: file,
      env: { K: FAKE_KEY, S: FAKE_SECRET },
      port: 0,
      distDir: null,
      catalog: catalogOf([fakeEntry]),
      logWrite: (l) => logs.push(l),
    });
    try {
      expect(mw.mode).toBe('live');
      const health = (await (await fetch(`${mw.url}/api/health`)).json()) as unknown;
      expect(health).toEqual({ status: 'ok', mode: 'live', accounts: 1 });
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline && mw.hub.statusOf('fake-live')?.state !== 'live') {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(mw.hub.statusOf('fake-live')?.state).toBe('live');
    } finally {
      await mw.stop();
      await sim.close();
    }
    expect(logs.join('\n')).not.toContain(FAKE_SECRET);
    expect(logs.at(-1)).toContain('margin watch stopped');
  });

  it('throws a ConfigError naming the missing variable', async () => {
    const dir = tempDir('mw-live-');
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        accounts: [{ id: 'a', exchange: 'fakex', credentials: { apiKey: 'k', apiSecret: '${NOPE}' } }],
      }),
    );
    const failure = startMarginWatch({
      configPath: file,
      env: {},
      port: 0,
      distDir: null,
      catalog: catalogOf([fakeEntry]),
    });
    await expect(failure).rejects.toBeInstanceOf(ConfigError);
    await expect(failure).rejects.toThrow(
      /accounts\[0\]\.credentials\.apiSecret: environment variable NOPE is not set/,
    );
  });

  it('reports a port in use (EADDRINUSE)', async () => {
    const first = await startMarginWatch({
      env: {},
      port: 0,
      distDir: null,
      catalog: catalogOf([fakeEntry]),
      logWrite: () => {},
    });
    try {
      const port = Number(new URL(first.url).port);
      await expect(
        startMarginWatch({
          env: {},
          port,
          distDir: null,
          catalog: catalogOf([fakeEntry]),
          logWrite: () => {},
        }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await first.stop();
    }
  });
});

describe('startMarginWatch wiring of history and alerts', () => {
  it('in demo mode with a settings file, serves history, alerts and the one settings write', async () => {
    const dir = tempDir('mw-demo-settings-');
    const file = join(dir, 'settings.json');
    writeFileSync(
      file,
      JSON.stringify({ alerts: { rules: { defaults: { cushionBelow: { percent: '25' } } } } }),
    );
    const mw = await startMarginWatch({
      configPath: file,
      demo: true,
      env: {},
      port: 0,
      seed: 3,
      distDir: null,
      catalog: catalogOf([fakeEntry]),
      logWrite: () => {},
    });
    const origin = mw.url;
    try {
      expect(mw.mode).toBe('demo');
      expect(mw.config.alerts.rules?.defaults?.cushionBelow?.percent).toBe('25');

      const history = await fetch(`${mw.url}/api/accounts/fakex-demo/history?from=0&to=${Date.now()}`, {
        headers: API,
      });
      expect(history.status).toBe(200);
      expect((await fetch(`${mw.url}/api/accounts/nope/history?from=0&to=1`, { headers: API })).status).toBe(
        404,
      );

      expect((await fetch(`${mw.url}/api/alerts`, { headers: API })).status).toBe(200);
      const body = JSON.stringify({ defaults: { cushionBelow: { percent: '30' } } });
      const headers = { 'content-type': 'application/json', origin, ...API };
      const put = await fetch(`${mw.url}/api/alerts/rules`, { method: 'PUT', headers, body });
      expect(put.status).toBe(200);
      expect(mw.alerts.rules().accounts[0]?.settings.cushionBelow.percent).toBe('30');
      // The fake exchange has no price-move method: the rules view says move-below never fires for it.
      expect(mw.alerts.rules().accounts.map((a) => [a.id, a.priceMoves])).toEqual([['fakex-demo', false]]);

      const noOrigin = await fetch(`${mw.url}/api/alerts/rules`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...API },
        body,
      });
      expect(noOrigin.status).toBe(403);
      const elsewhere = await fetch(`${mw.url}/api/accounts/fakex-demo/rest/x`, {
        method: 'PUT',
        headers,
        body,
      });
      expect(elsewhere.status).toBe(405);
      const post = await fetch(`${mw.url}/api/alerts/rules`, { method: 'POST', headers, body });
      expect(post.status).toBe(405);
    } finally {
      await mw.stop();
    }
  });

  it('refuses a demo settings file that lists accounts', async () => {
    const dir = tempDir('mw-demo-settings-');
    const file = join(dir, 'settings.json');
    writeFileSync(file, JSON.stringify({ accounts: [] }));
    const failure = startMarginWatch({
      configPath: file,
      demo: true,
      env: {},
      port: 0,
      distDir: null,
      catalog: catalogOf([fakeEntry]),
      logWrite: () => {},
    });
    await expect(failure).rejects.toThrow(/accounts: not allowed with --demo/);
  });
});

describe('startMarginWatch closes what it opened', () => {
  /** A demo settings file whose history file claims the current schema but lacks its tables. */
  function brokenHistory(): { file: string; db: string } {
    const dir = tempDir('mw-broken-');
    const db = join(dir, 'history.sqlite');
    const sqlite = new Database(db);
    sqlite.pragma(`user_version = ${SCHEMA_VERSION}`);
    sqlite.close();
    const file = join(dir, 'settings.json');
    writeFileSync(file, JSON.stringify({ history: { path: 'history.sqlite' } }));
    return { file, db };
  }

  it('when history or alerts cannot start: the database, the stream timer and the simulators', async () => {
    const closeHub = vi.spyOn(StreamHub.prototype, 'close');
    const { file, db } = brokenHistory();
    const failure = startMarginWatch({
      configPath: file,
      demo: true,
      env: {},
      port: 0,
      distDir: null,
      catalog: catalogOf([fakeEntry]),
      logWrite: () => {},
    });
    await expect(failure).rejects.toThrow(/no such table/);
    expect(closeHub).toHaveBeenCalledOnce();
    expect(fakeHits.size).toBe(0); // the demo simulator is closed
    expect(existsSync(`${db}-wal`)).toBe(false); // the last connection closed and checkpointed
  });

  it('stop() runs every step even when one fails, then reports the failure', async () => {
    const logs: string[] = [];
    const mw = await startMarginWatch({
      env: {},
      port: 0,
      distDir: null,
      catalog: catalogOf([fakeEntry]),
      logWrite: (l) => logs.push(l),
    });
    const dataDir = mw.demo?.dataDir ?? '';
    mw.accounts.stop = () => Promise.reject(new Error('upstream stuck'));
    await expect(mw.stop()).rejects.toThrow('upstream stuck');
    expect(mw.history?.sqlite.open).toBe(false);
    expect(existsSync(dataDir)).toBe(false); // the demo simulators stopped and their folder went
    expect(fakeHits.size).toBe(0);
    expect(logs.join('\n')).toContain('stopping: accounts failed');
    expect(logs.at(-1)).toContain('margin watch stopped');
  });
});

describe('startMarginWatch with an unusable history.path', () => {
  it('fails first, naming the config file, history.path and the path, before anything else starts', async () => {
    const dir = tempDir('mw-history-path-');
    writeFileSync(join(dir, 'notes.txt'), 'x');
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        history: { path: 'notes.txt/history.sqlite' },
        accounts: [{ id: 'a', exchange: 'fakex', credentials: { apiKey: FAKE_KEY, apiSecret: FAKE_SECRET } }],
      }),
    );
    const logs: string[] = [];
    const failure = startMarginWatch({
      configPath: file,
      env: {},
      port: 0,
      distDir: null,
      catalog: catalogOf([fakeEntry]),
      logWrite: (l) => logs.push(l),
    });
    await expect(failure).rejects.toBeInstanceOf(HistoryOpenError);
    await expect(failure).rejects.toThrow(
      `${file}: history.path: cannot use ${join(dir, 'notes.txt', 'history.sqlite')} for the history database: ` +
        `${join(dir, 'notes.txt')} is a file, not a folder`,
    );
    expect(logs).toEqual([]); // no nonce file warning, no stack
  });
});
