import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HistoryOpenError,
  MIGRATIONS,
  SCHEMA_VERSION,
  openFailureReason,
  openHistory,
  openTemporaryHistory,
  schemaVersion,
} from './db.ts';
import { ZONE_CODES, profileBody, profileOf } from './schema.ts';
import { TEST_BANDS, TEST_UNIT } from './testkit.ts';

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mw-db-test-'));
  dirs.push(dir);
  return join(dir, 'nested', 'history.sqlite');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tables(path: string): string[] {
  const history = openHistory(path);
  try {
    return history.sqlite
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((r) => r.name);
  } finally {
    history.close();
  }
}

describe('openHistory', () => {
  it('creates a fresh database (and its directory) at the latest schema, in WAL mode', () => {
    const path = tempFile();
    const history = openHistory(path);
    expect(schemaVersion(history.sqlite)).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
    expect(history.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(history.sqlite.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    history.close();
    history.close();
    expect(tables(path)).toEqual([
      'accounts',
      'alert_events',
      'alert_settings',
      'profiles',
      'rollups',
      'samples',
      'sqlite_sequence',
    ]);
  });

  it('bounds the WAL: checkpointed every 500 pages, truncated to 4 MiB after a checkpoint', () => {
    const history = openHistory(tempFile());
    expect(history.sqlite.pragma('journal_size_limit', { simple: true })).toBe(4 * 1024 * 1024);
    expect(history.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(500);
    history.close();
  });

  it('reopening a current database applies nothing', () => {
    const path = tempFile();
    openHistory(path).close();
    const again = openHistory(path);
    expect(schemaVersion(again.sqlite)).toBe(SCHEMA_VERSION);
    again.close();
  });

  it('upgrades a v1 database: rollups are built from the samples already recorded', () => {
    const path = tempFile();
    const v1 = openHistory(path, { targetVersion: 1 });
    expect(schemaVersion(v1.sqlite)).toBe(1);
    const db = v1.sqlite;
    db.prepare("INSERT INTO accounts (id, name, exchange) VALUES (1, 'valr-main', 'valr')").run();
    const body = profileBody(profileOf(TEST_UNIT, TEST_BANDS, { currency: 'USDC', decimals: 2 }));
    db.prepare('INSERT INTO profiles (id, body) VALUES (1, ?)').run(body);
    const insert = db.prepare(
      `INSERT INTO samples (account_id, t, level_text, level_key, zone, cushion, profile_id, gap_before)
       VALUES (1, ?, ?, ?, ?, NULL, 1, ?)`,
    );
    // Two minutes: 00:00:10 … 00:00:50 and 00:01:05 (after a gap).
    const rows: [number, string, number, number, number][] = [
      [10_000, '1.7000', 1.7, ZONE_CODES.safe, 0],
      [20_000, '1.08', 1.08, ZONE_CODES.takeover, 0],
      [30_000, '0', Number.POSITIVE_INFINITY, ZONE_CODES.safe, 0],
      [50_000, '1.2500', 1.25, ZONE_CODES.caution, 0],
      [65_000, '1.9', 1.9, ZONE_CODES.safe, 1],
    ];
    for (const row of rows) insert.run(...row);
    v1.close();
    expect(tables(path)).toContain('rollups');

    const v2 = openHistory(path);
    expect(schemaVersion(v2.sqlite)).toBe(SCHEMA_VERSION);
    const rollups = v2.sqlite
      .prepare<[], Record<string, unknown>>(
        `SELECT start, n, first_t, last_t, min_text, max_text, max_key, last_text, worst_zone, gap
         FROM rollups WHERE period = 60000 ORDER BY start`,
      )
      .all();
    expect(rollups).toEqual([
      {
        start: 0,
        n: 4,
        first_t: 10_000,
        last_t: 50_000,
        min_text: '1.08',
        max_text: '0',
        max_key: Number.POSITIVE_INFINITY,
        last_text: '1.2500',
        worst_zone: ZONE_CODES.takeover,
        gap: 0,
      },
      {
        start: 60_000,
        n: 1,
        first_t: 65_000,
        last_t: 65_000,
        min_text: '1.9',
        max_text: '1.9',
        max_key: 1.9,
        last_text: '1.9',
        worst_zone: ZONE_CODES.safe,
        gap: 1,
      },
    ]);
    const fourHours = v2.sqlite
      .prepare<[], { n: number; min_text: string }>('SELECT n, min_text FROM rollups WHERE period = 14400000')
      .all();
    expect(fourHours).toEqual([{ n: 5, min_text: '1.08' }]);
    v2.close();
  });

  it('refuses a database written by a newer version, and leaves it untouched', () => {
    const path = tempFile();
    const history = openHistory(path);
    history.sqlite.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    history.close();
    expect(() => openHistory(path)).toThrow(
      `history database schema v${SCHEMA_VERSION + 1} is newer than this Margin Watch understands (v${SCHEMA_VERSION})`,
    );
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    raw.close();
  });

  it('a temporary database (demo mode) is deleted when closed', () => {
    const history = openTemporaryHistory();
    expect(existsSync(history.path)).toBe(true);
    expect(schemaVersion(history.sqlite)).toBe(SCHEMA_VERSION);
    history.close();
    expect(existsSync(history.path)).toBe(false);
  });
});

describe('a history path that cannot be used', () => {
  function folder(): string {
    const dir = mkdtempSync(join(tmpdir(), 'mw-db-path-'));
    dirs.push(dir);
    return dir;
  }

  it.each([
    ['a folder', (dir: string) => mkdirSync(join(dir, 'h')), 'h', /it is a folder, not a file/],
    [
      'a path under a regular file',
      (dir: string) => writeFileSync(join(dir, 'f'), 'x'),
      'f/deeper/h.sqlite',
      /\/f is a file, not a folder$/,
    ],
    [
      'a file that is not a database',
      (dir: string) => writeFileSync(join(dir, 'h'), 'not a database, just text '.repeat(100)),
      'h',
      /the file is not a SQLite database \(SQLITE_NOTADB\)$/,
    ],
  ])('%s: a HistoryOpenError naming the path, in one line', (_, prepare, name, reason) => {
    const dir = folder();
    prepare(dir);
    const path = join(dir, name);
    let error: unknown;
    try {
      openHistory(path);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(HistoryOpenError);
    const message = (error as HistoryOpenError).message;
    expect(message).toMatch(new RegExp(`^cannot use ${path} for the history database: `));
    expect(message).toMatch(reason);
    expect(message).not.toContain('\n');
    expect((error as HistoryOpenError).from('/etc/mw.json').message).toBe(
      `/etc/mw.json: history.path: ${message}`,
    );
  });

  it('words the errors of a read-only or failing file system', () => {
    const errno = (code: string) => Object.assign(new Error(`${code}: something`), { code });
    expect(openFailureReason(errno('EROFS'))).toBe('the file system is read-only (EROFS)');
    expect(openFailureReason(errno('EACCES'))).toBe('permission denied (EACCES)');
    expect(
      openFailureReason(new Database.SqliteError('attempt to write a readonly database', 'SQLITE_READONLY')),
    ).toBe('the file or its folder is read-only (SQLITE_READONLY)');
    expect(
      openFailureReason(new Database.SqliteError('unable to open database file', 'SQLITE_CANTOPEN')),
    ).toBe('the file cannot be created or opened (a read-only file system or folder?) (SQLITE_CANTOPEN)');
    expect(openFailureReason(new Error('plain\nfailure'))).toBe('plain failure');
  });
});
