import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dec } from '../../domain/decimal.ts';
import type { AccountUpdate, CurrencyBalance, Detail } from '../../domain/model.ts';
import { applyUpdate } from '../../domain/risk.ts';
import type { NormalizeContext, ParseOutcome, WireError } from '../types.ts';
import { bitopro } from './index.ts';
import { ACCOUNT_INFO_CHANNEL, BALANCES_CHANNEL, normalizeBitopro } from './normalize.ts';

type Json = Record<string, unknown>;

function fixture(name: string): Json {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as Json;
}
const wsFixture = (): Json => fixture('ws-margin-account-info.json');
const restFixture = (): Json => fixture('rest-margin-balances.json');

const RECEIVED_AT = 1_750_000_000_000;
const thresholds = { marginCall: dec('1.5'), liquidation: dec('1.1') };
const ctx: NormalizeContext = { accountId: 'bitopro-main', receivedAt: RECEIVED_AT, thresholds };
const ctxNoThresholds: NormalizeContext = { accountId: 'bitopro-main', receivedAt: RECEIVED_AT };

/** Returns a deep copy of `obj` with the value at `path` replaced (or removed when `value` is REMOVE). */
const REMOVE = Symbol('remove');
function edit(obj: Json, path: readonly string[], value: unknown): Json {
  const copy = structuredClone(obj);
  let node: Json = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Json;
  const last = path[path.length - 1] ?? '';
  if (value === REMOVE) delete node[last];
  else node[last] = value;
  return copy;
}

function update(outcome: ParseOutcome): AccountUpdate {
  if (outcome.kind !== 'update') throw new Error(`expected an update, got ${JSON.stringify(outcome)}`);
  return outcome.update;
}

function failure(outcome: ParseOutcome): WireError {
  if (outcome.kind !== 'error') throw new Error(`expected an error, got ${outcome.kind}`);
  return outcome.error;
}

function ws(payload: unknown, context: NormalizeContext = ctx): ParseOutcome {
  return bitopro.normalize(ACCOUNT_INFO_CHANNEL, payload, context);
}
function rest(payload: unknown, context: NormalizeContext = ctx): ParseOutcome {
  return bitopro.normalize(BALANCES_CHANNEL, payload, context);
}

/** Balance rows as exact strings with the row's decimals, for whole-row comparison. */
function rows(
  balances: readonly CurrencyBalance[] | undefined,
): Record<string, Record<string, string | number>> {
  const out: Record<string, Record<string, string | number>> = {};
  for (const b of balances ?? []) {
    const row: Record<string, string | number> = { decimals: b.decimals };
    for (const key of ['total', 'available', 'locked', 'borrowed', 'interest', 'net'] as const) {
      const value = b[key];
      if (value !== undefined) row[key] = value.toFixed(b.decimals);
    }
    out[b.currency] = row;
  }
  return out;
}

function detailTexts(details: readonly Detail[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of details ?? []) {
    out[d.key] =
      d.value.kind === 'text' ? `${d.label}: ${d.value.value}` : `${d.label}: ${d.value.value.toFixed()}`;
  }
  return out;
}

describe('bitopro module', () => {
  it('describes channels, unit and read-only REST paths', () => {
    expect(bitopro.id).toBe('bitopro');
    expect(bitopro.name).toBe('BitoPro');
    expect(bitopro.unit).toEqual({ name: 'AD ratio', kind: 'ratio' });
    expect(bitopro.channels.map((c) => [c.id, c.cadence])).toEqual([
      ['account-info', 30_000],
      ['balances', 'poll'],
    ]);
    expect(bitopro.restPaths).toEqual(['margin/balances', 'margin/mark-price', 'margin/provisioning/borrow']);
    expect(bitopro.defaultPollSeconds).toBe(15);
  });
});

