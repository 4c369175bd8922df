import { describe, expect, it } from 'vitest';
import { dec } from './decimal.ts';
import { ZONES, ZONE_NAMES, type AccountUpdate, type Band, type Level } from './model.ts';
import { applyUpdate, cushionOf, resolveBands, zoneOf, zoneSeverity } from './risk.ts';

const bitsoBands: Band[] = [
  { kind: 'caution', threshold: dec('1.5'), label: 'safe', source: 'exchange' },
  { kind: 'liquidation', threshold: dec('1.1'), label: 'maintenance', source: 'exchange' },
];
const valrBands: Band[] = [
  { kind: 'caution', threshold: dec('0.1'), label: 'initial', source: 'exchange' },
  { kind: 'liquidation', threshold: dec('0.05'), label: 'maintenance', source: 'exchange' },
  { kind: 'takeover', threshold: dec('0.03'), label: 'autoClose', source: 'exchange' },
];
const level = (text: string): Level => ({ kind: 'value', value: dec(text), text });

describe('zoneOf', () => {
  it.each([
    ['2.5', 'safe'],
    ['1.5', 'caution'],
    ['1.2', 'caution'],
    ['1.1', 'caution'],
    ['1.09', 'liquidation'],
    ['0', 'liquidation'],
  ] as const)('Bitso level %s is %s', (text, zone) => {
    expect(zoneOf(level(text), bitsoBands)).toBe(zone);
  });
  it.each([
    ['0.2', 'safe'],
    ['0.07', 'caution'],
    ['0.04', 'liquidation'],
    ['0.02', 'takeover'],
  ] as const)('VALR fraction %s is %s', (text, zone) => {
    expect(zoneOf(level(text), valrBands)).toBe(zone);
  });
  it('is unknown without bands or level, safe with no debt', () => {
    expect(zoneOf(level('2'), [])).toBe('unknown');
    expect(zoneOf(null, bitsoBands)).toBe('unknown');
    expect(zoneOf({ kind: 'no-debt', text: '' }, [])).toBe('safe');
  });
  it('puts an account the venue is liquidating in Liquidation whatever the level, never milder', () => {
    const venue = { kind: 'liquidating', text: 'being liquidated by Bitso' } as const;
    expect(zoneOf(level('2.5'), bitsoBands, venue)).toBe('liquidation');
    expect(zoneOf(level('1.2'), bitsoBands, venue)).toBe('liquidation');
    expect(zoneOf({ kind: 'no-debt', text: '' }, bitsoBands, venue)).toBe('liquidation');
    expect(zoneOf(null, [], venue)).toBe('liquidation');
    expect(zoneOf(level('0.02'), valrBands, venue)).toBe('takeover');
    expect(zoneOf(level('2.5'), bitsoBands, null)).toBe('safe');
  });
});

describe('cushionOf', () => {
  it('is 1 − liquidation / level, exactly', () => {
    expect(cushionOf(level('2.5'), bitsoBands)?.toString()).toBe('0.56');
  });
  it('is negative below the line, 1 with no debt, null when unknowable', () => {
    expect(cushionOf(level('1'), bitsoBands)?.toString()).toBe('-0.1');
    expect(cushionOf({ kind: 'no-debt', text: '' }, bitsoBands)?.toString()).toBe('1');
    expect(cushionOf(level('2'), [])).toBeNull();
    expect(cushionOf(level('0'), bitsoBands)).toBeNull();
    expect(cushionOf(level('-1'), bitsoBands)).toBeNull();
  });
});

describe('resolveBands', () => {
  it('lets config supply and override bands, sorted highest first', () => {
    const bands = resolveBands([bitsoBands[1]!], { marginCall: dec('1.6'), liquidation: dec('1.2') });
    expect(bands.map((b) => [b.kind, b.threshold.toString(), b.source])).toEqual([
      ['caution', '1.6', 'config'],
      ['liquidation', '1.2', 'config'],
    ]);
  });
  it('keeps exchange bands without overrides', () => {
    expect(resolveBands(bitsoBands, undefined)).toEqual(bitsoBands);
  });
});

