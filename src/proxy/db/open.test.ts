import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { percentHistoryChange } from '../../exchanges/b2prime/history-migration.ts';
import { createReader } from '../history/query.ts';
import { rebuildRollups } from '../history/rollup.ts';
import { NO_DEBT_KEY, ZONE_CODES, profileBody, profileOf, type Profile } from '../history/schema.ts';
import { TEST_BANDS, TEST_UNIT } from '../history/testing/samples.ts';
import { changeLevelUnit } from '../history/unit-change.ts';
import { MIGRATIONS, SCHEMA_VERSION, schemaVersion } from './migrations.ts';
import { HistoryOpenError, openFailureReason, openHistory, openTemporaryHistory } from './open.ts';

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

  it('upgrades a v3 database: B2Prime history recorded as ratios reads in percent, nothing else changes', () => {
    const path = tempFile();
    const v3 = openHistory(path, { targetVersion: 3 });
    const db = v3.sqlite;
    db.prepare(
      "INSERT INTO accounts (id, name, exchange) VALUES (1, 'b2p', 'b2prime'), (2, 'valr-main', 'valr'), (3, 'bitso-main', 'bitso')",
    ).run();
    const b2prime = (kind: 'ratio' | 'percent', lines: [string, string, string, string]): Profile => ({
      unit: { name: 'Margin level', kind },
      bands: [
        { kind: 'caution', threshold: lines[0], label: lines[1], source: 'config' },
        { kind: 'liquidation', threshold: lines[2], label: lines[3], source: 'config' },
      ],
      currency: 'RAT',
    });
    const bodies: [number, Profile][] = [
      [1, b2prime('ratio', ['1', 'marginCall', '0.5', 'liquidation'])],
      // What this version records for the same config in percent (100 / 50).
      [2, b2prime('percent', ['100', 'margin call', '50', 'stop-out'])],
      [3, profileOf(TEST_UNIT, TEST_BANDS, { currency: 'USDC', decimals: 2 })],
      // Bitso's unit has the same name and kind as B2Prime's old one.
      [
        4,
        {
          unit: { name: 'Margin level', kind: 'ratio' },
          bands: [{ kind: 'liquidation', threshold: '1.1', label: 'liquidation', source: 'config' }],
          currency: 'USD',
        },
      ],
      // An earlier B2Prime config (1.5 / 1.1), never recorded in percent.
      [5, b2prime('ratio', ['1.5', 'marginCall', '1.1', 'liquidation'])],
    ];
    for (const [id, profile] of bodies) {
      db.prepare('INSERT INTO profiles (id, body) VALUES (?, ?)').run(id, profileBody(profile));
    }
    const insert = db.prepare(
      `INSERT INTO samples (account_id, t, level_text, level_key, zone, cushion, profile_id, equity, gap_before)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)`,
    );
    const { safe, caution } = ZONE_CODES;
    insert.run(1, 5_000, '2.25', 2.25, safe, '0.51111111', 5, '9000.00');
    insert.run(1, 10_000, '4969.3905', 4969.3905, safe, '0.99989938', 1, '9938.78');
    insert.run(1, 20_000, '1.5', 1.5, safe, '0.66666667', 1, '15.00');
    insert.run(1, 30_000, '0.5', 0.5, caution, '0.00000000', 1, '5.00');
    insert.run(1, 40_000, 'no margin in use', NO_DEBT_KEY, safe, '1.00000000', 1, '5.00');
    // Recorded after the upgrade to percent.
    insert.run(1, 70_000, '496939.05', 496939.05, safe, '0.99989938', 2, '9938.78');
    insert.run(2, 10_000, '0.1234', 0.1234, ZONE_CODES.takeover, null, 3, null);
    insert.run(3, 10_000, '1.5', 1.5, safe, '0.26666667', 4, null);
    rebuildRollups(db);
    db.prepare(
      `INSERT INTO alert_events (id, account, exchange, rule, kind, level, zone, cushion, message, at)
       VALUES ('e1', 'b2p', 'b2prime', 'zone-worse', 'fired', '0.5', 'caution', '0.00000000',
               'entered Caution — level 0.5', 30000)`,
    ).run();
    const others = (sqlite: Database.Database): unknown => ({
      samples: sqlite.prepare('SELECT * FROM samples WHERE account_id <> 1 ORDER BY account_id, t').all(),
      rollups: sqlite
        .prepare('SELECT * FROM rollups WHERE account_id <> 1 ORDER BY account_id, period, start')
        .all(),
      profiles: sqlite.prepare('SELECT * FROM profiles WHERE id IN (2, 3, 4) ORDER BY id').all(),
      alerts: sqlite.prepare('SELECT * FROM alert_events').all(),
    });
    const untouched = others(db);
    v3.close();

    const v4 = openHistory(path);
    const sqlite = v4.sqlite;
    expect(schemaVersion(sqlite)).toBe(SCHEMA_VERSION);
    expect(others(sqlite)).toEqual(untouched);
    const profileId = (profile: Profile): number | undefined =>
      sqlite
        .prepare<[string], { id: number }>('SELECT id FROM profiles WHERE body = ?')
        .get(profileBody(profile))?.id;
    const earlier = profileId(b2prime('percent', ['150', 'margin call', '110', 'stop-out']));
    expect(earlier).toBeGreaterThan(5);
    // The ratio profiles are gone: profile 1 became profile 2, profile 5 a new one.
    expect(sqlite.prepare('SELECT id FROM profiles ORDER BY id').all()).toEqual(
      [2, 3, 4, earlier].map((id) => ({ id })),
    );
    expect(
      sqlite
        .prepare(
          `SELECT t, level_text AS text, level_key AS key, zone, cushion, profile_id AS profile, equity
           FROM samples WHERE account_id = 1 ORDER BY t`,
        )
        .all(),
    ).toEqual([
      {
        t: 5_000,
        text: '225',
        key: 225,
        zone: safe,
        cushion: '0.51111111',
        profile: earlier,
        equity: '9000.00',
      },
      {
        t: 10_000,
        text: '496939.05',
        key: 4969.3905 * 100,
        zone: safe,
        cushion: '0.99989938',
        profile: 2,
        equity: '9938.78',
      },
      { t: 20_000, text: '150', key: 150, zone: safe, cushion: '0.66666667', profile: 2, equity: '15.00' },
      { t: 30_000, text: '50', key: 50, zone: caution, cushion: '0.00000000', profile: 2, equity: '5.00' },
      {
        t: 40_000,
        text: 'no margin in use',
        key: NO_DEBT_KEY,
        zone: safe,
        cushion: '1.00000000',
        profile: 2,
        equity: '5.00',
      },
      {
        t: 70_000,
        text: '496939.05',
        key: 496939.05,
        zone: safe,
        cushion: '0.99989938',
        profile: 2,
        equity: '9938.78',
      },
    ]);
    expect(
      sqlite
        .prepare(
          `SELECT period, start, n, min_text, min_key, max_text, max_key, last_text, last_key, last_profile
           FROM rollups WHERE account_id = 1 ORDER BY period, start`,
        )
        .all(),
    ).toEqual([
      ...[60_000, 900_000, 14_400_000].flatMap((period) => {
        const whole = {
          period,
          start: 0,
          min_text: '50',
          min_key: 50,
          max_text: 'no margin in use',
          max_key: NO_DEBT_KEY,
          last_profile: 2,
        };
        return period === 60_000
          ? [
              { ...whole, n: 5, last_text: 'no margin in use', last_key: NO_DEBT_KEY },
              {
                ...whole,
                start: 60_000,
                n: 1,
                min_text: '496939.05',
                min_key: 496939.05,
                max_text: '496939.05',
                max_key: 496939.05,
                last_text: '496939.05',
                last_key: 496939.05,
              },
            ]
          : [{ ...whole, n: 6, last_text: '496939.05', last_key: 496939.05 }];
      }),
    ]);

    // The history API: one series in percent, from raw samples and from rollups alike.
    const raw = createReader(v4).query({
      accountId: 'b2p',
      from: 0,
      to: 99_999,
      maxPoints: 1000,
      now: 99_999,
    });
    expect(raw.source).toBe('samples');
    expect(raw.buckets.map((b) => b.last.text)).toEqual([
      '225',
      '496939.05',
      '150',
      '50',
      'no margin in use',
      '496939.05',
    ]);
    expect(raw.profiles.map((p) => p.unit)).toEqual(Array(2).fill({ name: 'Margin level', kind: 'percent' }));
    expect(raw.profiles.map((p) => p.bands.map((b) => `${b.label} ${b.threshold}`))).toEqual([
      ['margin call 150', 'stop-out 110'],
      ['margin call 100', 'stop-out 50'],
    ]);
    const rolled = createReader(v4, { rowBudget: 1 }).query({
      accountId: 'b2p',
      from: 0,
      to: 14_399_999,
      maxPoints: 2,
      now: 14_399_999,
    });
    expect(rolled.source).toBe('15m');
    expect(rolled.buckets.map((b) => [b.min.text, b.max.kind, b.last.text])).toEqual([
      ['50', 'no-debt', '496939.05'],
    ]);
    expect(rolled.profiles.map((p) => p.unit?.kind)).toEqual(['percent']);

    // Running the step again converts nothing more.
    const dump = (): unknown[] =>
      ['samples', 'rollups', 'profiles', 'alert_events'].map((table) =>
        sqlite.prepare(`SELECT * FROM ${table}`).all(),
      );
    const once = dump();
    sqlite.transaction(() => changeLevelUnit(sqlite, percentHistoryChange))();
    expect(dump()).toEqual(once);
    v4.close();
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
