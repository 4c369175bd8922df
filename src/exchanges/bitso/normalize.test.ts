import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dec } from '../../domain/decimal.ts';
import type { AccountUpdate, MarginSnapshot, ThresholdOverrides } from '../../domain/model.ts';
import { applyUpdate } from '../../domain/risk.ts';
import type { NormalizeContext, ParseOutcome, WireError } from '../types.ts';
import { bitso } from './index.ts';
import { normalizeBitso } from './normalize.ts';

function readFixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}

const fixtureText = readFixture('margin-account.json');

/** A fresh copy of the documented example, to be modified per test. */
function fixture(): Record<string, unknown> & {
  status: unknown;
  margin_levels: Record<string, unknown>;
  margin_figures: Record<string, unknown>;
  balances: Record<string, unknown>[];
} {
  return JSON.parse(fixtureText) as ReturnType<typeof fixture>;
}

/** The "Payload Example" of Bitso's GET /margin_trading/v1alpha/account page, exactly as the doc shows it. */
const DOC_PAYLOAD_EXAMPLE = `{
  "status": "ACTIVE",
  "margin_levels": {
    "current": "2.5",
    "safe": "1.5",
    "maintenance": "1.1"
  },
  "margin_figures": {
    "currency": "usd",
    "total_assets": "10000.00",
    "total_liabilities": "4000.00",
    "trading_power": "5000.00"
  },
  "balances": [
    {
      "currency": "btc",
      "net_amount": "0.50000000"
    },
    {
      "currency": "usd",
      "net_amount": "-1000.00"
    }
  ]
}`;

const RECEIVED_AT = 1_763_700_000_000;
const ctx: NormalizeContext = { accountId: 'bitso-main', receivedAt: RECEIVED_AT };

function run(payload: unknown, thresholds?: ThresholdOverrides, channel = 'account'): ParseOutcome {
  return normalizeBitso(channel, payload, thresholds ? { ...ctx, thresholds } : ctx);
}

function updateOf(payload: unknown, thresholds?: ThresholdOverrides): AccountUpdate {
  const outcome = run(payload, thresholds);
  if (outcome.kind !== 'update') throw new Error(`expected an update, got ${JSON.stringify(outcome)}`);
  return outcome.update;
}

function snapshotOf(payload: unknown, thresholds?: ThresholdOverrides): MarginSnapshot {
  return applyUpdate(undefined, updateOf(payload, thresholds));
}

function errorOf(payload: unknown, channel = 'account'): WireError {
  const outcome = run(payload, undefined, channel);
  if (outcome.kind !== 'error') throw new Error(`expected an error, got ${JSON.stringify(outcome)}`);
  expect(outcome.error.exchange).toBe('bitso');
  expect(outcome.error.channel).toBe(channel);
  return outcome.error;
}

function levelText(s: MarginSnapshot): string {
  if (s.level === null) return 'null';
  return s.level.kind === 'no-debt'
    ? `no-debt(${s.level.text})`
    : `${s.level.value.toFixed()} "${s.level.text}"`;
}