describe('fixture: WS MARGIN_BALANCE_INFO (doc example)', () => {
  const u = update(ws(wsFixture()));

  it('is an update for the account on the account-info channel, timed by when the proxy received it', () => {
    expect(u.accountId).toBe('bitopro-main');
    expect(u.exchange).toBe('bitopro');
    expect(u.channel).toBe('account-info');
    // Not the push's own timestamp (1721381296166): "As of" and every age are on the proxy's clock.
    expect(u.time).toBe(RECEIVED_AT);
    expect(u.details?.find((d) => d.key === 'pushedAt')?.value).toEqual({
      kind: 'text',
      value: '2024-07-19 09:28:16 UTC',
    });
  });

  it('level is adRatio as sent', () => {
    const level = u.risk?.level;
    expect(level?.kind).toBe('value');
    if (level?.kind !== 'value') return;
    expect(level.text).toBe('55.70');
    expect(level.value.eq(dec('55.7'))).toBe(true);
    expect(u.risk?.unit).toEqual({ name: 'AD ratio', kind: 'ratio' });
  });

  it('agrees with assets/debt truncated to 2 dp (rounding would give 55.71): no warning', () => {
    expect(u.warnings).toBeUndefined();
  });

  it('bands come only from the config thresholds', () => {
    expect(u.risk?.bands.map((b) => [b.kind, b.threshold.toFixed(), b.label, b.source])).toEqual([
      ['caution', '1.5', 'marginCall', 'config'],
      ['liquidation', '1.1', 'liquidation', 'config'],
    ]);
  });

  it('totals in the calculation unit', () => {
    const totals = u.risk?.totals;
    expect(totals?.currency).toBe('USDT');
    expect(totals?.decimals).toBe(8);
    expect(totals?.assets?.toFixed(8)).toBe('7134740.15231776');
    expect(totals?.liabilities?.toFixed(8)).toBe('128079.84498910');
    expect(totals?.equity).toBeUndefined();
  });

  it('balances carry only borrowed and interest, merged into known rows', () => {
    expect(u.balancesMode).toBe('merge');
    expect(rows(u.balances)).toEqual({
      BTC: { decimals: 8, borrowed: '2.00008624', interest: '0.00242282' },
      ETH: { decimals: 8, borrowed: '0.00000000', interest: '0.00000000' },
      USDT: { decimals: 8, borrowed: '14.00078403', interest: '0.00038376' },
    });
  });

  it('details: label, ids, statuses, unit and action', () => {
    expect(detailTexts(u.details)).toEqual({
      adRatioLabel: 'AD-ratio label: SAFETY_THRESHOLD',
      accountID: 'Account ID: 5411716254',
      accountStatus: 'Account status: 1',
      marginStatus: 'Margin status: 1',
      calculateUnit: 'Calculation unit: USDT',
      action: 'Last push action: MARGIN_INIT',
      pushedAt: 'Pushed by BitoPro at: 2024-07-19 09:28:16 UTC',
    });
  });

  it('snapshot: safe zone and exact cushion 1 − 1.1/55.70', () => {
    const snap = applyUpdate(undefined, u);
    expect(snap.zone).toBe('safe');
    expect(snap.cushion?.toFixed()).toBe(
      '0.9802513464991023339317773788150807899461400359066427289048473968',
    );
  });

  it('without config thresholds: no bands, zone unknown, no cushion', () => {
    const plain = update(ws(wsFixture(), ctxNoThresholds));
    expect(plain.risk?.bands).toEqual([]);
    const snap = applyUpdate(undefined, plain);
    expect(snap.zone).toBe('unknown');
    expect(snap.cushion).toBeNull();
  });
});

