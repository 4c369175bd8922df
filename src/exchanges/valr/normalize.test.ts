import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dec } from '../../domain/decimal.ts';
import type { AccountUpdate, CurrencyBalance, Detail } from '../../domain/model.ts';
import { applyUpdate } from '../../domain/risk.ts';
import type { NormalizeContext, ParseOutcome } from '../types.ts';
import { valr } from './index.ts';
import { marginInfoMessage } from './wire.ts';

const ctx: NormalizeContext = { accountId: 'valr-test', receivedAt: 1_763_630_142_318 };

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as unknown;
}

/** A fresh copy of the documented MARGIN_INFO message, as a plain object that tests can modify. */
function marginInfo(): { type: string; data: Record<string, unknown> } {
  return fixture('margin-info.json') as { type: string; data: Record<string, unknown> };
}

function withData(changes: Record<string, unknown>): unknown {
  const message = marginInfo();
  return { ...message, data: { ...message.data, ...changes } };
}

function withoutField(field: string): unknown {
  const message = marginInfo();
  const data = { ...message.data };
  delete data[field];
  return { ...message, data };
}

function update(outcome: ParseOutcome): AccountUpdate {
  if (outcome.kind !== 'update') throw new Error(`expected an update, got ${JSON.stringify(outcome)}`);
  return outcome.update;
}

function expectError(outcome: ParseOutcome, channel: string, field: string): string {
  expect(outcome.kind).toBe('error');
  if (outcome.kind !== 'error') return '';
  expect(outcome.error.exchange).toBe('valr');
  expect(outcome.error.channel).toBe(channel);
  expect(outcome.error.field).toBe(field);
  expect(outcome.error.message.length).toBeGreaterThan(0);
  return outcome.error.message;
}

function decimalDetail(details: readonly Detail[] | undefined, key: string) {
  const detail = details?.find((d) => d.key === key);
  if (!detail || detail.value.kind !== 'decimal') throw new Error(`no decimal detail ${key}`);
  return { label: detail.label, ...detail.value, text: detail.value.value.toFixed() };
}

function row(balances: readonly CurrencyBalance[] | undefined, currency: string) {
  const found = balances?.find((b) => b.currency === currency);
  if (!found) throw new Error(`no ${currency} row`);
  return found;
}

const account = (payload: unknown, c: NormalizeContext = ctx) => valr.normalize('account', payload, c);
const balances = (payload: unknown) => valr.normalize('balances', payload, ctx);

describe('valr module', () => {
  it('declares its channels, unit and read-only REST paths', () => {
    expect(valr.id).toBe('valr');
    expect(valr.unit).toEqual({ name: 'Margin fraction', kind: 'fraction' });
    expect(valr.channels.map((c) => [c.id, c.cadence])).toEqual([
      ['account', 5000],
      ['balances', 'poll'],
      ['account-status', 'poll'],
    ]);
    expect(valr.restPaths).toEqual(['v1/account/balances', 'v2/margin/status', 'v1/margin/account/status']);
    expect(valr.defaultPollSeconds).toBe(15);
  });
});