describe('documented example (fixtures/margin-account.json)', () => {
  const update = updateOf(JSON.parse(fixtureText));
  const snap = applyUpdate(undefined, update);

  it('is byte-faithful to the doc: the whole "Payload Example" block of the seed', () => {
    expect(fixtureText).toBe(`${DOC_PAYLOAD_EXAMPLE}\n`);
  });

  it('carries account, exchange, channel and the receive time (the body has no time)', () => {
    expect(update.accountId).toBe('bitso-main');
    expect(update.exchange).toBe('bitso');
    expect(update.channel).toBe('account');
    expect(update.time).toBe(RECEIVED_AT);
    expect(update.warnings).toBeUndefined();
  });

  it('level 2.5 kept as the exchange wrote it, in the Margin level ratio unit', () => {
    expect(snap.level).toEqual({ kind: 'value', value: dec('2.5'), text: '2.5' });
    expect(snap.level?.kind === 'value' && snap.level.value.toFixed()).toBe('2.5');
    expect(snap.unit).toEqual({ name: 'Margin level', kind: 'ratio' });
  });

  it('bands: safe 1.5 (caution) and maintenance 1.1 (liquidation), both from the exchange', () => {
    expect(snap.bands.map((b) => [b.kind, b.threshold.toFixed(), b.label, b.source])).toEqual([
      ['caution', '1.5', 'safe', 'exchange'],
      ['liquidation', '1.1', 'maintenance', 'exchange'],
    ]);
  });

  it('zone safe, cushion exactly 0.56 (1 − 1.1 / 2.5)', () => {
    expect(snap.zone).toBe('safe');
    expect(snap.cushion?.toFixed()).toBe('0.56');
  });

  it('totals: usd, assets 10000.00, liabilities 4000.00, 2 decimals', () => {
    expect(snap.totals?.currency).toBe('usd');
    expect(snap.totals?.assets?.toFixed(2)).toBe('10000.00');
    expect(snap.totals?.liabilities?.toFixed(2)).toBe('4000.00');
    expect(snap.totals?.assets?.eq(dec('10000'))).toBe(true);
    expect(snap.totals?.liabilities?.eq(dec('4000'))).toBe(true);
    expect(snap.totals?.equity).toBeUndefined();
    expect(snap.totals?.decimals).toBe(2);
  });

  it('balances: net only, negative = liability, decimals as written per row, replace mode', () => {
    expect(update.balancesMode).toBe('replace');
    expect(
      snap.balances?.map((b) => ({
        currency: b.currency,
        net: b.net?.toFixed(b.decimals),
        decimals: b.decimals,
        others: [b.total, b.available, b.locked, b.borrowed, b.interest],
      })),
    ).toEqual([
      {
        currency: 'btc',
        net: '0.50000000',
        decimals: 8,
        others: [undefined, undefined, undefined, undefined, undefined],
      },
      {
        currency: 'usd',
        net: '-1000.00',
        decimals: 2,
        others: [undefined, undefined, undefined, undefined, undefined],
      },
    ]);
    expect(snap.balances?.[0]?.net?.eq(dec('0.5'))).toBe(true);
    expect(snap.balances?.[1]?.net?.eq(dec('-1000'))).toBe(true);
  });

  it('details: status with its meaning, trading power 5000.00 usd', () => {
    expect(snap.details).toEqual([
      {
        key: 'status',
        label: 'Account status',
        value: { kind: 'text', value: 'ACTIVE — funded; margin trading enabled' },
      },
      {
        key: 'trading_power',
        label: 'Trading power',
        value: { kind: 'decimal', value: dec('5000.00'), decimals: 2, currency: 'usd' },
      },
    ]);
  });
});

describe('a BLOCKED account (fixtures/margin-account-blocked.json)', () => {
  const snap = snapshotOf(JSON.parse(readFixture('margin-account-blocked.json')));

  it('is in the Liquidation zone, being liquidated by Bitso', () => {
    expect(snap.zone).toBe('liquidation');
    expect(snap.venueStatus?.text).toBe('being liquidated by Bitso');
    expect(levelText(snap)).toBe('1.05 "1.05"');
    expect(snap.warnings).toEqual([]);
  });
});

describe('an INACTIVE account (fixtures/margin-account-inactive.json)', () => {
  const snap = snapshotOf(JSON.parse(readFixture('margin-account-inactive.json')));

  it('has no margin in use: no debt, Safe, and the status says so', () => {
    expect(snap.level?.kind).toBe('no-debt');
    expect(snap.zone).toBe('safe');
    expect(snap.venueStatus).toBeUndefined();
    expect(snap.details[0]?.value).toEqual({
      kind: 'text',
      value: 'INACTIVE — no margin in use (nothing to liquidate; not a danger)',
    });
    expect(snap.balances).toEqual([]);
    expect(snap.warnings).toEqual([]);
  });
});

describe('module description', () => {
  it('one polled channel, GET-only allowlist, 5 s default poll', () => {
    expect(bitso.id).toBe('bitso');
    expect(bitso.channels).toEqual([expect.objectContaining({ id: 'account', cadence: 'poll' })]);
    expect(bitso.restPaths).toEqual([
      'margin_trading/v1alpha/account',
      'margin_trading/v1alpha/currencies',
      'margin_trading/v1alpha/movements',
      'margin_trading/v1alpha/loans',
    ]);
    expect(bitso.defaultPollSeconds).toBe(5);
    const payload: unknown = JSON.parse(fixtureText);
    expect(bitso.normalize('account', payload, ctx)).toEqual(normalizeBitso('account', payload, ctx));
  });
});