describe('fixture: REST GET /margin/balances (doc example)', () => {
  const u = update(rest(restFixture()));

  it('is an update on the balances channel stamped with the receive time', () => {
    expect(u.accountId).toBe('bitopro-main');
    expect(u.exchange).toBe('bitopro');
    expect(u.channel).toBe('balances');
    expect(u.time).toBe(RECEIVED_AT);
  });

  it('level is adRatio as sent and agrees with assets/debt truncated', () => {
    const level = u.risk?.level;
    expect(level).toMatchObject({ kind: 'value', text: '5.76' });
    if (level?.kind === 'value') expect(level.value.toFixed()).toBe('5.76');
    expect(u.warnings).toBeUndefined();
  });

  it('bands, totals and details', () => {
    expect(u.risk?.bands.map((b) => [b.kind, b.threshold.toFixed(), b.source])).toEqual([
      ['caution', '1.5', 'config'],
      ['liquidation', '1.1', 'config'],
    ]);
    expect(u.risk?.totals?.currency).toBe('USDT');
    expect(u.risk?.totals?.decimals).toBe(8);
    expect(u.risk?.totals?.assets?.toFixed(8)).toBe('748279.60832069');
    expect(u.risk?.totals?.liabilities?.toFixed(8)).toBe('129823.00462234');
    expect(detailTexts(u.details)).toEqual({
      adRatioLabel: 'AD-ratio label: SAFETY_THRESHOLD',
      accountID: 'Account ID: 5411716254',
      accountStatus: 'Account status: 1',
      marginStatus: 'Margin status: 1',
      calculateUnit: 'Calculation unit: USDT',
    });
  });

  it('every balance field, net = total − borrowed − interest', () => {
    expect(u.balancesMode).toBe('replace');
    expect(rows(u.balances)).toEqual({
      BTC: {
        decimals: 8,
        total: '9.99990000',
        available: '9.99990000',
        locked: '0.00000000',
        borrowed: '2.00008624',
        interest: '0.00236786',
        net: '7.99744590',
      },
      ETH: {
        decimals: 8,
        total: '0.00000000',
        available: '0.00000000',
        locked: '0.00000000',
        borrowed: '0.00000000',
        interest: '0.00000000',
        net: '0.00000000',
      },
      USDT: {
        decimals: 8,
        total: '100041.50010000',
        available: '100041.50010000',
        locked: '0.00000000',
        borrowed: '15.00078403',
        interest: '0.00000000',
        net: '100026.49931597',
      },
    });
  });

  it('snapshot: safe zone and exact cushion 1 − 1.1/5.76', () => {
    const snap = applyUpdate(undefined, u);
    expect(snap.zone).toBe('safe');
    expect(snap.cushion?.toFixed()).toBe(
      '0.8090277777777777777777777777777777777777777777777777777777777778',
    );
  });

  it('a WS push after the REST answer merges borrowed/interest into the full rows', () => {
    const snap = applyUpdate(applyUpdate(undefined, u), update(ws(wsFixture())));
    const btc = snap.balances?.find((b) => b.currency === 'BTC');
    expect(btc?.total?.toFixed(8)).toBe('9.99990000');
    expect(btc?.borrowed?.toFixed(8)).toBe('2.00008624');
    expect(btc?.interest?.toFixed(8)).toBe('0.00242282');
    const level = snap.level;
    expect(level?.kind === 'value' ? level.text : null).toBe('55.70');
  });
});

describe('zones from config thresholds', () => {
  // assets/debt chosen so that adRatio is consistent: 1300/1000 = 1.30, 1000/1000 = 1.00, 1500/1000 = 1.50.
  const cases = [
    {
      adRatio: '1.30',
      assets: '1300',
      zone: 'caution',
      cushion: '0.1538461538461538461538461538461538461538461538461538461538461538',
    },
    { adRatio: '1.00', assets: '1000', zone: 'liquidation', cushion: '-0.1' },
    {
      adRatio: '1.50',
      assets: '1500',
      zone: 'caution',
      cushion: '0.2666666666666666666666666666666666666666666666666666666666666667',
    },
    {
      adRatio: '1.51',
      assets: '1510',
      zone: 'safe',
      cushion: '0.2715231788079470198675496688741721854304635761589403973509933775',
    },
  ];
  it.each(cases)('adRatio $adRatio ⇒ $zone', ({ adRatio, assets, zone, cushion }) => {
    let msg = edit(wsFixture(), ['data', 'adRatio'], adRatio);
    msg = edit(msg, ['data', 'totalAssetAmount'], assets);
    msg = edit(msg, ['data', 'totalDebtAmount'], '1000');
    const u = update(ws(msg));
    expect(u.warnings).toBeUndefined();
    const snap = applyUpdate(undefined, u);
    expect(snap.zone).toBe(zone);
    expect(snap.cushion?.toFixed()).toBe(cushion);
  });
});