describe('valr MARGIN_INFO fixture (doc example)', () => {
  const result = update(account(fixture('margin-info.json')));
  const snapshot = applyUpdate(undefined, result);

  it('keeps the margin fraction exactly as sent', () => {
    expect(result.accountId).toBe('valr-test');
    expect(result.exchange).toBe('valr');
    expect(result.channel).toBe('account');
    expect(result.time).toBe(ctx.receivedAt);
    const level = result.risk?.level;
    expect(level?.kind).toBe('value');
    if (level?.kind !== 'value') return;
    expect(level.text).toBe('1.90363696');
    expect(level.value.toFixed()).toBe('1.90363696');
    expect(result.risk?.unit).toEqual({ name: 'Margin fraction', kind: 'fraction' });
  });

  it('takes all three bands from the exchange', () => {
    expect(result.risk?.bands.map((b) => [b.kind, b.threshold.toFixed(), b.label, b.source])).toEqual([
      ['caution', '0.098837526', 'initialMarginFraction', 'exchange'],
      ['liquidation', '0.047995245', 'maintenanceMarginFraction', 'exchange'],
      ['takeover', '0.017056799', 'autoCloseMarginFraction', 'exchange'],
    ]);
  });

  it('is safe with a cushion of 1 − 0.047995245 / 1.90363696', () => {
    expect(snapshot.zone).toBe('safe');
    const cushion = snapshot.cushion;
    expect(cushion).not.toBeNull();
    if (!cushion) return;
    // Worked by hand: 0.047995245 / 1.90363696 = 0.02521239396…, so the cushion is 0.97478760603…
    expect(cushion.toFixed(10)).toBe('0.9747876060');
    // All 64 significant digits (the quotient rounded to 64 digits, then 1 − it, rounded to 64 digits).
    expect(cushion.toFixed()).toBe('0.974787606035974422349942186455551903131782017932662959012941207');
    expect(cushion.eq(dec('1').minus(dec('0.047995245').div(dec('1.90363696'))))).toBe(true);
  });

  it('reports totals in the reference currency', () => {
    const totals = result.risk?.totals;
    expect(totals?.currency).toBe('USDC');
    expect(totals?.assets?.toFixed()).toBe('151.809292840675');
    expect(totals?.liabilities?.toFixed()).toBe('78.102048768');
    expect(totals?.equity).toBeUndefined();
    expect(totals?.decimals).toBe(12);
  });

  it.each([
    ['leverageMultiple', 'Leverage', '0.53', 2, undefined],
    ['totalLeveragedExposureInReference', 'Leveraged exposure', '478.041761878', 9, 'USDC'],
    ['totalUnrealisedFuturesPnlInReference', 'Unrealised futures PnL', '-26.45828977', 8, 'USDC'],
    ['totalBorrowedInReference', 'Borrowed', '78.102048768', 9, 'USDC'],
    ['availableInReference', 'Available', '862.76900859039', 11, 'USDC'],
    ['initialRequiredInReference', 'Initial margin required', '151.808803678845', 12, 'USDC'],
    ['tradeReservedInReference', 'Reserved for trading', '0', 0, 'USDC'],
    ['totalPositionsAtEntryInReference', 'Positions at entry', '373.48142334', 8, 'USDC'],
    ['collateralizedMarginFraction', 'Collateralized margin fraction', '0.09883855', 8, undefined],
  ])('detail %s = %s', (key, label, text, decimals, currency) => {
    const detail = decimalDetail(result.details, key);
    expect(detail.label).toBe(label);
    expect(detail.text).toBe(text);
    expect(detail.decimals).toBe(decimals);
    expect(detail.currency).toBe(currency);
  });

  it('carries exactly those nine details and no warnings', () => {
    expect(result.details).toHaveLength(9);
    expect(result.warnings).toBeUndefined();
    expect(result.balances).toBeUndefined();
  });
});

describe('valr balances fixture (constructed from the documented field list)', () => {
  const result = update(balances(fixture('balances-constructed.json')));

  it('replaces the whole list, in the order sent', () => {
    expect(result.channel).toBe('balances');
    expect(result.balancesMode).toBe('replace');
    expect(result.risk).toBeUndefined();
    expect(result.time).toBe(ctx.receivedAt);
    expect(result.balances?.map((b) => b.currency)).toEqual(['USDC', 'BTC', 'ETH']);
  });

  it.each([
    ['USDC', '875.26900859', '862.76900859', '12.5', '0', '875.26900859', 8],
    ['BTC', '-0.00083015', '0', '0', '0.00083015', '-0.00083015', 8],
    ['ETH', '0.0521', '0.0421', '0.01', undefined, '0.0521', 4],
  ])(
    '%s: total %s, available %s, locked %s, borrowed %s, net %s',
    (cur, total, avail, locked, borrowed, net, d) => {
      const b = row(result.balances, cur);
      expect(b.total?.toFixed()).toBe(total);
      expect(b.available?.toFixed()).toBe(avail);
      expect(b.locked?.toFixed()).toBe(locked);
      expect(b.borrowed?.toFixed()).toBe(borrowed);
      expect(b.net?.toFixed()).toBe(net);
      expect(b.interest).toBeUndefined();
      expect(b.decimals).toBe(d);
    },
  );
});

