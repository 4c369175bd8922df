import { describe, expect, it } from 'vitest';
import { openHistory } from '../db/open.ts';
import { rebuildRollups } from './rollup.ts';
import { NO_DEBT_KEY, ZONE_CODES, parseProfileBody, profileBody, type Profile } from './schema.ts';
import { changeLevelUnit, scaleKey, type UnitChange } from './unit-change.ts';

describe('scaleKey', () => {
  it('scales a finite key, keeps no debt, clamps to the largest double', () => {
    expect(scaleKey(1.5, 2)).toBe(150);
    expect(scaleKey(NO_DEBT_KEY, 2)).toBe(NO_DEBT_KEY);
    expect(scaleKey(Number.MAX_VALUE, 2)).toBe(Number.MAX_VALUE);
    expect(scaleKey(-Number.MAX_VALUE, 2)).toBe(-Number.MAX_VALUE);
  });
});

const CHANGE: UnitChange = {
  description: 'kite levels recorded as ratios, in percent',
  exchange: 'kite',
  from: { name: 'Level', kind: 'ratio' },
  to: { name: 'Level', kind: 'percent' },
  places: 2,
  configLabels: { liquidation: 'stop-out' },
};

const RATIO_PROFILE: Profile = {
  unit: CHANGE.from,
  bands: [
    { kind: 'caution', threshold: '1.2', label: 'marginCall', source: 'config' },
    { kind: 'liquidation', threshold: '1.05', label: 'liquidation', source: 'config' },
    { kind: 'takeover', threshold: '1.01', label: 'liquidation', source: 'exchange' },
  ],
  currency: 'USD',
};