describe('zones against the exchange bands (assets / liabilities consistent)', () => {
  it.each([
    ['2.6', '10400.00', 'safe', '0.576923076923'],
    ['1.51', '6040.00', 'safe', '0.271523178808'],
    ['1.5', '6000.00', 'caution', '0.266666666667'],
    ['1.2', '4800.00', 'caution', '0.083333333333'],
    ['1.1', '4400.00', 'caution', '0.000000000000'],
    ['1.09', '4360.00', 'liquidation', '-0.009174311927'],
    ['0.5', '2000.00', 'liquidation', '-1.200000000000'],
  ])('current %s (assets %s / 4000) → %s, cushion %s', (current, assets, zone, cushion) => {
    const p = fixture();
    p.margin_levels.current = current;
    p.margin_figures.total_assets = assets;
    const update = updateOf(p);
    const snap = applyUpdate(undefined, update);
    expect(levelText(snap)).toBe(`${current} "${current}"`);
    expect(snap.zone).toBe(zone);
    expect(snap.cushion?.toFixed(12)).toBe(cushion);
    expect(update.warnings).toBeUndefined();
  });
});

describe('config thresholds', () => {
  it('marginCall overrides safe; maintenance stays from the exchange', () => {
    const snap = snapshotOf(fixture(), { marginCall: dec('3') });
    expect(snap.bands.map((b) => [b.kind, b.threshold.toFixed(), b.label, b.source])).toEqual([
      ['caution', '3', 'marginCall', 'config'],
      ['liquidation', '1.1', 'maintenance', 'exchange'],
    ]);
    expect(snap.zone).toBe('caution');
  });

  it('liquidation override changes the cushion', () => {
    const snap = snapshotOf(fixture(), { liquidation: dec('1.25') });
    expect(snap.bands.map((b) => [b.kind, b.threshold.toFixed(), b.source])).toEqual([
      ['caution', '1.5', 'exchange'],
      ['liquidation', '1.25', 'config'],
    ]);
    expect(snap.cushion?.toFixed()).toBe('0.5');
  });
});

describe('no debt', () => {
  it.each([
    ['"0"', '0'],
    ['"0.00"', '0.00'],
    ['"-0.00"', '-0.00'],
  ])('total_liabilities %s ⇒ no-debt, cushion 1, zone safe', (_label, liabilities) => {
    const p = fixture();
    p.margin_figures.total_liabilities = liabilities;
    p.margin_levels.current = '0';
    const snap = snapshotOf(p);
    expect(snap.level).toEqual({ kind: 'no-debt', text: '0' });
    expect(snap.zone).toBe('safe');
    expect(snap.cushion?.toFixed()).toBe('1');
    expect(snap.totals?.liabilities?.isZero()).toBe(true);
  });

  it.each([
    ['a large ratio', '999999', 'no-debt(999999)'],
    ['an empty string', '', 'no-debt()'],
    ['"Infinity"', 'Infinity', 'no-debt(Infinity)'],
    ['null', null, 'no-debt()'],
    ['nothing', undefined, 'no-debt()'],
    ['a number', 0, 'no-debt()'],
    ['an object', { value: '1' }, 'no-debt()'],
    ['an array', ['2.5'], 'no-debt()'],
  ])('whatever current says (%s)', (_label, current, expected) => {
    const p = fixture();
    p.margin_figures.total_liabilities = '0.00';
    if (current === undefined) delete p.margin_levels.current;
    else p.margin_levels.current = current;
    const snap = snapshotOf(p);
    expect(levelText(snap)).toBe(expected);
    expect(snap.cushion?.toFixed()).toBe('1');
    expect(snap.warnings).toEqual([]);
  });

  it('a numeric current is a type error as soon as there is debt', () => {
    const p = fixture();
    p.margin_figures.total_liabilities = '0.01';
    p.margin_levels.current = 0;
    const e = errorOf(p);
    expect(e.field).toBe('margin_levels.current');
    expect(e.message).toBe('expected a decimal string, got the number 0');
  });
});