describe('AD ratio consistency check', () => {
  it('a rounded instead of truncated adRatio is kept but flagged', () => {
    const u = update(ws(edit(wsFixture(), ['data', 'adRatio'], '55.71')));
    const level = u.risk?.level;
    expect(level?.kind === 'value' ? level.value.toFixed() : null).toBe('55.71');
    expect(u.warnings).toEqual([
      'adRatio 55.71 disagrees with totalAssetAmount / totalDebtAmount (7134740.15231776 / 128079.84498910 = 55.70, truncated to 2 decimals)',
    ]);
  });

  it('a REST adRatio far from assets/debt is flagged', () => {
    const u = update(rest(edit(restFixture(), ['adRatio'], '9.99')));
    expect(u.warnings).toEqual([
      'adRatio 9.99 disagrees with totalAssetAmount / totalDebtAmount (748279.60832069 / 129823.00462234 = 5.76, truncated to 2 decimals)',
    ]);
  });

  it('the warning reaches the snapshot and a later consistent message clears it', () => {
    const bad = update(ws(edit(wsFixture(), ['data', 'adRatio'], '1.00')));
    const snap = applyUpdate(undefined, bad);
    expect(snap.warnings).toHaveLength(1);
    expect(applyUpdate(snap, update(ws(wsFixture()))).warnings).toEqual([]);
  });
});

describe('zero debt', () => {
  it.each([
    ['WS', ws, wsFixture, ['data']],
    ['REST', rest, restFixture, []],
  ] as const)('%s: totalDebtAmount 0 ⇒ no-debt, safe, cushion 1, no division', (_name, run, make, prefix) => {
    let msg = edit(make(), [...prefix, 'totalDebtAmount'], '0.00000000');
    msg = edit(msg, [...prefix, 'adRatio'], '0');
    const u = update(run(msg));
    expect(u.risk?.level).toEqual({ kind: 'no-debt', text: '0' });
    expect(u.warnings).toBeUndefined();
    const snap = applyUpdate(undefined, u);
    expect(snap.zone).toBe('safe');
    expect(snap.cushion?.toFixed()).toBe('1');
  });

  it('what adRatio reads with no debt is undocumented: any text is shown as sent', () => {
    let msg = edit(wsFixture(), ['data', 'totalDebtAmount'], '0');
    msg = edit(msg, ['data', 'adRatio'], '--');
    expect(update(ws(msg)).risk?.level).toEqual({ kind: 'no-debt', text: '--' });
  });
});

describe('push action', () => {
  it('a push without an action replaces the earlier action detail', () => {
    const first = update(ws(wsFixture()));
    const later = update(ws(edit(wsFixture(), ['data', 'action'], REMOVE)));
    const snap = applyUpdate(applyUpdate(undefined, first), later);
    expect(detailTexts(snap.details).action).toBe('Last push action: none stated');
  });
});

describe('empty balances', () => {
  it('REST: an empty balances object replaces the rows with an empty list', () => {
    const u = update(rest(edit(restFixture(), ['balances'], {})));
    expect(u.balances).toEqual([]);
    expect(u.balancesMode).toBe('replace');
  });

  it('WS: an empty balances object merges nothing', () => {
    const u = update(ws(edit(wsFixture(), ['data', 'balances'], {})));
    expect(u.balances).toEqual([]);
    expect(u.balancesMode).toBe('merge');
  });
});