describe('valr zones and config thresholds', () => {
  it.each([
    ['0.4', 'safe'],
    ['0.098837527', 'safe'],
    ['0.098837526', 'caution'],
    ['0.05', 'caution'],
    ['0.047995245', 'caution'],
    ['0.047995244', 'liquidation'],
    ['0.017056799', 'liquidation'],
    ['0.017056798', 'takeover'],
    ['0', 'takeover'],
    ['-0.1', 'takeover'],
  ])('marginFraction %s is %s', (fraction, zone) => {
    const snapshot = applyUpdate(undefined, update(account(withData({ marginFraction: fraction }))));
    expect(snapshot.zone).toBe(zone);
  });

  it('lets config override the exchange bands (config wins, labelled as config)', () => {
    const overrides: NormalizeContext = {
      ...ctx,
      thresholds: { marginCall: dec('2.5'), liquidation: dec('1') },
    };
    const result = update(account(fixture('margin-info.json'), overrides));
    expect(result.risk?.bands.map((b) => [b.kind, b.threshold.toFixed(), b.label, b.source])).toEqual([
      ['caution', '2.5', 'marginCall', 'config'],
      ['liquidation', '1', 'liquidation', 'config'],
      ['takeover', '0.017056799', 'autoCloseMarginFraction', 'exchange'],
    ]);
    const snapshot = applyUpdate(undefined, result);
    expect(snapshot.zone).toBe('caution');
    // 1 − 1 / 1.90363696 = 0.47468975387…
    expect(snapshot.cushion?.toFixed(8)).toBe('0.47468975');
  });

  it('has no cushion (never Infinity) when the fraction is zero with exposure', () => {
    const snapshot = applyUpdate(undefined, update(account(withData({ marginFraction: '0' }))));
    expect(snapshot.cushion).toBeNull();
  });
});

describe('valr no exposure', () => {
  it('reads a zero leveraged exposure as no debt, cushion 1', () => {
    const result = update(
      account(
        withData({
          marginFraction: '0',
          totalLeveragedExposureInReference: '0',
          totalBorrowedInReference: '0',
          collateralizedMarginFraction: '0',
          leverageMultiple: 0,
        }),
      ),
    );
    expect(result.risk?.level).toEqual({ kind: 'no-debt', text: '0' });
    const snapshot = applyUpdate(undefined, result);
    expect(snapshot.zone).toBe('safe');
    expect(snapshot.cushion?.toFixed()).toBe('1');
    expect(result.warnings).toBeUndefined();
    expect(decimalDetail(result.details, 'leverageMultiple').text).toBe('0');
  });

  it('treats a written zero ("0.00000000") exposure the same way and keeps the text', () => {
    const result = update(
      account(withData({ totalLeveragedExposureInReference: '0.00000000', totalBorrowedInReference: '0' })),
    );
    expect(result.risk?.level).toEqual({ kind: 'no-debt', text: '1.90363696' });
  });

  it('warns when it reports borrowing without exposure', () => {
    const result = update(account(withData({ totalLeveragedExposureInReference: '0' })));
    expect(result.risk?.level.kind).toBe('no-debt');
    expect(result.warnings).toEqual(['VALR reports no leveraged exposure but 78.102048768 USDC borrowed']);
  });
});

describe('valr warnings', () => {
  it('flags margin fractions that are out of order but still shows them', () => {
    const result = update(account(withData({ maintenanceMarginFraction: '0.2' })));
    expect(result.warnings).toEqual([
      'VALR margin fractions out of order: initial 0.098837526, maintenance 0.2, auto-close 0.017056799',
    ]);
    expect(result.risk?.bands.find((b) => b.kind === 'liquidation')?.threshold.toFixed()).toBe('0.2');
  });
});

describe('valr leverageMultiple (the one JSON number)', () => {
  it.each([
    [0.53, '0.53', 2],
    [2, '2', 0],
    [0.1 + 0.2, '0.30000000000000004', 17],
    [1e-7, '0.0000001', 7],
    [12.5, '12.5', 1],
  ])('%s reads as %s', (n, text, decimals) => {
    const detail = decimalDetail(
      update(account(withData({ leverageMultiple: n }))).details,
      'leverageMultiple',
    );
    expect(detail.text).toBe(text);
    expect(detail.decimals).toBe(decimals);
  });

  it.each([
    ['a string', '0.53', 'expected a number, got the string "0.53"'],
    ['Infinity', Number.POSITIVE_INFINITY, 'expected a finite number, got the number Infinity'],
    ['NaN', Number.NaN, 'expected a finite number, got the number NaN'],
    ['null', null, 'expected a number, got null'],
  ])('rejects %s', (_name, value, message) => {
    const text = expectError(
      account(withData({ leverageMultiple: value })),
      'account',
      'data.leverageMultiple',
    );
    if (message) expect(text).toBe(message);
  });

  it('rejects a missing leverageMultiple', () => {
    expectError(account(withoutField('leverageMultiple')), 'account', 'data.leverageMultiple');
  });
});