describe('statuses', () => {
  it.each([
    ['ACTIVE', 'ACTIVE — funded; margin trading enabled'],
    ['INACTIVE', 'INACTIVE — no margin in use (nothing to liquidate; not a danger)'],
    ['BLOCKED', 'BLOCKED — being liquidated; new orders blocked'],
  ])('%s reads as "%s"', (status, text) => {
    const p = fixture();
    p.status = status;
    if (status === 'INACTIVE') p.margin_figures.total_liabilities = '0.00';
    const update = updateOf(p);
    expect(update.details?.[0]).toEqual({
      key: 'status',
      label: 'Account status',
      value: { kind: 'text', value: text },
    });
    expect(update.warnings).toBeUndefined();
  });

  it("BLOCKED puts the account in Liquidation with Bitso's words, whatever the level", () => {
    const p = fixture();
    p.status = 'BLOCKED';
    const snap = snapshotOf(p);
    expect(levelText(snap)).toBe('2.5 "2.5"');
    expect(snap.zone).toBe('liquidation');
    expect(snap.venueStatus).toEqual({ kind: 'liquidating', text: 'being liquidated by Bitso' });
  });

  it('the v2alpha LIQUIDATING status reads the same way', () => {
    const p = fixture();
    p.status = 'LIQUIDATING';
    expect(snapshotOf(p).zone).toBe('liquidation');
  });

  it('ACTIVE after BLOCKED lifts the venue status: the zone follows the level again', () => {
    const blocked = fixture();
    blocked.status = 'BLOCKED';
    const after = applyUpdate(snapshotOf(blocked), updateOf(fixture()));
    expect(after.zone).toBe('safe');
    expect(after.venueStatus).toBeUndefined();
  });

  it('INACTIVE with liabilities is flagged: the status and the figures disagree', () => {
    const p = fixture();
    p.status = 'INACTIVE';
    const snap = snapshotOf(p);
    expect(snap.zone).toBe('safe');
    expect(snap.warnings).toEqual([
      'Bitso reports the account INACTIVE (no margin in use) but total liabilities are 4000.00',
    ]);
  });

  it('an undocumented status is shown as sent, with a warning', () => {
    const p = fixture();
    p.status = 'FROZEN';
    const update = updateOf(p);
    expect(update.details?.[0]?.value).toEqual({ kind: 'text', value: 'FROZEN — not a documented status' });
    expect(update.warnings).toEqual(['account status "FROZEN" is not documented']);
  });
});

describe('consistency warnings (message still accepted)', () => {
  it('current that disagrees with total_assets / total_liabilities', () => {
    const p = fixture();
    p.margin_levels.current = '3.0';
    const update = updateOf(p);
    expect(update.risk?.level).toEqual({ kind: 'value', value: dec('3.0'), text: '3.0' });
    expect(update.warnings).toEqual([
      'margin level 3.0 disagrees with total assets / total liabilities = 2.5',
    ]);
  });

  it('a truncated or rounded current (within one unit of its last digit) is not flagged', () => {
    const p = fixture();
    p.margin_figures.total_assets = '10001.00';
    p.margin_levels.current = '2.5002';
    expect(updateOf(p).warnings).toBeUndefined();
    p.margin_levels.current = '2.5003';
    expect(updateOf(p).warnings).toBeUndefined();
    p.margin_levels.current = '2.5000';
    expect(updateOf(p).warnings).toEqual([
      'margin level 2.5000 disagrees with total assets / total liabilities = 2.50025',
    ]);
  });

  it('safe below maintenance', () => {
    const p = fixture();
    p.margin_levels.safe = '1.0';
    expect(updateOf(p).warnings).toEqual(['safe level 1.0 is below the maintenance level 1.1']);
  });

  it('negative liabilities', () => {
    const p = fixture();
    p.margin_figures.total_liabilities = '-4000.00';
    p.margin_levels.current = '-2.5';
    const update = updateOf(p);
    expect(update.warnings).toEqual(['total liabilities are negative (-4000.00)']);
    expect(update.risk?.level).toEqual({ kind: 'value', value: dec('-2.5'), text: '-2.5' });
    expect(applyUpdate(undefined, update).cushion).toBeNull();
  });
});