describe('extra unknown fields are accepted and not passed on', () => {
  it('WS: top level, data and balance rows', () => {
    let msg = edit(wsFixture(), ['extra'], { nested: true });
    msg = edit(msg, ['data', 'newField'], 'x');
    msg = edit(msg, ['data', 'balances', 'BTC', 'availableAmount'], '1.00000000');
    const u = update(ws(msg));
    expect(u.details?.map((d) => d.key)).toEqual([
      'adRatioLabel',
      'accountID',
      'accountStatus',
      'marginStatus',
      'calculateUnit',
      'action',
      'pushedAt',
    ]);
    expect(rows(u.balances).BTC).toEqual({ decimals: 8, borrowed: '2.00008624', interest: '0.00242282' });
    expect(JSON.stringify(u)).not.toContain('newField');
  });

  it('REST: top level and balance rows', () => {
    let msg = edit(restFixture(), ['riskLevel'], 3);
    msg = edit(msg, ['balances', 'BTC', 'frozenAmount'], '5');
    const u = update(rest(msg));
    expect(rows(u.balances).BTC?.total).toBe('9.99990000');
    expect(JSON.stringify(u)).not.toMatch(/riskLevel|frozenAmount/);
  });
});

describe('unknown events and channels are ignored', () => {
  it('a MARGIN_MARK_PRICE event on the account stream', () => {
    const outcome = ws({
      event: 'MARGIN_MARK_PRICE',
      timestamp: 1,
      datetime: 'x',
      data: { BTC: '66913.43' },
    });
    expect(outcome.kind).toBe('ignored');
    expect(outcome.kind === 'ignored' ? outcome.reason : '').toContain('MARGIN_MARK_PRICE');
  });

  it('an unknown event with no data at all', () => {
    expect(ws({ event: 'SOMETHING_NEW' }).kind).toBe('ignored');
  });

  it('a channel BitoPro does not have', () => {
    expect(bitopro.normalize('orders', wsFixture(), ctx).kind).toBe('ignored');
  });
});

describe('negative and 30-digit values are kept exact', () => {
  it('negative assets give a negative level, liquidation zone and no cushion', () => {
    let msg = edit(wsFixture(), ['data', 'totalAssetAmount'], '-100.50');
    msg = edit(msg, ['data', 'totalDebtAmount'], '50.00');
    msg = edit(msg, ['data', 'adRatio'], '-2.01');
    msg = edit(msg, ['data', 'balances', 'BTC', 'borrowAmount'], '-0.00000001');
    const u = update(ws(msg));
    expect(u.warnings).toBeUndefined();
    const level = u.risk?.level;
    expect(level?.kind === 'value' ? level.value.toFixed() : null).toBe('-2.01');
    expect(u.risk?.totals?.assets?.toFixed(2)).toBe('-100.50');
    expect(rows(u.balances).BTC?.borrowed).toBe('-0.00000001');
    const snap = applyUpdate(undefined, u);
    expect(snap.zone).toBe('liquidation');
    expect(snap.cushion).toBeNull();
  });

  it('30-digit amounts survive parsing and net computation', () => {
    let msg = edit(restFixture(), ['totalAssetAmount'], '123456789012345678901234567890.12345678');
    msg = edit(msg, ['totalDebtAmount'], '1000000000000000000000000000.00000000');
    msg = edit(msg, ['adRatio'], '123.45');
    msg = edit(msg, ['balances', 'BTC', 'totalAmount'], '999999999999999999999999999999.12345678');
    msg = edit(msg, ['balances', 'BTC', 'borrowAmount'], '111111111111111111111111111111.11111111');
    const u = update(rest(msg));
    expect(u.warnings).toBeUndefined();
    expect(u.risk?.totals?.assets?.toFixed(8)).toBe('123456789012345678901234567890.12345678');
    expect(u.risk?.totals?.liabilities?.toFixed(8)).toBe('1000000000000000000000000000.00000000');
    const btc = rows(u.balances).BTC;
    expect(btc?.total).toBe('999999999999999999999999999999.12345678');
    expect(btc?.borrowed).toBe('111111111111111111111111111111.11111111');
    expect(btc?.net).toBe('888888888888888888888888888888.00997781');
  });
});