describe('valr MARGIN_INFO bad input', () => {
  const stringFields = [
    'marginFraction',
    'collateralizedMarginFraction',
    'initialMarginFraction',
    'totalLeveragedExposureInReference',
    'collateralizedBalancesInReference',
    'referenceCurrency',
    'initialRequiredInReference',
    'availableInReference',
    'maintenanceMarginFraction',
    'autoCloseMarginFraction',
    'totalPositionsAtEntryInReference',
    'totalUnrealisedFuturesPnlInReference',
    'totalBorrowedInReference',
    'tradeReservedInReference',
  ];

  it.each(stringFields)('rejects a missing %s', (field) => {
    const message = expectError(account(withoutField(field)), 'account', `data.${field}`);
    expect(message).toContain('nothing (field missing)');
  });

  it.each(stringFields.filter((f) => f !== 'referenceCurrency'))('rejects %s sent as a number', (field) => {
    const message = expectError(account(withData({ [field]: 1.5 })), 'account', `data.${field}`);
    expect(message).toBe('expected a decimal string, got the number 1.5');
  });

  it.each([
    ['NaN', 'the string "NaN"'],
    ['', 'the string ""'],
    ['1,234.5', 'the string "1,234.5"'],
    ['1e-3', 'the string "1e-3"'],
    ['Infinity', 'the string "Infinity"'],
  ])('rejects marginFraction %j', (text, found) => {
    const message = expectError(
      account(withData({ marginFraction: text })),
      'account',
      'data.marginFraction',
    );
    expect(message).toBe(`expected a decimal string, got ${found}`);
  });

  it('rejects an empty referenceCurrency', () => {
    expectError(account(withData({ referenceCurrency: '' })), 'account', 'data.referenceCurrency');
  });

  it('rejects a MARGIN_INFO without data', () => {
    expectError(account({ type: 'MARGIN_INFO' }), 'account', 'data');
  });

  it('rejects data that is an array', () => {
    expectError(account({ type: 'MARGIN_INFO', data: [] }), 'account', 'data');
  });

  it('rejects a message without a type', () => {
    const message = marginInfo();
    expectError(account({ data: message.data }), 'account', 'type');
  });

  it('rejects a type that is not a string', () => {
    expectError(account({ type: 7, data: {} }), 'account', 'type');
  });

  it('rejects a raw text frame (not JSON)', () => {
    const message = expectError(account('{"type":"MARGIN_INFO","data":{'), 'account', '(message)');
    expect(message).toContain('not valid JSON');
  });
});

describe('valr extra fields', () => {
  it('accepts unknown fields and does not pass them on', () => {
    const message = {
      ...marginInfo(),
      seq: 4,
      data: { ...marginInfo().data, somethingNew: 'x', nested: { a: 1 } },
    };
    expect(account(message).kind).toBe('update');
    const parsed = marginInfoMessage.parse(message);
    expect(Object.keys(parsed)).toEqual(['type', 'data']);
    expect('somethingNew' in parsed.data).toBe(false);
    expect(Object.keys(parsed.data)).toHaveLength(15);
  });

  it('accepts unknown fields on balance rows', () => {
    const result = update(
      balances([{ currency: 'ZAR', available: '1', reserved: '0', total: '1', updatedAt: 'x', extra: true }]),
    );
    expect(row(result.balances, 'ZAR').total?.toFixed()).toBe('1');
  });
});

describe('valr other account events', () => {
  it.each([
    [{ type: 'AUTHENTICATED' }],
    [{ type: 'PONG' }],
    [
      {
        type: 'BALANCE_UPDATE',
        data: { currency: { symbol: 'BTC' }, available: '1', reserved: '0', total: '1' },
      },
    ],
    [{ type: 'OPEN_ORDERS_UPDATE', data: [] }],
    [{ type: 'LEVERAGE_UPDATED', data: { leverageMultiple: 5 } }],
    [{ type: 'SOMETHING_NEW' }],
  ])('ignores %j with a reason', (payload) => {
    const outcome = account(payload);
    expect(outcome.kind).toBe('ignored');
    if (outcome.kind === 'ignored')
      expect(outcome.reason).toBe(`VALR ${payload.type} message carries no margin figures`);
  });
});