describe('exact values', () => {
  it('negative amounts are kept exactly', () => {
    const p = fixture();
    p.balances = [
      { currency: 'eth', net_amount: '-0.000000000000000001' },
      { currency: 'mxn', net_amount: '-123456789012345678901234.567890' },
    ];
    p.margin_figures.trading_power = '-12.345';
    const update = updateOf(p);
    expect(update.balances?.map((b) => [b.currency, b.net?.toFixed(), b.decimals])).toEqual([
      ['eth', '-0.000000000000000001', 18],
      ['mxn', '-123456789012345678901234.56789', 6],
    ]);
    expect(update.balances?.[1]?.net?.toFixed(6)).toBe('-123456789012345678901234.567890');
    expect(update.details?.[1]?.value).toEqual({
      kind: 'decimal',
      value: dec('-12.345'),
      decimals: 3,
      currency: 'usd',
    });
  });

  it('30-digit values are kept exactly, and the level stays the exchange text', () => {
    const p = fixture();
    p.margin_figures.total_assets = '250000000000000000000000000000.00';
    p.margin_figures.total_liabilities = '100000000000000000000000000000.00';
    p.margin_levels.current = '2.500000000000000000000000000000';
    p.balances = [{ currency: 'btc', net_amount: '123456789012345678901234567890.123456789' }];
    const update = updateOf(p);
    expect(update.risk?.totals?.assets?.toFixed()).toBe('250000000000000000000000000000');
    expect(update.risk?.totals?.liabilities?.toFixed(2)).toBe('100000000000000000000000000000.00');
    expect(update.risk?.level.text).toBe('2.500000000000000000000000000000');
    expect(update.balances?.[0]?.net?.toFixed()).toBe('123456789012345678901234567890.123456789');
    expect(update.balances?.[0]?.decimals).toBe(9);
    expect(update.warnings).toBeUndefined();
    expect(applyUpdate(undefined, update).cushion?.toFixed()).toBe('0.56');
  });

  it('empty balances are an empty list (the account holds nothing), not missing', () => {
    const p = fixture();
    p.balances = [];
    const update = updateOf(p);
    expect(update.balances).toEqual([]);
    expect(update.balancesMode).toBe('replace');
  });
});

describe('extra unknown fields', () => {
  it('are accepted and not passed on', () => {
    const p = fixture();
    p.extra_top = { nested: true };
    p.margin_levels.initial = '1.3';
    p.margin_figures.gross_assets = '11000.00';
    p.balances[0]!.available_amount = '0.1';
    const update = updateOf(p);
    expect(update.details?.map((d) => d.key)).toEqual(['status', 'trading_power']);
    expect(Object.keys(update.balances?.[0] ?? {}).sort()).toEqual(['currency', 'decimals', 'net']);
    expect(update.balances?.[0]?.decimals).toBe(8);
    expect(JSON.stringify(update)).not.toContain('extra_top');
  });
});

describe('unknown channels', () => {
  it.each(['currencies', 'ticker', ''])('channel %j is ignored with a reason', (channel) => {
    const outcome = run(JSON.parse(fixtureText), undefined, channel);
    expect(outcome.kind).toBe('ignored');
    expect(outcome.kind === 'ignored' && outcome.reason).toContain('Bitso has no channel');
  });
});

/** Removes the field at `path` (object keys and array indexes) from a parsed JSON value. */
function deleteAt(root: unknown, path: readonly (string | number)[]): void {
  let node: unknown = root;
  for (const key of path.slice(0, -1)) node = (node as Record<string | number, unknown>)[key];
  Reflect.deleteProperty(node as object, path[path.length - 1]!);
}

describe('bad input: missing fields', () => {
  it.each([
    [['status'], 'status'],
    [['margin_levels'], 'margin_levels'],
    [['margin_levels', 'safe'], 'margin_levels.safe'],
    [['margin_levels', 'maintenance'], 'margin_levels.maintenance'],
    [['margin_levels', 'current'], 'margin_levels.current'],
    [['margin_figures'], 'margin_figures'],
    [['margin_figures', 'currency'], 'margin_figures.currency'],
    [['margin_figures', 'total_assets'], 'margin_figures.total_assets'],
    [['margin_figures', 'total_liabilities'], 'margin_figures.total_liabilities'],
    [['margin_figures', 'trading_power'], 'margin_figures.trading_power'],
    [['balances'], 'balances'],
    [['balances', 1, 'net_amount'], 'balances[1].net_amount'],
    [['balances', 0, 'currency'], 'balances[0].currency'],
  ])('missing %j', (path, field) => {
    const p = fixture();
    deleteAt(p, path);
    const e = errorOf(p);
    expect(e.field).toBe(field);
    expect(e.message).toMatch(/^expected an? [a-z ]+, got nothing \(field missing\)$/);
  });
});

