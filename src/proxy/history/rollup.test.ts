import { describe, expect, it } from 'vitest';
import { dec } from '../../domain/decimal.ts';
import { cushionOf, zoneOf } from '../../domain/risk.ts';
import { openHistory } from '../db/open.ts';
import { compareLevels, mergeSample, rebuildRollups, rollupOf, type SampleRow } from './rollup.ts';
import { NO_DEBT_KEY, ZONE_CODES } from './schema.ts';
import { NO_DEBT, TEST_BANDS, TEST_UNIT, levelOf } from './testing/samples.ts';
import { createWriter, type SampleInput } from './writer.ts';

function row(t: number, levelText: string, levelKey: number, zone = 0, gapBefore = 0): SampleRow {
  return {
    accountId: 1,
    t,
    levelText,
    levelKey,
    zone,
    cushion: null,
    profileId: 1,
    assets: null,
    liabilities: null,
    equity: `${t}`,
    gapBefore,
  };
}

describe('compareLevels', () => {
  const cases: [string, number, string, number, number][] = [
    ['1.5', 1.5, '1.6', 1.6, -1],
    ['1.6', 1.6, '1.5', 1.5, 1],
    ['1.50', 1.5, '1.5', 1.5, 0],
    // Equal as doubles, different as decimals: the exact text decides.
    ['1.00000000000000000001', 1, '1.00000000000000000002', 1, -1],
    ['0', NO_DEBT_KEY, '0', NO_DEBT_KEY, 0],
    ['9.9', 9.9, '0', NO_DEBT_KEY, -1],
  ];
  it.each(cases)('%s vs %s', (aText, aKey, bText, bKey, expected) => {
    expect(compareLevels(aKey, aText, bKey, bText)).toBe(expected);
  });
});

describe('mergeSample', () => {
  it('gives the same rollup whatever the order of arrival', () => {
    const samples = [
      row(60_010, '1.30', 1.3, 0),
      row(60_020, '1.00000000000000000001', 1, 4, 1),
      row(60_030, '1.00000000000000000002', 1, 3),
      row(60_040, '0', NO_DEBT_KEY, 0),
      row(60_050, '1.25', 1.25, 2),
    ];
    const orders = [
      samples,
      [...samples].reverse(),
      [samples[2], samples[4], samples[0], samples[3], samples[1]],
    ];
    const results = orders.map((order) => {
      const [first, ...rest] = order as [SampleRow, ...SampleRow[]];
      const rollup = rollupOf(first, 60_000);
      for (const s of rest) mergeSample(rollup, s);
      return rollup;
    });
    for (const r of results) {
      expect(r).toEqual(results[0]);
      expect(r).toMatchObject({
        start: 60_000,
        n: 5,
        firstT: 60_010,
        lastT: 60_050,
        minText: '1.00000000000000000001',
        maxText: '0',
        maxKey: NO_DEBT_KEY,
        lastText: '1.25',
        lastZone: 2,
        worstZone: 4,
        lastEquity: '60050',
        gap: 1,
      });
    }
  });
});

describe('rebuildRollups', () => {
  it('computes in SQL exactly the rollups that live recording kept', () => {
    const history = openHistory(':memory:');
    const writer = createWriter(history);
    const samples: SampleInput[] = [];
    let t = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 3000; i += 1) {
      t += 1 + ((i * 7919) % 97) * 1000;
      const level = i % 37 === 0 ? NO_DEBT : levelOf(`1.${String((i * 104_729) % 10_000).padStart(4, '0')}`);
      samples.push({
        accountId: i % 3 === 0 ? 'a' : 'b',
        exchange: 'valr',
        t,
        level,
        unit: TEST_UNIT,
        bands: TEST_BANDS,
        zone: zoneOf(level, TEST_BANDS),
        cushion: cushionOf(level, TEST_BANDS),
        totals: { currency: 'USDC', assets: dec(`${i}.5`), decimals: 1 },
        gapBefore: i % 101 === 0,
      });
    }
    for (let i = 0; i < samples.length; i += 250) writer.write(samples.slice(i, i + 250));
    const dump = (): unknown[] =>
      history.sqlite.prepare('SELECT * FROM rollups ORDER BY account_id, period, start').all();
    const live = dump();
    expect(live.length).toBeGreaterThan(100);
    rebuildRollups(history.sqlite);
    expect(dump()).toEqual(live);
    expect(
      history.sqlite.prepare('SELECT MAX(worst_zone) AS w FROM rollups WHERE period = 14400000').get(),
    ).toEqual({ w: ZONE_CODES.takeover });
    history.close();
  });

  it('rebuilds only the accounts it is given, leaving every other row as it is', () => {
    const history = openHistory(':memory:');
    const db = history.sqlite;
    const writer = createWriter(history);
    const start = Date.UTC(2026, 0, 1);
    const samples = ['1.2000', '1.0400', '1.3000', '1.0900'].flatMap((text, i) =>
      ['a', 'b'].map((accountId) => {
        const level = levelOf(text);
        return {
          accountId,
          exchange: 'valr',
          t: start + i * 40_000,
          level,
          unit: TEST_UNIT,
          bands: TEST_BANDS,
          zone: zoneOf(level, TEST_BANDS),
          cushion: cushionOf(level, TEST_BANDS),
          totals: null,
          gapBefore: false,
        };
      }),
    );
    writer.write(samples);
    const idOf = (name: string): number =>
      db.prepare<[string], { id: number }>('SELECT id FROM accounts WHERE name = ?').get(name)?.id ?? -1;
    const rowsOf = (id: number): unknown[] =>
      db.prepare('SELECT * FROM rollups WHERE account_id = ? ORDER BY period, start').all(id);
    const [a, b] = [idOf('a'), idOf('b')];
    const liveB = rowsOf(b);
    expect(liveB).toHaveLength(3 + 1 + 1); // minutes 0, 1 and 2; one 15 min and one 4 h period
    // Account a's rollups say something its samples do not: a rebuild of b alone must keep it.
    db.prepare("UPDATE rollups SET min_text = 'kept' WHERE account_id = ?").run(a);
    db.prepare('DELETE FROM rollups WHERE account_id = ?').run(b);
    const before = rowsOf(a);

    rebuildRollups(db, [b]);
    expect(rowsOf(b)).toEqual(liveB);
    expect(rowsOf(a)).toEqual(before);
    history.close();
  });
});
