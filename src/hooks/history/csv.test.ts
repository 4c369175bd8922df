import { describe, expect, it } from 'vitest';
import { HISTORY_CSV_COLUMNS, csvColumnsMarkdown, csvField, csvFileName, historyCsv } from './csv.ts';
import { PROFILE, T0, bucket, history, value } from '../../contract/testing/history.ts';

const HEADER =
  'bucket_start,bucket_end,first_sample,last_sample,samples,level_min,level_max,level_last,level_unit,zone_last,' +
  'zone_worst,cushion_last,caution_threshold,liquidation_threshold,takeover_threshold,totals_currency,assets,' +
  'liabilities,equity,after_outage';

describe('historyCsv', () => {
  const data = history(
    [
      bucket(T0, '1.7000', { min: value('1.0400'), zone: 'safe', worstZone: 'takeover', equity: '12.50' }),
      bucket(T0 + 60_000, '0', {
        last: { kind: 'no-debt', text: '0' },
        max: { kind: 'no-debt', text: '0' },
        cushion: null,
        gapBefore: true,
        assets: null,
        liabilities: null,
        profile: 1,
      }),
      bucket(T0 + 120_000, '1.6'),
    ],
    { profiles: [PROFILE, { unit: { name: 'AD ratio, %', kind: 'ratio' }, bands: [], currency: null }] },
  );

  it('writes the documented columns, one row per bucket, exact decimals, CRLF', () => {
    const csv = historyCsv(data);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(HEADER);
    expect(lines[1]).toBe(
      '2026-11-20T10:00:00.000Z,2026-11-20T10:01:00.000Z,2026-11-20T10:00:01.000Z,2026-11-20T10:00:59.000Z,10,' +
        '1.0400,1.7000,1.7000,Margin fraction,Safe,Takeover,0.40000000,1.5,1.1,1.05,USDC,1000.5,400,12.50,0',
    );
    expect(lines[2]).toBe(
      '2026-11-20T10:01:00.000Z,2026-11-20T10:02:00.000Z,2026-11-20T10:01:01.000Z,2026-11-20T10:01:59.000Z,10,' +
        '0,no-debt,no-debt,"AD ratio, %",Safe,Safe,,,,,,,,,1',
    );
    expect(lines).toHaveLength(5);
    expect(lines[4]).toBe('');
  });

  it('exports only the buckets that overlap the visible range', () => {
    const lines = historyCsv(data, T0 + 60_000, T0 + 60_500)
      .trim()
      .split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]?.startsWith('2026-11-20T10:01:00.000Z')).toBe(true);
  });

  it('writes one row per bucket the chart draws when given its (merged) buckets', () => {
    const [a, b] = data.buckets;
    if (!a || !b) throw new Error('fixture');
    const merged = { ...b, start: a.start, firstAt: a.firstAt, count: a.count + b.count, min: a.min };
    const lines = historyCsv(data, data.from, data.to, [merged]).trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]?.split(',').slice(0, 6)).toEqual([
      '2026-11-20T10:00:00.000Z',
      '2026-11-20T10:02:00.000Z',
      '2026-11-20T10:00:01.000Z',
      '2026-11-20T10:01:59.000Z',
      '20',
      '1.0400',
    ]);
  });

  it.each([
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['+cmd', "'+cmd"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tlead', "'\tlead"],
    ['\rlead', `"'\rlead"`],
    ['-12.50', '-12.50'],
    ['+3', '+3'],
    ['Margin fraction', 'Margin fraction'],
  ])('neutralises a formula in a text cell: %j → %j', (cell, written) => {
    expect(csvField(cell)).toBe(written);
  });

  it('neutralises a formula smuggled in through a unit name', () => {
    const evil = history([bucket(T0, '1.7')], {
      profiles: [{ ...PROFILE, unit: { name: '=1+1', kind: 'ratio' } }],
    });
    expect(historyCsv(evil).split('\r\n')[1]).toContain(",'=1+1,");
  });

  it('quotes fields as RFC 4180 says', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
  });
});

describe('a level in percent (B2Prime)', () => {
  it('names the unit with (%) and writes the level and the lines in percent; the cushion stays a fraction', () => {
    const percent = history([bucket(T0, '45.50', { min: value('45.50'), cushion: '-0.09890110' })], {
      profiles: [
        {
          unit: { name: 'Margin level', kind: 'percent' },
          bands: [
            { kind: 'caution', threshold: '100', label: 'margin call', source: 'config' },
            { kind: 'liquidation', threshold: '50', label: 'stop-out', source: 'config' },
          ],
          currency: 'RAT',
        },
      ],
    });
    const row = historyCsv(percent).split('\r\n')[1]?.split(',') ?? [];
    const cell = (name: string) => row[HEADER.split(',').indexOf(name)];
    expect(cell('level_last')).toBe('45.50');
    expect(cell('level_unit')).toBe('Margin level (%)');
    expect(cell('caution_threshold')).toBe('100');
    expect(cell('liquidation_threshold')).toBe('50');
    expect(cell('cushion_last')).toBe('-0.09890110');
  });
});

describe('column documentation', () => {
  it('documents every column in a Markdown table', () => {
    const doc = csvColumnsMarkdown().split('\n');
    expect(doc).toHaveLength(HISTORY_CSV_COLUMNS.length + 2);
    expect(HISTORY_CSV_COLUMNS.map((c) => c.name).join(',')).toBe(HEADER);
    for (const column of HISTORY_CSV_COLUMNS) expect(column.description.length).toBeGreaterThan(10);
  });

  it('names the file after the account and the range', () => {
    expect(csvFileName('valr-1', T0, T0 + 3_600_000)).toBe(
      'margin-history-valr-1-20261120T100000Z-20261120T110000Z.csv',
    );
  });
});