describe('bad input: wrong types', () => {
  it('a number where a decimal string is expected (total_assets)', () => {
    const p = fixture();
    p.margin_figures.total_assets = 10000;
    const e = errorOf(p);
    expect(e.field).toBe('margin_figures.total_assets');
    expect(e.message).toBe('expected a decimal string, got the number 10000');
  });

  it('a number where the level string is expected (current)', () => {
    const p = fixture();
    p.margin_levels.current = 2.5;
    const e = errorOf(p);
    expect(e.field).toBe('margin_levels.current');
    expect(e.message).toBe('expected a decimal string, got the number 2.5');
  });

  it('a number where a balance string is expected (net_amount)', () => {
    const p = fixture();
    p.balances[0]!.net_amount = 0.5;
    const e = errorOf(p);
    expect(e.field).toBe('balances[0].net_amount');
  });

  it('a number where the status text is expected', () => {
    const p = fixture();
    p.status = 1;
    const e = errorOf(p);
    expect(e.field).toBe('status');
    expect(e.message).toBe('expected a string, got the number 1');
  });

  // The Bitso margin body has no numeric fields; "the reverse" is a string where structure is expected.
  it('a string where the balances array is expected', () => {
    const p = fixture();
    p.balances = '[]' as unknown as Record<string, unknown>[];
    const e = errorOf(p);
    expect(e.field).toBe('balances');
    expect(e.message).toBe('expected an array of balances, got the string "[]"');
  });

  it('a string where the margin_levels object is expected', () => {
    const p = fixture() as Record<string, unknown>;
    p.margin_levels = '2.5';
    const e = errorOf(p);
    expect(e.field).toBe('margin_levels');
  });

  it('an empty status string', () => {
    const p = fixture();
    p.status = '';
    expect(errorOf(p).field).toBe('status');
  });
});

describe('bad input: not decimals', () => {
  const cases = ['NaN', '', '1,234.5', '1e5', 'Infinity', ' ', '0x10', '--1'];
  it.each(cases)('total_liabilities %j', (value) => {
    const p = fixture();
    p.margin_figures.total_liabilities = value;
    const e = errorOf(p);
    expect(e.field).toBe('margin_figures.total_liabilities');
    expect(e.message).toBe(`expected a decimal string, got the string ${JSON.stringify(value)}`);
  });

  it.each(cases)('current %j (with debt)', (value) => {
    const p = fixture();
    p.margin_levels.current = value;
    const e = errorOf(p);
    expect(e.field).toBe('margin_levels.current');
    expect(e.message).toBe(`expected a decimal string, got the string ${JSON.stringify(value)}`);
  });

  it.each(cases)('safe %j', (value) => {
    const p = fixture();
    p.margin_levels.safe = value;
    expect(errorOf(p).field).toBe('margin_levels.safe');
  });

  it.each(cases)('net_amount %j', (value) => {
    const p = fixture();
    p.balances[1]!.net_amount = value;
    expect(errorOf(p).field).toBe('balances[1].net_amount');
  });
});

describe('bad input: whole message', () => {
  it('a non-JSON raw text payload (the proxy relays it as text)', () => {
    const e = errorOf('<html><body>502 Bad Gateway</body></html>');
    expect(e.field).toBe('(message)');
    expect(e.message).toBe('not valid JSON (malformed frame)');
  });

  it('the margin error body', () => {
    const e = errorOf({ errors: [{ code: 'invalid_signature', message: 'Signature does not match' }] });
    expect(e.field).toBe('errors');
    expect(e.message).toBe('Bitso answered with an error (invalid_signature: Signature does not match)');
  });

  it("Bitso's documented error envelope", () => {
    const e = errorOf({
      success: false,
      error: { code: '0201', message: 'Invalid Nonce or Invalid Credentials' },
    });
    expect(e.field).toBe('error');
    expect(e.message).toBe('Bitso answered with an error (0201: Invalid Nonce or Invalid Credentials)');
    expect(errorOf({ success: false, error: { message: 'x' } }).field).toBe('error.code');
  });

  it('a malformed error body', () => {
    const e = errorOf({ errors: [] });
    expect(e.field).toBe('errors');
  });

  it('a body without margin_levels (bad schema)', () => {
    const p = fixture() as Record<string, unknown>;
    delete p.margin_levels;
    expect(errorOf(p).field).toBe('margin_levels');
  });

  it.each([
    ['null', null],
    ['42', 42],
    ['an array', []],
    ['an empty object', {}],
    ['true', true],
    ['undefined', undefined],
    ['an empty string', ''],
    ['an array of fixtures', [JSON.parse(fixtureText)]],
    ['a nested null', { status: 'ACTIVE', margin_levels: null, margin_figures: null, balances: null }],
    ['balances with nulls', { ...JSON.parse(fixtureText), balances: [null, 1] }],
  ])('never throws on garbage: %s', (_name, payload) => {
    let outcome: ParseOutcome | undefined;
    expect(() => {
      outcome = run(payload);
    }).not.toThrow();
    expect(outcome?.kind).toBe('error');
    if (outcome?.kind === 'error') {
      expect(outcome.error.exchange).toBe('bitso');
      expect(outcome.error.field).not.toBe('');
    }
  });

  it('never throws even when reading the payload throws', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
        has() {
          throw new Error('boom');
        },
      },
    );
    const outcome = run(hostile);
    expect(outcome.kind).toBe('error');
    if (outcome.kind === 'error') {
      expect(outcome.error.exchange).toBe('bitso');
      expect(outcome.error.field).toBe('(message)');
    }
  });
});