describe('applyUpdate', () => {
  const base: AccountUpdate = {
    accountId: 'a',
    exchange: 'bitopro',
    channel: 'balances',
    time: 1000,
    risk: { level: level('2.5'), unit: { name: 'AD ratio', kind: 'ratio' }, bands: bitsoBands },
    balances: [{ currency: 'BTC', total: dec('10'), available: dec('9'), borrowed: dec('2'), decimals: 8 }],
    details: [{ key: 'status', label: 'Status', value: { kind: 'text', value: 'ACTIVE' } }],
  };
  it('computes zone and cushion', () => {
    const snap = applyUpdate(undefined, base);
    expect(snap.zone).toBe('safe');
    expect(snap.cushion?.toString()).toBe('0.56');
  });
  it("lets the venue's status outrank the level until the venue lifts it", () => {
    const venueStatus = { kind: 'liquidating', text: 'being liquidated by VALR' } as const;
    const safe = applyUpdate(undefined, base);
    const status = { accountId: 'a', exchange: 'valr', channel: 'account-status', time: 1500 };
    const liquidating = applyUpdate(safe, { ...status, venueStatus });
    expect(liquidating.zone).toBe('liquidation');
    expect(liquidating.venueStatus).toEqual(venueStatus);
    expect(liquidating.level).toEqual(safe.level);
    // A message that says nothing about the status keeps the venue's last word.
    const next = applyUpdate(liquidating, { ...base, time: 2000 });
    expect(next.zone).toBe('liquidation');
    expect(next.venueStatus).toEqual(venueStatus);
    const lifted = applyUpdate(next, { ...status, time: 2500, venueStatus: null });
    expect(lifted.zone).toBe('safe');
    expect(lifted).not.toHaveProperty('venueStatus');
  });
  it('merges partial balances into known rows and keeps risk from earlier messages', () => {
    const first = applyUpdate(undefined, base);
    const next = applyUpdate(first, {
      accountId: 'a',
      exchange: 'bitopro',
      channel: 'account-info',
      time: 2000,
      balances: [{ currency: 'BTC', borrowed: dec('3'), interest: dec('0.1'), decimals: 8 }],
      balancesMode: 'merge',
    });
    expect(next.level).toEqual(first.level);
    expect(next.time).toBe(2000);
    const btc = next.balances?.[0];
    expect(btc?.total?.toString()).toBe('10');
    expect(btc?.borrowed?.toString()).toBe('3');
    expect(btc?.interest?.toString()).toBe('0.1');
    expect(next.details).toHaveLength(1);
  });
  it("keeps each channel's warnings until that channel speaks again", () => {
    const a = applyUpdate(undefined, { ...base, channel: 'MarginData', warnings: ['sent in percent'] });
    const b = applyUpdate(a, {
      ...base,
      channel: 'FullBalance',
      risk: undefined,
      warnings: ['available off'],
    });
    expect(b.warnings).toEqual(['sent in percent', 'available off']);
    const c = applyUpdate(b, { ...base, channel: 'MarginData', warnings: [] });
    expect(c.warnings).toEqual(['available off']);
  });
  it('recomputes a derived net when borrowed or interest move', () => {
    const first = applyUpdate(undefined, {
      ...base,
      balances: [
        {
          currency: 'BTC',
          total: dec('10'),
          borrowed: dec('2'),
          interest: dec('0.1'),
          net: dec('7.9'),
          netDerived: true,
          decimals: 8,
        },
        { currency: 'USD', total: dec('5'), borrowed: dec('1'), net: dec('5'), decimals: 2 },
      ],
    });
    const next = applyUpdate(first, {
      ...base,
      risk: undefined,
      balancesMode: 'merge',
      balances: [
        { currency: 'BTC', borrowed: dec('2'), interest: dec('0.25'), decimals: 8 },
        { currency: 'USD', borrowed: dec('3'), decimals: 2 },
      ],
    });
    expect(next.balances?.[0]?.net?.toString()).toBe('7.75');
    expect(next.balances?.[1]?.net?.toString()).toBe('5');
  });
  it('never shows fewer decimals for a figure than it showed before', () => {
    const first = applyUpdate(undefined, {
      ...base,
      risk: { ...base.risk!, totals: { currency: 'USDC', assets: dec('9999.20922925'), decimals: 8 } },
      balances: [{ currency: 'USDC', total: dec('-6000.5'), decimals: 8 }],
    });
    const next = applyUpdate(first, {
      ...base,
      risk: { ...base.risk!, totals: { currency: 'USDC', assets: dec('9999.2092292'), decimals: 7 } },
      balances: [{ currency: 'USDC', total: dec('-6000'), decimals: 0 }],
    });
    expect(next.totals?.decimals).toBe(8);
    expect(next.balances?.[0]?.decimals).toBe(8);
    const other = applyUpdate(next, {
      ...base,
      risk: { ...base.risk!, totals: { currency: 'USD', assets: dec('1.5'), decimals: 1 } },
    });
    expect(other.totals?.decimals).toBe(1);
  });
  it('replaces balances on a full update', () => {
    const first = applyUpdate(undefined, base);
    const next = applyUpdate(first, { ...base, balances: [{ currency: 'ETH', net: dec('1'), decimals: 0 }] });
    expect(next.balances?.map((b) => b.currency)).toEqual(['ETH']);
  });
});

describe('zones', () => {
  it('rank worst first as takeover, liquidation, caution, unknown, safe, each with one name', () => {
    const worstFirst = [...ZONES].sort((a, b) => zoneSeverity(b) - zoneSeverity(a));
    expect(worstFirst.map((zone) => ZONE_NAMES[zone])).toEqual([
      'Takeover',
      'Liquidation',
      'Caution',
      'Unknown',
      'Safe',
    ]);
  });
});