describe('valr big and negative values', () => {
  it('keeps 30-digit and negative figures exact', () => {
    const big = '123456789012345678901234.567891';
    const negative = '-987654321098765432109876.543210';
    const result = update(
      account(
        withData({
          collateralizedBalancesInReference: big,
          totalUnrealisedFuturesPnlInReference: negative,
          totalBorrowedInReference: '999999999999999999999999.999999',
          marginFraction: '-0.000000000000000000000000000001',
        }),
      ),
    );
    expect(result.risk?.totals?.assets?.toFixed()).toBe(big);
    expect(result.risk?.totals?.liabilities?.toFixed()).toBe('999999999999999999999999.999999');
    expect(decimalDetail(result.details, 'totalUnrealisedFuturesPnlInReference').text).toBe(
      '-987654321098765432109876.54321',
    );
    expect(decimalDetail(result.details, 'totalUnrealisedFuturesPnlInReference').decimals).toBe(6);
    const level = result.risk?.level;
    expect(level?.text).toBe('-0.000000000000000000000000000001');
    expect(level?.kind === 'value' && level.value.toFixed()).toBe('-0.000000000000000000000000000001');
    expect(applyUpdate(undefined, result).zone).toBe('takeover');
    expect(applyUpdate(undefined, result).cushion).toBeNull();
  });

  it('keeps 30-digit and negative balances exact', () => {
    const result = update(
      balances([
        {
          currency: 'USDT',
          available: '123456789012345678901234.567891',
          reserved: '0.000000000000000000000000000001',
          total: '-123456789012345678901234.567891',
          updatedAt: '2026-11-20T09:15:42.318Z',
          borrowedAmount: '246913578024691357802469.135782',
        },
      ]),
    );
    const b = row(result.balances, 'USDT');
    expect(b.available?.toFixed()).toBe('123456789012345678901234.567891');
    expect(b.locked?.toFixed()).toBe('0.000000000000000000000000000001');
    expect(b.total?.toFixed()).toBe('-123456789012345678901234.567891');
    expect(b.net?.toFixed()).toBe('-123456789012345678901234.567891');
    expect(b.borrowed?.toFixed()).toBe('246913578024691357802469.135782');
    expect(b.decimals).toBe(30);
  });
});

describe('valr balances bad input', () => {
  const good = { currency: 'BTC', available: '0.1', reserved: '0', total: '0.1', updatedAt: 'x' };

  it('accepts an empty list (no balances)', () => {
    const result = update(balances([]));
    expect(result.balances).toEqual([]);
    expect(result.balancesMode).toBe('replace');
  });

  it.each(['currency', 'available', 'reserved', 'total', 'updatedAt'])(
    'rejects a row without %s',
    (field) => {
      const broken: Record<string, unknown> = { ...good };
      delete broken[field];
      expectError(balances([good, broken]), 'balances', `[1].${field}`);
    },
  );

  it('rejects a number where a decimal string is expected', () => {
    const message = expectError(balances([{ ...good, total: 0.1 }]), 'balances', '[0].total');
    expect(message).toBe('expected a decimal string, got the number 0.1');
  });

  it('rejects a string where an object is expected', () => {
    expectError(balances(['BTC']), 'balances', '[0]');
  });

  it.each(['NaN', '', '1,234.5'])('rejects available %j', (text) => {
    expectError(balances([{ ...good, available: text }]), 'balances', '[0].available');
  });

  it('rejects a bad optional field when present', () => {
    expectError(balances([{ ...good, borrowedAmount: 'NaN' }]), 'balances', '[0].borrowedAmount');
    expectError(balances([{ ...good, lendReserved: 3 }]), 'balances', '[0].lendReserved');
  });

  it('rejects an object where the list is expected', () => {
    const message = expectError(
      balances({ code: -11252, message: 'API Key or Secret is invalid' }),
      'balances',
      '(message)',
    );
    expect(message).toBe('expected an array of balances, got object');
  });

  it('rejects a raw text body', () => {
    expectError(balances('<html>502 Bad Gateway</html>'), 'balances', '(message)');
  });
});