describe('bad input: each failure names exchange, channel and field', () => {
  function expectFailure(outcome: ParseOutcome, channel: string, field: string, message?: RegExp): void {
    const error = failure(outcome);
    expect(error.exchange).toBe('bitopro');
    expect(error.channel).toBe(channel);
    expect(error.field).toBe(field);
    if (message) expect(error.message).toMatch(message);
  }

  describe('missing fields', () => {
    it.each([
      [['data', 'adRatio'], 'data.adRatio'],
      [['data', 'totalDebtAmount'], 'data.totalDebtAmount'],
      [['data', 'totalAssetAmount'], 'data.totalAssetAmount'],
      [['data', 'calculateUnit'], 'data.calculateUnit'],
      [['data', 'balances'], 'data.balances'],
      [['data', 'balances', 'BTC', 'borrowInterestAmount'], 'data.balances.BTC.borrowInterestAmount'],
      [['data'], 'data'],
      [['timestamp'], 'timestamp'],
      [['event'], 'event'],
    ])('WS without %j', (path, field) => {
      expectFailure(ws(edit(wsFixture(), path, REMOVE)), 'account-info', field, /missing/);
    });

    it.each([
      [['adRatio'], 'adRatio'],
      [['totalAssetAmount'], 'totalAssetAmount'],
      [['accountStatus'], 'accountStatus'],
      [['balances'], 'balances'],
      [['balances', 'BTC', 'totalAmount'], 'balances.BTC.totalAmount'],
      [['balances', 'USDT', 'tradedAmount'], 'balances.USDT.tradedAmount'],
      [['balances', 'ETH', 'borrowStatus'], 'balances.ETH.borrowStatus'],
    ])('REST without %j', (path, field) => {
      expectFailure(rest(edit(restFixture(), path, REMOVE)), 'balances', field, /missing/);
    });
  });

  describe('number where a string is expected', () => {
    it('WS adRatio as a number', () => {
      expectFailure(
        ws(edit(wsFixture(), ['data', 'adRatio'], 55.7)),
        'account-info',
        'data.adRatio',
        /number 55.7/,
      );
    });
    it('WS totalAssetAmount as a number', () => {
      expectFailure(
        ws(edit(wsFixture(), ['data', 'totalAssetAmount'], 7134740.15231776)),
        'account-info',
        'data.totalAssetAmount',
        /expected a decimal string, got the number/,
      );
    });
    it('WS balance borrowAmount as a number', () => {
      expectFailure(
        ws(edit(wsFixture(), ['data', 'balances', 'BTC', 'borrowAmount'], 2)),
        'account-info',
        'data.balances.BTC.borrowAmount',
      );
    });
    it('REST availableAmount as a number', () => {
      expectFailure(
        rest(edit(restFixture(), ['balances', 'USDT', 'availableAmount'], 100041.5)),
        'balances',
        'balances.USDT.availableAmount',
        /got the number 100041.5/,
      );
    });
    it('REST accountID as a number', () => {
      expectFailure(
        rest(edit(restFixture(), ['accountID'], 5411716254)),
        'balances',
        'accountID',
        /expected a string/,
      );
    });
  });

  describe('string where a number is expected', () => {
    it('WS timestamp as a string', () => {
      expectFailure(
        ws(edit(wsFixture(), ['timestamp'], '1721381296166')),
        'account-info',
        'timestamp',
        /expected a number, got the string/,
      );
    });
    it('WS accountStatus as a string', () => {
      expectFailure(
        ws(edit(wsFixture(), ['data', 'accountStatus'], '1')),
        'account-info',
        'data.accountStatus',
      );
    });
    it('REST borrowStatus as a string', () => {
      expectFailure(
        rest(edit(restFixture(), ['balances', 'BTC', 'borrowStatus'], '1')),
        'balances',
        'balances.BTC.borrowStatus',
      );
    });
    it('REST marginStatus as a fraction', () => {
      expectFailure(rest(edit(restFixture(), ['marginStatus'], 1.5)), 'balances', 'marginStatus');
    });
  });

  describe('strings that are not plain decimals', () => {
    const texts = ['NaN', '', '1,234.5', 'Infinity', '1e5', ' 5.76'];
    it.each(texts)('WS adRatio %j', (value) => {
      expectFailure(
        ws(edit(wsFixture(), ['data', 'adRatio'], value)),
        'account-info',
        'data.adRatio',
        /expected a decimal string/,
      );
    });
    it.each(texts)('WS totalDebtAmount %j', (value) => {
      expectFailure(
        ws(edit(wsFixture(), ['data', 'totalDebtAmount'], value)),
        'account-info',
        'data.totalDebtAmount',
        /expected a decimal string/,
      );
    });
    it.each(texts)('REST adRatio %j', (value) => {
      expectFailure(
        rest(edit(restFixture(), ['adRatio'], value)),
        'balances',
        'adRatio',
        /expected a decimal string/,
      );
    });
    it.each(texts)('REST BTC borrowInterestAmount %j', (value) => {
      expectFailure(
        rest(edit(restFixture(), ['balances', 'BTC', 'borrowInterestAmount'], value)),
        'balances',
        'balances.BTC.borrowInterestAmount',
        /expected a decimal string/,
      );
    });
  });

  describe('wrong shapes', () => {
    it('WS data is an array', () => {
      expectFailure(ws(edit(wsFixture(), ['data'], [])), 'account-info', 'data');
    });
    it('REST balances is an array', () => {
      expectFailure(
        rest(edit(restFixture(), ['balances'], [])),
        'balances',
        'balances',
        /object of currencies/,
      );
    });
    it('REST balance row is null', () => {
      expectFailure(rest(edit(restFixture(), ['balances', 'ETH'], null)), 'balances', 'balances.ETH');
    });
    it('WS event is a number', () => {
      expectFailure(ws(edit(wsFixture(), ['event'], 7)), 'account-info', 'event', /expected a string/);
    });
  });

  describe('non-JSON raw text (the proxy relays the raw frame)', () => {
    it('on the account stream', () => {
      expectFailure(ws('{"event":"MARGIN_BALANCE_INFO",'), 'account-info', '(message)', /not valid JSON/);
    });
    it('on the balances channel', () => {
      expectFailure(rest('<html>502 Bad Gateway</html>'), 'balances', '(message)', /not valid JSON/);
    });
  });

  it('a BitoPro error body on the balances channel names the exchange error', () => {
    expectFailure(rest({ error: 'Invalid Signature' }), 'balances', 'error', /Invalid Signature/);
  });
});