describe('changeLevelUnit', () => {
  function fixture() {
    const history = openHistory(':memory:');
    const db = history.sqlite;
    db.prepare(
      "INSERT INTO accounts (id, name, exchange) VALUES (1, 'k', 'kite'), (2, 'other', 'otter')",
    ).run();
    db.prepare('INSERT INTO profiles (id, body) VALUES (1, ?)').run(profileBody(RATIO_PROFILE));
    const insert = db.prepare(
      `INSERT INTO samples (account_id, t, level_text, level_key, zone, cushion, profile_id, gap_before)
       VALUES (?, ?, ?, ?, ?, ?, 1, 0)`,
    );
    insert.run(1, 1_000, '1.1', 1.1, ZONE_CODES.caution, '0.04545455');
    insert.run(1, 2_000, 'none', NO_DEBT_KEY, ZONE_CODES.safe, '1.00000000');
    // Another exchange whose unit bears the same name and kind shares the profile row.
    insert.run(2, 1_000, '1.3', 1.3, ZONE_CODES.safe, null);
    rebuildRollups(db);
    return { history, db };
  }

  it('converts only the exchange named, into a new profile, and a second run changes nothing', () => {
    const { history, db } = fixture();
    const dump = () => ({
      samples: db.prepare('SELECT * FROM samples ORDER BY account_id, t').all(),
      rollups: db.prepare('SELECT * FROM rollups ORDER BY account_id, period, start').all(),
      profiles: db.prepare('SELECT * FROM profiles ORDER BY id').all(),
    });
    const otherBefore = db.prepare('SELECT * FROM rollups WHERE account_id = 2').all();

    expect(changeLevelUnit(db, CHANGE)).toEqual({ accounts: [1], samples: 2 });
    const rows = db
      .prepare<[], { t: number; text: string; key: number; zone: number; cushion: string; profile: number }>(
        `SELECT t, level_text AS text, level_key AS key, zone, cushion, profile_id AS profile
         FROM samples WHERE account_id = 1 ORDER BY t`,
      )
      .all();
    expect(rows).toEqual([
      { t: 1_000, text: '110', key: 1.1 * 100, zone: ZONE_CODES.caution, cushion: '0.04545455', profile: 2 },
      { t: 2_000, text: 'none', key: NO_DEBT_KEY, zone: ZONE_CODES.safe, cushion: '1.00000000', profile: 2 },
    ]);
    const body = db.prepare<[], { body: string }>('SELECT body FROM profiles WHERE id = 2').get()?.body ?? '';
    expect(parseProfileBody(body)).toEqual({
      unit: CHANGE.to,
      bands: [
        { kind: 'caution', threshold: '120', label: 'marginCall', source: 'config' },
        { kind: 'liquidation', threshold: '105', label: 'stop-out', source: 'config' },
        { kind: 'takeover', threshold: '101', label: 'liquidation', source: 'exchange' },
      ],
      currency: 'USD',
    });
    // The shared profile stays for the other exchange, whose rows are as they were.
    expect(
      db.prepare('SELECT profile_id AS p, level_text AS text FROM samples WHERE account_id = 2').all(),
    ).toEqual([{ p: 1, text: '1.3' }]);
    expect(db.prepare('SELECT * FROM rollups WHERE account_id = 2').all()).toEqual(otherBefore);
    expect(
      db
        .prepare('SELECT min_text, max_text, last_text, last_profile FROM rollups WHERE account_id = 1')
        .all(),
    ).toEqual(Array(3).fill({ min_text: '110', max_text: 'none', last_text: 'none', last_profile: 2 }));

    const once = dump();
    expect(changeLevelUnit(db, CHANGE)).toEqual({ accounts: [], samples: 0 });
    expect(dump()).toEqual(once);
    history.close();
  });

  it('converts the 1-minute rollups whose raw samples were deleted, and keeps them through the rebuild', () => {
    const { history, db } = fixture();
    db.prepare(
      `INSERT INTO samples (account_id, t, level_text, level_key, zone, cushion, profile_id, gap_before)
       VALUES (1, 120000, '1.3', 1.3, ?, NULL, 1, 0)`,
    ).run(ZONE_CODES.safe);
    rebuildRollups(db);
    // The first minute's raw samples are gone (older than rawDays); only its rollup remains.
    db.prepare('DELETE FROM samples WHERE account_id = 1 AND t < 60000').run();
    rebuildRollups(db);
    const minutes = () =>
      db
        .prepare(
          `SELECT start, n, min_text, min_key, max_text, last_text, last_profile FROM rollups
           WHERE account_id = 1 AND period = 60000 ORDER BY start`,
        )
        .all();
    expect(minutes()).toEqual([
      { start: 0, n: 2, min_text: '1.1', min_key: 1.1, max_text: 'none', last_text: 'none', last_profile: 1 },
      {
        start: 120_000,
        n: 1,
        min_text: '1.3',
        min_key: 1.3,
        max_text: '1.3',
        last_text: '1.3',
        last_profile: 1,
      },
    ]);

    expect(changeLevelUnit(db, CHANGE)).toEqual({ accounts: [1], samples: 1 });
    expect(minutes()).toEqual([
      {
        start: 0,
        n: 2,
        min_text: '110',
        min_key: 1.1 * 100,
        max_text: 'none',
        last_text: 'none',
        last_profile: 2,
      },
      {
        start: 120_000,
        n: 1,
        min_text: '130',
        min_key: 1.3 * 100,
        max_text: '130',
        last_text: '130',
        last_profile: 2,
      },
    ]);
    // The coarser periods are rebuilt from both minutes.
    expect(
      db
        .prepare(
          'SELECT period, n, min_text, max_text, last_text FROM rollups WHERE account_id = 1 AND period > 60000',
        )
        .all(),
    ).toEqual([
      { period: 900_000, n: 3, min_text: '110', max_text: 'none', last_text: '130' },
      { period: 14_400_000, n: 3, min_text: '110', max_text: 'none', last_text: '130' },
    ]);
    expect(changeLevelUnit(db, CHANGE)).toEqual({ accounts: [], samples: 0 });
    history.close();
  });

  it('drops the old profile once nothing refers to it', () => {
    const { history, db } = fixture();
    // The other exchange's history is gone, rollups included (a rebuild keeps rollups that outlived their samples).
    db.prepare('DELETE FROM samples WHERE account_id = 2').run();
    db.prepare('DELETE FROM rollups WHERE account_id = 2').run();
    changeLevelUnit(db, CHANGE);
    expect(db.prepare('SELECT id FROM profiles ORDER BY id').all()).toEqual([{ id: 2 }]);
    history.close();
  });
});