describe('valr margin account status (GET /v1/margin/account/status)', () => {
  const accountStatus = (payload: unknown) => valr.normalize('account-status', payload, ctx);
  const statusFixture = () => fixture('account-status-constructed.json') as Record<string, unknown>;
  const liquidating = () => ({ ...statusFixture(), inLiquidation: true });

  it('not in liquidation: lifts any venue status and shows the flags', () => {
    const u = update(accountStatus(statusFixture()));
    expect(u.channel).toBe('account-status');
    expect(u.risk).toBeUndefined();
    expect(u.venueStatus).toBeNull();
    expect(u.details?.map((d) => [d.label, d.value.kind === 'text' ? d.value.value : ''])).toEqual([
      ['In liquidation', 'no'],
      ['Margin enabled', 'yes'],
      ['Futures enabled', 'no'],
    ]);
  });

  it('inLiquidation: true puts a safe-looking account in Liquidation, being liquidated by VALR', () => {
    const safe = applyUpdate(undefined, update(account(withData({ marginFraction: '0.5' }))));
    expect(safe.zone).toBe('safe');
    const after = applyUpdate(safe, update(accountStatus(liquidating())));
    expect(after.zone).toBe('liquidation');
    expect(after.venueStatus).toEqual({ kind: 'liquidating', text: 'being liquidated by VALR' });
    expect(after.level).toEqual(safe.level);
    // The next MARGIN_INFO does not undo VALR's word; the next status poll does.
    const pushed = applyUpdate(after, update(account(withData({ marginFraction: '0.5' }))));
    expect(pushed.zone).toBe('liquidation');
    expect(applyUpdate(pushed, update(accountStatus(statusFixture()))).zone).toBe('safe');
  });

  it('accepts extra fields and missing optional flags', () => {
    const u = update(accountStatus({ inLiquidation: true, somethingNew: 'x' }));
    expect(u.venueStatus?.text).toBe('being liquidated by VALR');
    expect(u.details).toHaveLength(1);
  });

  it.each([
    ['a missing inLiquidation', { marginEnabled: true }, 'inLiquidation'],
    ['a string flag', { inLiquidation: 'true' }, 'inLiquidation'],
    ['a non-boolean optional flag', { inLiquidation: false, marginEnabled: 1 }, 'marginEnabled'],
    ['an array', [], '(message)'],
    ['raw text', '<html>502</html>', '(message)'],
  ])('rejects %s', (_label, payload, field) => {
    expectError(accountStatus(payload), 'account-status', field);
  });
});

describe('valr normalize never throws', () => {
  const garbage: unknown[] = [
    null,
    undefined,
    42,
    0,
    true,
    [],
    {},
    '',
    'PONG',
    [null],
    [[]],
    { type: null },
    { type: 'MARGIN_INFO', data: null },
    { type: 'MARGIN_INFO', data: 'x' },
    { type: 'MARGIN_INFO', data: { marginFraction: {} } },
    Object.create(null) as unknown,
    new Date(0),
    Symbol('x'),
    () => 1,
    10n,
  ];

  it.each(garbage.map((g, i) => [i, g] as const))('garbage #%i on every channel', (_i, payload) => {
    for (const channel of ['account', 'balances', 'account-status']) {
      let outcome: ParseOutcome | undefined;
      expect(() => {
        outcome = valr.normalize(channel, payload, ctx);
      }).not.toThrow();
      const emptyList = channel === 'balances' && Array.isArray(payload) && payload.length === 0;
      expect(outcome?.kind).toBe(emptyList ? 'update' : 'error');
      if (outcome?.kind === 'error') expect(outcome.error.exchange).toBe('valr');
    }
  });

  it('a getter that throws is reported, not thrown', () => {
    const hostile = {
      type: 'MARGIN_INFO',
      get data(): unknown {
        throw new Error('boom');
      },
    };
    const outcome = valr.normalize('account', hostile, ctx);
    expectError(outcome, 'account', '(message)');
  });

  it('ignores an unknown channel (the caller counts it)', () => {
    expect(valr.normalize('trades', marginInfo(), ctx)).toEqual({
      kind: 'ignored',
      reason: 'VALR has no channel "trades"',
    });
  });
});