describe('v2alpha shape (UNCONFIRMED; accepted)', () => {
  const v2 = {
    status: 'LIQUIDATING',
    margin_level: {
      current: '1.05',
      initial: '1.40',
      safe: '1.3',
      maintenance: '1.1',
      realized: '1.20',
      unrealized: '1.05',
    },
    margin_figure: {
      currency: 'usd',
      total_assets_amount: '4200.00',
      gross_assets_amount: '4500.00',
      total_liabilities_amount: '4000.00',
      trading_power_amount: '0.00',
    },
    balances: [
      { currency: 'btc', total_amount: '0.07000000', unrealized_amount: '0.069', available_amount: '0.05' },
      {
        currency: 'usd',
        total_amount: '-4000.00',
        unrealized_amount: '-4000.0000',
        available_amount: '-4000.00',
      },
    ],
  };

  it('reads the singular margin_level / margin_figure and the _amount fields', () => {
    const update = updateOf(v2);
    const snap = applyUpdate(undefined, update);
    expect(levelText(snap)).toBe('1.05 "1.05"');
    expect(snap.bands.map((b) => [b.kind, b.threshold.toFixed(), b.label, b.source])).toEqual([
      ['caution', '1.3', 'safe', 'exchange'],
      ['liquidation', '1.1', 'maintenance', 'exchange'],
    ]);
    expect(snap.zone).toBe('liquidation');
    expect(snap.totals?.assets?.toFixed(2)).toBe('4200.00');
    expect(snap.totals?.liabilities?.toFixed(2)).toBe('4000.00');
    expect(update.warnings).toBeUndefined();
  });

  it('balances: total_amount as the total (UNCONFIRMED meaning), available, decimals across the row', () => {
    const update = updateOf(v2);
    expect(
      update.balances?.map((b) => [
        b.currency,
        b.total?.toFixed(b.decimals),
        b.net,
        b.available?.toFixed(),
        b.decimals,
      ]),
    ).toEqual([
      ['btc', '0.07000000', undefined, '0.05', 8],
      ['usd', '-4000.0000', undefined, '-4000', 4],
    ]);
  });

  it('details: status, trading power, initial / realized / unrealized levels, gross assets', () => {
    const update = updateOf(v2);
    expect(
      update.details?.map((d) => [
        d.key,
        d.value.kind === 'text'
          ? d.value.value
          : `${d.value.value.toFixed(d.value.decimals)} ${d.value.currency ?? ''}`,
      ]),
    ).toEqual([
      ['status', 'LIQUIDATING — being liquidated'],
      ['trading_power', '0.00 usd'],
      ['initial_level', '1.40 '],
      ['realized_level', '1.20 '],
      ['unrealized_level', '1.05 '],
      ['gross_assets', '4500.00 usd'],
    ]);
  });

  it('bad v2 fields are named with their v2 path', () => {
    const bad = { ...v2, margin_figure: { ...v2.margin_figure, total_liabilities_amount: 4000 } };
    expect(errorOf(bad).field).toBe('margin_figure.total_liabilities_amount');
    const noCurrent = { ...v2, margin_level: { ...v2.margin_level, current: undefined } };
    expect(errorOf(noCurrent).field).toBe('margin_level.current');
  });
});