describe('normalize never throws', () => {
  const garbage: unknown[] = [
    null,
    undefined,
    42,
    -1,
    true,
    '',
    'x',
    [],
    [1, 2],
    {},
    { event: null },
    { event: 'MARGIN_BALANCE_INFO' },
    { event: 'MARGIN_BALANCE_INFO', timestamp: 1, data: null },
    { event: 'MARGIN_BALANCE_INFO', timestamp: 1, data: { balances: { BTC: 5 } } },
    { error: 42 },
    { adRatio: {}, balances: 'x' },
    Object.create(null) as unknown,
  ];
  it.each(garbage.map((g, i) => [i, g]))('garbage #%i on every channel', (_i, payload) => {
    for (const channel of [ACCOUNT_INFO_CHANNEL, BALANCES_CHANNEL, 'other']) {
      let outcome: ParseOutcome | undefined;
      expect(() => {
        outcome = normalizeBitopro(channel, payload, ctx);
      }).not.toThrow();
      expect(['error', 'ignored']).toContain(outcome?.kind);
      if (outcome?.kind === 'error') expect(outcome.error.exchange).toBe('bitopro');
    }
  });

  it('a payload whose getter throws becomes a WireError', () => {
    const hostile = {
      event: 'MARGIN_BALANCE_INFO',
      get timestamp(): number {
        throw new Error('boom');
      },
    };
    const error = failure(ws(hostile));
    expect(error.exchange).toBe('bitopro');
    expect(error.field).toBe('(message)');
  });
});
